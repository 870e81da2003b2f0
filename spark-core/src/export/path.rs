//! Safe names: model-given script names become plain `Name.cs` file names that are valid on
//! Windows, macOS and Linux and that Unity imports; archive entry paths are checked on import.

use std::collections::{HashMap, HashSet};

/// Longest script file name in bytes, extension included (cut on a UTF-8 boundary).
pub const MAX_NAME_BYTES: usize = 100;

/// Characters Windows refuses in file names (control characters are handled separately).
const WINDOWS_INVALID: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves whatever the extension (`con.cs`, `Com1.tar.gz`).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6",
    "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Invisible formatting characters (bidi overrides, zero-width) that can disguise a name.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Whether `name` (one path component) is a Windows device name, with or without extension.
pub fn is_reserved_name(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or("").trim_end_matches([' ', '.']);
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(base))
}

/// Turns a model-given script path into a safe file name ending in `.cs`, or `None` when
/// nothing usable is left.
///
/// Directories are dropped (only the last component counts, with `/` and `\` both separators,
/// so `../../x.cs`, `C:\x.cs`, `/abs.cs` and `\\server\share\x.cs` all become `x.cs`); control
/// characters and invisible formatting characters are removed; `<>:"|?*` become `_`; leading
/// dots, trailing dots, spaces and `~` are trimmed (Unity hides such files); a Windows device
/// name gets a `_` (`CON.cs` → `CON_.cs`); the name is cut to [`MAX_NAME_BYTES`] on a character
/// boundary, keeping the `.cs` extension, which is added when missing.
pub fn sanitize_script_name(raw: &str) -> Option<String> {
    let last = raw.split(['/', '\\']).rfind(|c| !c.trim().is_empty()).unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .map(|c| if WINDOWS_INVALID.contains(&c) { '_' } else { c })
        .collect();
    let name = trim_tail(&cleaned);
    let stem = match name.len().checked_sub(3) {
        Some(n) if name.is_char_boundary(n) && name[n..].eq_ignore_ascii_case(".cs") => &name[..n],
        _ => name,
    };
    let stem = trim_name(stem);
    if stem.is_empty() {
        return None;
    }
    let mut stem = stem.to_string();
    if is_reserved_name(&stem) {
        let cut = stem.find('.').unwrap_or(stem.len());
        stem.insert(cut, '_');
    }
    let stem = trim_name(truncate(&stem, MAX_NAME_BYTES - 3));
    if stem.is_empty() { None } else { Some(format!("{stem}.cs")) }
}

/// Longest folder part kept in a script path, in bytes and in components.
const MAX_DIR_BYTES: usize = 120;
const MAX_DIRS: usize = 6;

/// Turns a model-given script path into a safe relative path: `/`-separated folders, then a
/// file name from [`sanitize_script_name`]. Folders are kept only from a plainly relative path
/// (`Editor/PlayerEditor.cs`, `Scripts/AI/Enemy.cs`), each cleaned like a file name; a path
/// that is absolute, has a drive, a UNC prefix or a `..` component keeps its file name alone
/// (`../../home/user/.bashrc.cs` → `bashrc.cs`, `/etc/cron.d/x.cs` → `x.cs`), and so does one
/// with more than a few folders. The result always passes [`check_archive_path`].
pub fn sanitize_script_path(raw: &str) -> Option<String> {
    let name = sanitize_script_name(raw)?;
    // A trailing separator names no folder (`Scripts/` is the name `Scripts.cs`).
    let raw = raw.trim_end_matches(|c: char| c == '/' || c == '\\' || c.is_whitespace());
    let parts: Vec<&str> = raw.split(['/', '\\']).collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let hostile = raw.starts_with(['/', '\\'])
        || raw.contains(':')
        || dirs.iter().any(|d| d.trim() == "..")
        || dirs.len() > MAX_DIRS * 2;
    if hostile {
        return Some(name);
    }
    let mut path = String::new();
    for d in dirs {
        let Some(clean) = sanitize_folder_name(d) else { continue };
        path.push_str(&clean);
        path.push('/');
    }
    if path.len() > MAX_DIR_BYTES || path.matches('/').count() > MAX_DIRS {
        return Some(name);
    }
    path.push_str(&name);
    Some(path)
}

