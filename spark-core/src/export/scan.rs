//! A light C# lexer that answers the questions the export needs about a script: does it use
//! `UnityEditor` outside `#if UNITY_EDITOR`, which package assemblies does it reference, does it
//! need `unsafe`, and what is its first declared type.
//!
//! Textual on purpose: tree-sitter's C# grammar parses preprocessor branches poorly, and the
//! questions here only need tokens outside comments and string literals plus the `#if` structure.

use std::collections::BTreeSet;

/// Namespace prefix (whole dotted segments) → the assembly-definition name that provides it.
///
/// A script in an asmdef only sees the assemblies the asmdef references, unlike
/// `Assembly-CSharp`, which sees every auto-referenced package; so a `using TMPro;` needs
/// `Unity.TextMeshPro` in `references`. Engine modules (`UnityEngine.UIElements`, `UnityEngine.AI`)
/// are implicit and absent here.
const PACKAGE_ASSEMBLIES: &[(&str, &str)] = &[
    ("Cinemachine", "Cinemachine"),
    ("TMPro", "Unity.TextMeshPro"),
    ("Unity.AI.Navigation", "Unity.AI.Navigation"),
    ("Unity.Burst", "Unity.Burst"),
    ("Unity.Cinemachine", "Unity.Cinemachine"),
    ("Unity.Collections", "Unity.Collections"),
    ("Unity.Entities", "Unity.Entities"),
    ("Unity.Mathematics", "Unity.Mathematics"),
    ("Unity.Netcode", "Unity.Netcode.Runtime"),
    ("UnityEngine.AddressableAssets", "Unity.Addressables"),
    ("UnityEngine.EventSystems", "UnityEngine.UI"),
    ("UnityEngine.InputSystem", "Unity.InputSystem"),
    ("UnityEngine.Localization", "Unity.Localization"),
    ("UnityEngine.Rendering.HighDefinition", "Unity.RenderPipelines.HighDefinition.Runtime"),
    ("UnityEngine.Rendering.Universal", "Unity.RenderPipelines.Universal.Runtime"),
    ("UnityEngine.ResourceManagement", "Unity.ResourceManager"),
    ("UnityEngine.Splines", "Unity.Splines"),
    ("UnityEngine.Timeline", "Unity.Timeline"),
    ("UnityEngine.UI", "UnityEngine.UI"),
    ("UnityEngine.XR.Interaction.Toolkit", "Unity.XR.Interaction.Toolkit"),
];

/// What the export needs to know about one script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScriptFacts {
    /// `UnityEditor` / `UnityEditorInternal` is used outside a region only compiled in the editor.
    pub uses_editor: bool,
    /// Package assemblies the script's namespaces come from.
    pub references: BTreeSet<&'static str>,
    /// The `unsafe` keyword appears in code.
    pub uses_unsafe: bool,
    /// The first declared class / struct / interface / enum / record.
    pub first_type: Option<String>,
    /// The first class deriving from a Unity object type (`MonoBehaviour`, `ScriptableObject`,
    /// `EditorWindow`…): the one Unity requires the file to be named after.
    pub unity_type: Option<String>,
}

impl ScriptFacts {
    /// The type the file should be named after: the Unity object type, else the first type.
    pub fn main_type(&self) -> Option<&str> {
        self.unity_type.as_deref().or(self.first_type.as_deref())
    }
}

/// Base classes whose subclasses Unity finds by file name.
fn is_unity_object_base(word: &[u8]) -> bool {
    word.ends_with(b"Behaviour")
        || matches!(
            word,
            b"ScriptableObject"
                | b"Editor"
                | b"EditorWindow"
                | b"ScriptableWizard"
                | b"PropertyDrawer"
                | b"DecoratorDrawer"
                | b"ScriptedImporter"
                | b"ScriptableSingleton"
        )
}

/// Whether `source` uses `UnityEditor` outside `#if UNITY_EDITOR` (and so belongs in an Editor
/// assembly). Comments, string literals and editor-only preprocessor branches do not count.
pub fn uses_unity_editor(source: &str) -> bool {
    scan(source).uses_editor
}

