//! Code blocks from model replies.
//!
//! Handles fences with or without a language tag (```` ``` ```` and `~~~`), several files per
//! reply, file names from the info string (```` ```csharp Player.cs ````), from a heading or
//! label just above the fence (`### Player.cs`, `**File: Player.cs**`), from a `// File:` comment
//! on the first line, or else from the type Unity names the file after
//! ([`crate::export::main_type_name`]). Names are made safe (see [`ScriptFile::path`]). A fence
//! line inside a code block closes it, as in CommonMark, even inside a C# string literal; a
//! fence marker mid-line (`"```"`) is content. A fence left open by a truncated
//! reply is kept up to the end. A reply without fences that is plainly C# is taken whole.

use serde::{Deserialize, Serialize};

use crate::cancel::CancelToken;
use crate::error::Result;
use crate::export::path::{UniqueNames, choose_file_name, sanitize_script_path};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScriptFile {
    /// Safe path relative to the scripts folder, e.g. `Player.cs` or `Editor/PlayerEditor.cs`:
    /// `/`-separated, no `..`, no absolute or drive prefix, no control or invisible characters,
    /// no Windows device name, file names unique ignoring case. The exporters name files after
    /// it; a host may join it to its own folder.
    pub path: String,
    /// File content.
    pub content: String,
    /// The name exactly as the model wrote it, when the model named the file (`None` when SPARK
    /// chose the name). **Untrusted**: it may hold `../`, absolute paths, control or bidi
    /// characters; show it escaped if at all, and never use it as a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_path: Option<String>,
}

impl ScriptFile {
    /// A file at `path` (sanitised: see [`ScriptFile::path`]; the given name is kept in
    /// `raw_path` when sanitising changed it).
    pub fn new(path: &str, content: impl Into<String>) -> Self {
        let content = content.into();
        let safe = sanitize_script_path(path).unwrap_or_else(|| "Script.cs".into());
        let raw_path = (safe != path).then(|| path.to_string());
        ScriptFile { path: safe, content, raw_path }
    }
}

pub(crate) const CSHARP_TAGS: &[&str] = &["csharp", "cs", "c#", "c-sharp", "unity", "csx"];

/// How many code blocks are checked between two looks at the cancel token.
const CHECK_EVERY: usize = 64;

/// Extracts the C# files of a reply, in order of appearance, with safe, unique names.
pub fn extract_files(reply: &str) -> Vec<ScriptFile> {
    // A token nobody cancels and without deadline never stops the work.
    extract_files_with(reply, &CancelToken::new()).unwrap_or_default()
}

/// [`extract_files`], stopping with `Error::Cancelled` or `Error::Timeout` when `cancel` says
/// so. Linear in the reply (naming included) whatever the number of blocks.
pub fn extract_files_with(reply: &str, cancel: &CancelToken) -> Result<Vec<ScriptFile>> {
    let lines: Vec<&str> = reply.split_inclusive('\n').collect();
    let mut files = Vec::new();
    let mut i = 0;
    let mut saw_fence = false;
    while i < lines.len() {
        let Some((marker, info)) = fence_open(lines[i]) else {
            i += 1;
            continue;
        };
        saw_fence = true;
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !fence_close(lines[end], &marker) {
            end += 1;
        }
        let body: String = lines[start..end].concat();
        let lang = info.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        let is_csharp = CSHARP_TAGS.contains(&lang.as_str())
            || lang.ends_with(".cs")
            || (lang.is_empty() && looks_like_csharp(&body));
        if is_csharp && !body.trim().is_empty() {
            if files.len() % CHECK_EVERY == 0 {
                cancel.check()?;
            }
            let name = name_from_info(&info)
                .or_else(|| name_from_context(&lines[..i]))
                .or_else(|| name_from_comment(&body));
            files.push((name, body));
        }
        i = end + 1;
    }
    if !saw_fence && looks_like_csharp(reply) {
        files.push((name_from_comment(reply), reply.to_string()));
    }
    let mut names = UniqueNames::default();
    let mut out: Vec<ScriptFile> = Vec::with_capacity(files.len());
    for (k, (raw, body)) in files.into_iter().enumerate() {
        if k % CHECK_EVERY == 0 {
            cancel.check()?;
        }
        let content = normalize(&body);
        out.push(name_file(raw, content, &mut names));
    }
    Ok(out)
}

/// Names one file: the model's name made safe (folders kept from a plain relative path), or
/// the type Unity names it after, or `Script.cs`; then unique ignoring case by file name,
/// since exports flatten folders.
fn name_file(raw: Option<String>, content: String, names: &mut UniqueNames) -> ScriptFile {
    let safe = raw.as_deref().and_then(sanitize_script_path);
    let (dir, given) = match safe.as_deref().and_then(|p| p.rsplit_once('/')) {
        Some((dir, file)) => (Some(dir.to_string()), Some(file.to_string())),
        None => (None, safe.clone()),
    };
    let mut facts = None;
    let file = choose_file_name(given.as_deref(), || {
        facts.get_or_insert_with(|| crate::csharp::scan(&content)).main_type()
    })
    .unwrap_or_else(|| "Script.cs".to_string());
    let file = names.claim(&file);
    let path = match dir {
        Some(dir) => format!("{dir}/{file}"),
        None => file,
    };
    // The raw name is only worth keeping when it says something the safe path does not.
    let raw_path = raw.filter(|r| *r != path);
    ScriptFile { path, content, raw_path }
}