/// One folder of a script path, cleaned like a file name; `None` when nothing is left (`.`,
/// empty, only invisible characters).
fn sanitize_folder_name(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .map(|c| if WINDOWS_INVALID.contains(&c) { '_' } else { c })
        .collect();
    let mut name = trim_name(&cleaned).to_string();
    if is_reserved_name(&name) {
        let cut = name.find('.').unwrap_or(name.len());
        name.insert(cut, '_');
    }
    let name = trim_name(truncate(&name, 64));
    (!name.is_empty()).then(|| name.to_string())
}

/// The file name Unity should see for a script: the given name when it reads as a type name,
/// else the type the content declares (Unity matches a MonoBehaviour to its file by name, so
/// `player controller.cs` or `what?.cs` yields to the declared type), else the given name.
/// `None` when neither gives a usable name. Extraction and export both name files with it.
pub(crate) fn choose_file_name<'a>(
    given: Option<&str>,
    main_type: impl FnOnce() -> Option<&'a str>,
) -> Option<String> {
    let from_type = || main_type().and_then(sanitize_script_name);
    match given.and_then(sanitize_script_name) {
        Some(n) if !is_type_like(&n) => from_type().or(Some(n)),
        Some(n) => Some(n),
        None => from_type(),
    }
}

/// Whether the stem of a sanitised `Name.cs` reads as a C# type name, or several joined by
/// dots (`Player.Movement.cs`, the partial-class convention).
pub(crate) fn is_type_like(file_name: &str) -> bool {
    let stem = file_name.strip_suffix(".cs").unwrap_or(file_name);
    stem.split('.').all(|part| {
        let mut cs = part.chars();
        cs.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && cs.all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Trims surrounding whitespace and trailing dots, spaces and `~`.
fn trim_tail(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        let t = s.trim_end_matches(['.', ' ', '~']).trim();
        if t.len() == s.len() {
            return t;
        }
        s = t;
    }
}

/// Trims what Windows strips or Unity hides: surrounding whitespace, leading dots, trailing dots,
/// spaces and `~`.
fn trim_name(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        let t = s.trim_start_matches('.').trim_end_matches(['.', ' ', '~']).trim();
        if t.len() == s.len() {
            return t;
        }
        s = t;
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Hands out names that are unique ignoring case (as on Windows and macOS): the second
/// `Player.cs` becomes `Player_2.cs`, then `Player_3.cs`, in the order names are claimed.
/// Linear in the number of names: each stem remembers the next suffix to try.
#[derive(Debug, Default)]
pub(crate) struct UniqueNames {
    taken: HashSet<String>,
    next: HashMap<String, u64>,
}

impl UniqueNames {
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_lowercase()) {
            return name.to_string();
        }
        let stem = name.strip_suffix(".cs").unwrap_or(name);
        let key = stem.to_lowercase();
        let mut n = self.next.get(&key).copied().unwrap_or(2);
        loop {
            let suffix = format!("_{n}.cs");
            let candidate = format!("{}{suffix}", truncate(stem, MAX_NAME_BYTES - suffix.len()));
            n += 1;
            if self.taken.insert(candidate.to_lowercase()) {
                self.next.insert(key, n);
                return candidate;
            }
        }
    }
}

/// A model-given string fit for an error message: escaped and shortened.
pub(crate) fn quote(raw: &str) -> String {
    let short = truncate(raw, 80);
    let ellipsis = if short.len() < raw.len() { "…" } else { "" };
    format!("{short:?}{ellipsis}")
}

/// Checks one archive entry path before it is trusted: relative, `/`-separated, no `..` or `.`
/// component, no drive letter or `:` (also NTFS streams), no backslash, no control characters,
/// no Windows device names, no component ending in a dot or space. A trailing `/` (directory
/// entry) is allowed. Returns the reason on failure.
pub fn check_archive_path(path: &str) -> Result<(), String> {
    let body = path.strip_suffix('/').unwrap_or(path);
    if body.is_empty() {
        return Err("empty path".into());
    }
    if body.starts_with('/') {
        return Err("absolute path".into());
    }
    if body.contains('\\') {
        return Err("backslash in path".into());
    }
    if body.contains(':') {
        return Err("drive letter or `:` in path".into());
    }
    if body.chars().any(|c| c.is_control()) {
        return Err("control character in path".into());
    }
    for part in body.split('/') {
        match part {
            "" => return Err("empty path component".into()),
            "." | ".." => return Err("`.` or `..` component".into()),
            p if p.ends_with(['.', ' ']) => return Err("component ends with a dot or space".into()),
            p if is_reserved_name(p) => return Err("Windows device name".into()),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes() {
        let cases = [
            ("Player.cs", Some("Player.cs")),
            ("Player", Some("Player.cs")),
            ("Player.CS", Some("Player.cs")),
            ("Editor/PlayerEditor.cs", Some("PlayerEditor.cs")),
            ("../../etc/passwd", Some("passwd.cs")),
            ("C:\\x.cs", Some("x.cs")),
            ("C:x.cs", Some("C_x.cs")),
            ("/abs.cs", Some("abs.cs")),
            ("\\\\server\\share\\x.cs", Some("x.cs")),
            ("a/../../b.cs", Some("b.cs")),
            ("con.cs", Some("con_.cs")),
            ("CON.cs", Some("CON_.cs")),
            ("Com1.Extra.cs", Some("Com1_.Extra.cs")),
            ("LPT9 .cs", Some("LPT9_.cs")),
            ("Console.cs", Some("Console.cs")),
            ("a\0b\nc.cs", Some("abc.cs")),
            ("x.cs.  ", Some("x.cs")),
            ("...hidden.cs", Some("hidden.cs")),
            ("Backup.cs~", Some("Backup.cs")),
            ("a<b>c|d?e*f\"g.cs", Some("a_b_c_d_e_f_g.cs")),
            ("Spieler\u{202E}sc.exe", Some("Spielersc.exe.cs")),
            ("Café.cs", Some("Café.cs")),
            ("..", None),
            ("", None),
            ("   ", None),
            (".cs", None),
            ("../", None),
            ("\0\n", None),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize_script_name(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn type_like_names() {
        for ok in ["Player.cs", "Player.Movement.cs", "_x1.cs", "Ünïcödé_名前.cs"] {
            assert!(is_type_like(ok), "{ok}");
        }
        for bad in ["player controller.cs", "1st.cs", "a-b.cs", "con_.cs.x-y.cs", "what_?.cs", "a..b.cs"] {
            assert!(!is_type_like(bad), "{bad}");
        }
    }

    #[test]
    fn long_names_cut_on_char_boundary() {
        let n = sanitize_script_name(&"é".repeat(300)).unwrap();
        assert!(n.len() <= MAX_NAME_BYTES && n.ends_with(".cs"), "{n}");
        let n = sanitize_script_name(&format!("{}.cs", "a".repeat(300))).unwrap();
        assert_eq!(n.len(), MAX_NAME_BYTES);
    }

    #[test]
    fn unique_ignoring_case() {
        let mut u = UniqueNames::default();
        assert_eq!(u.claim("Player.cs"), "Player.cs");
        assert_eq!(u.claim("player.cs"), "player_2.cs");
        assert_eq!(u.claim("Player_2.cs"), "Player_2_2.cs");
        assert_eq!(u.claim("PLAYER.cs"), "PLAYER_3.cs");
        let long = format!("{}.cs", "a".repeat(97));
        assert_eq!(u.claim(&long), long);
        let second = u.claim(&long);
        assert!(second.len() <= MAX_NAME_BYTES && second.ends_with("_2.cs"), "{second}");
    }

    #[test]
    fn archive_paths() {
        for ok in ["Assets/Generated/Scripts/A.cs", "package/Runtime/", "0123/asset.meta"] {
            assert_eq!(check_archive_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "../evil.cs",
            "a/../../b",
            "/etc/passwd",
            "C:/x.cs",
            "C:x",
            "a\\b",
            "a//b",
            "./a",
            "a/./b",
            "a/con.cs",
            "a/x.",
            "a\nb",
            "",
            "file.cs:stream",
        ] {
            assert!(check_archive_path(bad).is_err(), "{bad:?}");
        }
    }
}