/// The type a script file should be named after: the first class deriving from a Unity object
/// type (`MonoBehaviour`, `ScriptableObject`, `EditorWindow`…), else the first declared class,
/// struct, interface, enum or record. Comments, strings and attributes do not count.
pub fn main_type_name(source: &str) -> Option<String> {
    let facts = scan(source);
    facts.unity_type.or(facts.first_type)
}

pub(crate) fn scan(source: &str) -> ScriptFacts {
    let mut lx = Lexer { s: source.as_bytes(), i: 0, facts: ScriptFacts::default(), ..Lexer::default() };
    lx.code(false);
    lx.facts
}

/// One open `#if` chain, evaluated for a player build (`UNITY_EDITOR` false, other symbols unknown).
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// The current branch is never compiled into a player.
    dead: bool,
    /// An earlier branch of the chain is always taken in a player, so later ones are dead.
    taken: bool,
}

#[derive(Default)]
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    facts: ScriptFacts,
    frames: Vec<Frame>,
    /// Only whitespace since the last newline: a `#` here starts a directive.
    line_start: bool,
    /// The dotted name being read (`UnityEngine.InputSystem.Keyboard`) while it can still lead
    /// to a name of interest (`live`); whether the last significant token was an identifier
    /// (`in_chain`) or the `.` after one (`after_dot`).
    chain: Vec<u8>,
    live: bool,
    in_chain: bool,
    after_dot: bool,
    /// Waiting for the name after `class` / `struct` / … (and after `record class`).
    want_type: bool,
    /// The type just declared, until its body opens; `in_bases` once its `:` base list started.
    declared: Option<String>,
    in_bases: bool,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn guarded(&self) -> bool {
        self.frames.iter().any(|f| f.dead)
    }

    /// Lexes code until the end, or until the `}` closing an interpolation hole.
    fn code(&mut self, in_hole: bool) {
        let mut depth = 0usize;
        self.line_start = true;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b'\n' => {
                    self.line_start = true;
                    self.i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.i += 1;
                    continue;
                }
                b'#' if self.line_start && !in_hole => {
                    self.directive();
                    continue;
                }
                _ => {}
            }
            self.line_start = false;
            match c {
                b'/' if self.peek(1) == b'/' => self.skip_line(),
                b'/' if self.peek(1) == b'*' => self.skip_block_comment(),
                b'"' => {
                    self.end_chain();
                    self.string(false, false);
                }
                b'\'' => {
                    self.end_chain();
                    self.char_literal();
                }
                b'@' | b'$' if self.string_prefix().is_some() => {
                    self.end_chain();
                    let (len, verbatim, interpolated) = self.string_prefix().unwrap_or((1, false, false));
                    self.i += len - 1;
                    self.string(verbatim, interpolated);
                }
                b'.' if !self.peek(1).is_ascii_digit() => {
                    self.after_dot = self.in_chain;
                    self.in_chain = false;
                    self.i += 1;
                }
                b':' if self.declared.is_some() => {
                    self.end_chain();
                    self.in_bases = true;
                    self.i += 1;
                }
                b';' | b'(' => {
                    self.end_chain();
                    self.end_declaration();
                    self.i += 1;
                }
                b'{' => {
                    self.end_chain();
                    self.end_declaration();
                    depth += 1;
                    self.i += 1;
                }
                b'}' => {
                    self.end_chain();
                    self.i += 1;
                    if in_hole && depth == 0 {
                        return;
                    }
                    depth = depth.saturating_sub(1);
                }
                _ if is_ident_start(c) || (c == b'@' && is_ident_start(self.peek(1))) => self.ident(),
                _ => {
                    self.end_chain();
                    self.i += 1;
                }
            }
        }
    }

    /// `@"`, `$"`, `$@"`, `@$"`, `$$"""`…: (prefix length including the quote, verbatim, interpolated).
    fn string_prefix(&self) -> Option<(usize, bool, bool)> {
        let mut k = 0;
        let (mut verbatim, mut interpolated) = (false, false);
        while k < 8 {
            match self.peek(k) {
                b'@' => verbatim = true,
                b'$' => interpolated = true,
                b'"' if k > 0 => return Some((k + 1, verbatim, interpolated)),
                _ => return None,
            }
            k += 1;
        }
        None
    }

    fn ident(&mut self) {
        let start = self.i;
        if self.s[self.i] == b'@' {
            self.i += 1;
        }
        let word_start = self.i;
        while self.i < self.s.len() && is_ident_continue(self.s[self.i]) {
            self.i += 1;
        }
        let word = &self.s[word_start..self.i];
        let verbatim = word_start != start;
        if self.want_type && !verbatim && matches!(word, b"class" | b"struct") {
            // `record class Name`: keep waiting for the name.
        } else if self.want_type {
            self.want_type = false;
            let name = std::str::from_utf8(word).ok().map(str::to_string);
            if self.facts.first_type.is_none() {
                self.facts.first_type.clone_from(&name);
            }
            self.declared = name;
        } else if self.in_bases {
            if !verbatim && word == b"where" {
                self.end_declaration();
            } else if self.facts.unity_type.is_none() && is_unity_object_base(word) {
                self.facts.unity_type = self.declared.take();
                self.in_bases = false;
            }
        } else if !verbatim {
            self.want_type = matches!(word, b"class" | b"struct" | b"interface" | b"enum" | b"record");
        }
        if !verbatim && word == b"unsafe" && !self.guarded() {
            self.facts.uses_unsafe = true;
        }
        let continuing = self.after_dot;
        self.after_dot = false;
        self.in_chain = true;
        if !continuing {
            self.chain.clear();
            // Every name of interest starts with `U`, `T` or `C`: most chains die here.
            self.live = matches!(word.first(), Some(b'U' | b'T' | b'C'));
        }
        if self.live {
            if continuing {
                self.chain.push(b'.');
            }
            self.chain.extend_from_slice(word);
            self.check_chain();
        }
    }

    fn end_declaration(&mut self) {
        self.declared = None;
        self.in_bases = false;
    }

    fn check_chain(&mut self) {
        let chain = self.chain.as_slice();
        if matches!(chain, b"UnityEditor" | b"UnityEditorInternal") && !self.guarded() {
            self.facts.uses_editor = true;
        }
        if let Ok(k) = PACKAGE_ASSEMBLIES.binary_search_by(|(ns, _)| ns.as_bytes().cmp(chain)) {
            self.facts.references.insert(PACKAGE_ASSEMBLIES[k].1);
        }
        // Stop tracking a chain that no longer leads to a name of interest.
        let leads = |name: &[u8]| name.starts_with(chain) && name.get(chain.len()).is_none_or(|&b| b == b'.');
        self.live =
            leads(b"UnityEditorInternal") || PACKAGE_ASSEMBLIES.iter().any(|(ns, _)| leads(ns.as_bytes()));
    }

    fn end_chain(&mut self) {
        self.in_chain = false;
        self.after_dot = false;
    }

    fn skip_line(&mut self) {
        while self.i < self.s.len() && self.s[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        self.i += 2;
        while self.i < self.s.len() && !(self.s[self.i] == b'*' && self.peek(1) == b'/') {
            self.i += 1;
        }
        self.i = (self.i + 2).min(self.s.len());
    }

    fn char_literal(&mut self) {
        self.i += 1;
        let limit = (self.i + 12).min(self.s.len());
        while self.i < limit {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'\'' => {
                    self.i += 1;
                    return;
                }
                b'\n' => return,
                _ => self.i += 1,
            }
        }
    }

    /// A string literal starting at its (first) opening quote.
    fn string(&mut self, verbatim: bool, interpolated: bool) {
        let quotes = self.s[self.i..].iter().take_while(|&&b| b == b'"').count();
        if quotes >= 3 {
            // Raw string literal: ends at the same number of quotes.
            self.i += quotes;
            while self.i < self.s.len() {
                if self.s[self.i] == b'"' {
                    let n = self.s[self.i..].iter().take_while(|&&b| b == b'"').count();
                    self.i += n;
                    if n >= quotes {
                        return;
                    }
                } else {
                    self.i += 1;
                }
            }
            return;
        }
        self.i += 1;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b'\\' if !verbatim => self.i += 2,
                b'"' if verbatim && self.peek(1) == b'"' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\n' if !verbatim => return,
                b'{' if interpolated && self.peek(1) == b'{' => self.i += 2,
                b'{' if interpolated => {
                    self.i += 1;
                    let line_start = self.line_start;
                    self.code(true);
                    self.line_start = line_start;
                }
                _ => self.i += 1,
            }
        }
    }

    fn directive(&mut self) {
        self.end_chain();
        let start = self.i + 1;
        self.skip_line();
        let line = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let line = line.split("//").next().unwrap_or("").trim();
        let (name, rest) = line.split_once(|c: char| c.is_whitespace()).unwrap_or((line, ""));
        match name {
            "if" => {
                let cond = eval_player(rest);
                self.frames.push(Frame { dead: cond == Some(false), taken: cond == Some(true) });
            }
            "elif" => {
                if let Some(f) = self.frames.last_mut() {
                    let cond = eval_player(rest);
                    f.dead = f.taken || cond == Some(false);
                    f.taken |= cond == Some(true);
                }
            }
            "else" => {
                if let Some(f) = self.frames.last_mut() {
                    f.dead = f.taken;
                }
            }
            "endif" => {
                self.frames.pop();
            }
            _ => {}
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Evaluates a `#if` condition for a player build: `UNITY_EDITOR*` symbols are false, `true` and
/// `false` are themselves, every other symbol is unknown (`None`). Malformed input is unknown.
fn eval_player(expr: &str) -> Option<bool> {
    let tokens = tokenize(expr)?;
    let mut p = Parser { t: &tokens, i: 0 };
    let v = p.or();
    if p.i == tokens.len() { v } else { None }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Sym(Option<bool>),
    Not,
    And,
    Or,
    Eq,
    Ne,
    Open,
    Close,
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let two = b.get(i..i + 2);
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b'(' => (out.push(Tok::Open), i += 1).1,
            b')' => (out.push(Tok::Close), i += 1).1,
            b'!' if two == Some(b"!=") => (out.push(Tok::Ne), i += 2).1,
            b'!' => (out.push(Tok::Not), i += 1).1,
            b'&' if two == Some(b"&&") => (out.push(Tok::And), i += 2).1,
            b'|' if two == Some(b"||") => (out.push(Tok::Or), i += 2).1,
            b'=' if two == Some(b"==") => (out.push(Tok::Eq), i += 2).1,
            c if is_ident_start(c) => {
                let start = i;
                while i < b.len() && is_ident_continue(b[i]) {
                    i += 1;
                }
                let word = &s[start..i];
                out.push(Tok::Sym(match word {
                    "true" => Some(true),
                    "false" => Some(false),
                    w if w.starts_with("UNITY_EDITOR") => Some(false),
                    _ => None,
                }));
            }
            _ => return None,
        }
    }
    Some(out)
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
}