pub(crate) fn fence_open(line: &str) -> Option<(String, String)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if indent > 3 {
        return None;
    }
    let ch = trimmed.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let n = trimmed.chars().take_while(|&c| c == ch).count();
    if n < 3 {
        return None;
    }
    let info = trimmed[n..].trim();
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((trimmed[..n].to_string(), info.to_string()))
}

pub(crate) fn fence_close(line: &str, marker: &str) -> bool {
    let t = line.trim();
    let ch = marker.chars().next().unwrap_or('`');
    t.len() >= marker.len() && t.chars().all(|c| c == ch)
}

fn is_cs_name(s: &str) -> bool {
    let s = s.trim_matches(|c: char| "`*_\"'():[]".contains(c));
    s.len() > 3
        && s.to_ascii_lowercase().ends_with(".cs")
        && s.chars().all(|c| c.is_alphanumeric() || "_-./\\".contains(c))
}

/// The name token without markdown decoration; separators stay as written (the path is made
/// safe later, and the raw name is kept as the model wrote it).
fn clean_name(s: &str) -> String {
    s.trim_matches(|c: char| "`*_\"'():[]".contains(c)).to_string()
}

fn name_from_info(info: &str) -> Option<String> {
    info.split(|c: char| c.is_whitespace() || c == ':' || c == '=' || c == '{' || c == '}')
        .find(|w| is_cs_name(w))
        .map(clean_name)
}

fn name_from_context(before: &[&str]) -> Option<String> {
    // Only the nearest non-blank line above the fence names it; farther text names other things.
    let line = before.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty())?;
    if fence_open(line).is_some() {
        return None;
    }
    line.split(|c: char| c.is_whitespace() || c == ':' || c == ',').rfind(|w| is_cs_name(w)).map(clean_name)
}

fn name_from_comment(body: &str) -> Option<String> {
    let first = body.lines().find(|l| !l.trim().is_empty())?.trim();
    let rest = first.strip_prefix("//")?;
    rest.split(|c: char| c.is_whitespace() || c == ':').find(|w| is_cs_name(w)).map(clean_name)
}

/// Heuristic for untagged code: C# keywords that prose rarely combines.
fn looks_like_csharp(text: &str) -> bool {
    let has_decl = ["class ", "struct ", "interface ", "enum ", "record "].iter().any(|k| text.contains(k));
    let has_cs = ["using ", "namespace ", "public ", "private ", "void ", "MonoBehaviour"]
        .iter()
        .any(|k| text.contains(k));
    has_decl && has_cs && text.contains('{')
}

pub(crate) fn normalize(body: &str) -> String {
    let mut s = body.replace("\r\n", "\n");
    while s.ends_with("\n\n") {
        s.pop();
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::main_type_name;

    #[test]
    fn fenced_with_and_without_language() {
        let reply = "Here:\n```csharp\nusing UnityEngine;\npublic class Spinner : MonoBehaviour {}\n```\nand\n```\npublic class Other : MonoBehaviour { void Update() {} }\n```\n";
        let f = extract_files(reply);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].path, "Spinner.cs");
        assert_eq!(f[1].path, "Other.cs");
        assert!(f[0].content.starts_with("using UnityEngine;"));
    }

    #[test]
    fn names_from_heading_info_and_comment() {
        let reply = "### Scripts/PlayerMove.cs\n\n```cs\nclass A {}\n```\n```csharp title=\"Enemy.cs\"\nclass B {}\n```\n~~~\n// File: Editor/Tool.cs\nusing UnityEditor; public class T { }\n~~~\n";
        let f = extract_files(reply);
        let names: Vec<_> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["Scripts/PlayerMove.cs", "Enemy.cs", "Editor/Tool.cs"]);
    }

    #[test]
    fn ignores_other_languages_keeps_truncated_fence_and_dedups() {
        let reply = "```json\n{\"a\": 1}\n```\n```csharp\npublic class A {}\n```\n```csharp\npublic class A { int x; }\n```\n```csharp\npublic class Cut : MonoBehaviour {\n    void Start() {";
        let f = extract_files(reply);
        let names: Vec<_> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["A.cs", "A_2.cs", "Cut.cs"]);
        assert!(f[2].content.contains("void Start()"));
    }

    #[test]
    fn named_after_the_unity_type_not_comments_or_helper_types() {
        let reply = "```csharp\n/// <summary>This class spins things.</summary>\n[System.Serializable]\npublic class SpinSettings { public float speed; }\n\n// the enum below is unused\npublic class Spinner : UnityEngine.MonoBehaviour { public SpinSettings settings; }\n```\n";
        assert_eq!(extract_files(reply)[0].path, "Spinner.cs");
        let generic = "```csharp\npublic class Pool<T> : IPool where T : MonoBehaviour { }\npublic sealed class Bullets : ScriptableObject { }\n```\n";
        assert_eq!(extract_files(generic)[0].path, "Bullets.cs");
        let plain = "```csharp\n// a class of helpers\npublic static class MathUtil { }\n```\n";
        assert_eq!(extract_files(plain)[0].path, "MathUtil.cs");
    }

    #[test]
    fn bare_code_and_prose() {
        assert!(extract_files("I cannot help with that.").is_empty());
        let bare = "using UnityEngine;\npublic class Bare : MonoBehaviour { }\n";
        assert_eq!(extract_files(bare)[0].path, "Bare.cs");
        assert_eq!(main_type_name("public record struct Point(int X);").as_deref(), Some("Point"));
    }
}