impl Parser<'_> {
    fn eat(&mut self, tok: &Tok) -> bool {
        if self.t.get(self.i) == Some(tok) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<bool> {
        let mut v = self.and();
        while self.eat(&Tok::Or) {
            let r = self.and();
            v = match (v, r) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        v
    }

    fn and(&mut self) -> Option<bool> {
        let mut v = self.eq();
        while self.eat(&Tok::And) {
            let r = self.eq();
            v = match (v, r) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
        v
    }

    fn eq(&mut self) -> Option<bool> {
        let mut v = self.unary();
        loop {
            let ne = if self.eat(&Tok::Eq) {
                false
            } else if self.eat(&Tok::Ne) {
                true
            } else {
                return v;
            };
            let r = self.unary();
            v = match (v, r) {
                (Some(a), Some(b)) => Some((a == b) != ne),
                _ => None,
            };
        }
    }

    fn unary(&mut self) -> Option<bool> {
        if self.eat(&Tok::Not) {
            return self.unary().map(|v| !v);
        }
        match self.t.get(self.i) {
            Some(Tok::Open) => {
                self.i += 1;
                let v = self.or();
                if self.eat(&Tok::Close) { v } else { None }
            }
            Some(Tok::Sym(v)) => {
                self.i += 1;
                *v
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(PACKAGE_ASSEMBLIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn editor_usage_outside_guards_only() {
        assert!(uses_unity_editor("using UnityEditor;\nclass A {}"));
        assert!(uses_unity_editor("using UnityEditor.SceneManagement;\nclass A {}"));
        assert!(uses_unity_editor("class A { void F() { UnityEditor.EditorGUILayout.Space(); } }"));
        assert!(uses_unity_editor(
            "class A { void F() { global::UnityEditor.Selection.activeObject = null; } }"
        ));
        assert!(uses_unity_editor("using X = UnityEditorInternal.ReorderableList;"));
        assert!(uses_unity_editor("class A { string s = $\"{UnityEditor.EditorApplication.isPlaying}\"; }"));
        assert!(!uses_unity_editor("#if UNITY_EDITOR\nusing UnityEditor;\n#endif\nclass A {}"));
        assert!(!uses_unity_editor("#if UNITY_EDITOR && DEBUG\nusing UnityEditor;\n#endif"));
        assert!(!uses_unity_editor("#if (UNITY_EDITOR)\n  #if DEBUG\n UnityEditor.X.Y();\n  #endif\n#endif"));
        assert!(!uses_unity_editor("#if !UNITY_EDITOR\nint x;\n#else\nusing UnityEditor;\n#endif"));
        assert!(uses_unity_editor("#if UNITY_EDITOR\n#else\nusing UnityEditor;\n#endif"));
        assert!(uses_unity_editor("#if UNITY_EDITOR || DEBUG\nusing UnityEditor;\n#endif"));
        assert!(uses_unity_editor("#if DEBUG\nusing UnityEditor;\n#endif"));
        assert!(!uses_unity_editor("#if DEBUG\n#elif UNITY_EDITOR\nusing UnityEditor;\n#endif"));
        assert!(!uses_unity_editor(
            "// using UnityEditor;\n/* UnityEditor.X */ class A { string s = \"UnityEditor.X\"; }"
        ));
        assert!(!uses_unity_editor("class A { string s = @\"a\"\" UnityEditor.X\"; char c = '\"'; }"));
        assert!(!uses_unity_editor("class A { int UnityEditorStuff; void F() { Foo.UnityEditor(); } }"));
        assert!(uses_unity_editor("#if UNITY_EDITOR\n#endif\nusing UnityEditor;"));
    }

    #[test]
    fn references_unsafe_and_type() {
        let f = scan(
            "// class Commented {}\nusing TMPro;\nusing UnityEngine.UIElements;\n\
             public unsafe class Hud : MonoBehaviour { UnityEngine.InputSystem.Key k; }",
        );
        assert_eq!(
            f.references.iter().copied().collect::<Vec<_>>(),
            ["Unity.InputSystem", "Unity.TextMeshPro"]
        );
        assert!(f.uses_unsafe);
        assert_eq!(f.first_type.as_deref(), Some("Hud"));
        assert_eq!(scan("public record class Point(int X);").first_type.as_deref(), Some("Point"));
        assert!(!scan("class A { string s = \"unsafe\"; }").uses_unsafe);
    }

    #[test]
    fn player_evaluation() {
        assert_eq!(eval_player("UNITY_EDITOR"), Some(false));
        assert_eq!(eval_player("!UNITY_EDITOR"), Some(true));
        assert_eq!(eval_player("UNITY_EDITOR_WIN || UNITY_EDITOR_OSX"), Some(false));
        assert_eq!(eval_player("DEBUG"), None);
        assert_eq!(eval_player("UNITY_EDITOR == false"), Some(true));
        assert_eq!(eval_player("(UNITY_EDITOR"), None);
    }
}
