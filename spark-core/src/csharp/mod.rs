//! The one C# lexical and preprocessor scanner, shared by extraction (file naming), validation
//! (`#if` structure, editor-only regions) and export (editor usage, package references).
//!
//! Textual on purpose: tree-sitter's C# grammar parses preprocessor branches poorly, and these
//! questions only need the tokens outside comments and literals plus the `#if` structure.
//!
//! # Limits
//! Everything here runs in time linear in the input and in constant stack, whatever the input:
//! - `#if` groups nest at most [`MAX_IF_DEPTH`] deep; deeper groups are still matched with
//!   their `#endif` but not evaluated (their code counts as compiled into players);
//! - interpolation holes (`$"{ $"{ … }" }"`) nest at most [`MAX_HOLE_DEPTH`] deep; a deeper hole
//!   is read as string text;
//! - a `#if` condition longer than [`MAX_CONDITION_BYTES`] is unknown (neither true nor false);
//!   shorter ones are evaluated without recursion, however deep their parentheses.
//!
//! When a limit changed the answer, [`ScriptFacts::limited`] is set so callers can say so.

mod cond;
mod lexer;
pub(crate) mod variants;

use std::collections::BTreeSet;
use std::ops::Range;

/// Deepest `#if` nesting evaluated (real code rarely passes 4).
pub const MAX_IF_DEPTH: usize = 64;
/// Deepest nesting of interpolated strings inside interpolation holes that is followed.
pub const MAX_HOLE_DEPTH: usize = 32;
/// Longest `#if` / `#elif` condition evaluated, in bytes.
pub const MAX_CONDITION_BYTES: usize = 16 * 1024;

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

/// What the scanner learns about one script.
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
    /// A limit of this module was reached: the answers above are approximate.
    pub limited: bool,
}

impl ScriptFacts {
    /// The type the file should be named after: the Unity object type, else the first type.
    pub fn main_type(&self) -> Option<&str> {
        self.unity_type.as_deref().or(self.first_type.as_deref())
    }
}

/// The kind of a conditional-compilation directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirKind {
    If,
    Elif,
    Else,
    Endif,
}

/// A conditional-compilation directive found in code (not in a comment or literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directive {
    pub kind: DirKind,
    /// Byte range of the condition (empty for `#else` / `#endif`).
    pub cond: (usize, usize),
    /// Byte range of the whole line, its newline included.
    pub line: (usize, usize),
}

/// Scans a script once.
pub(crate) fn scan(source: &str) -> ScriptFacts {
    lexer::Lexer::new(source).run().facts
}

/// The conditional-compilation directives of `source`, in order.
pub(crate) fn directives(source: &str) -> Vec<Directive> {
    lexer::Lexer::new(source).run().directives
}

/// Whether `source` uses `UnityEditor` outside `#if UNITY_EDITOR` (and so belongs in an Editor
/// assembly). Comments, string literals and editor-only preprocessor branches do not count.
pub fn uses_unity_editor(source: &str) -> bool {
    scan(source).uses_editor
}

/// The type a script file should be named after: the first class deriving from a Unity object
/// type (`MonoBehaviour`, `ScriptableObject`, `EditorWindow`…), else the first declared class,
/// struct, interface, enum or record. Comments, strings and attributes do not count. A name that
/// is not a C# identifier (the lexer reads any non-ASCII byte as a letter, so damaged text can
/// yield control or replacement characters) is no name.
pub fn main_type_name(source: &str) -> Option<String> {
    let facts = scan(source);
    [facts.unity_type, facts.first_type].into_iter().flatten().find(|n| is_identifier(n))
}

/// A C# identifier as a file stem needs it: a letter or `_`, then letters, digits or `_` (any
/// script's letters; no control, format, replacement or punctuation characters).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !name.contains('\u{fffd}')
}

/// Byte ranges of `source` that a player build never compiles (`#if UNITY_EDITOR` branches and
/// their equivalents), sorted and disjoint. Groups nested deeper than [`MAX_IF_DEPTH`] inside
/// live code are not evaluated.
/// Also says whether a limit of this module was reached on the way (the regions are then
/// approximate).
pub(crate) fn editor_regions(source: &str) -> (Vec<Range<usize>>, bool) {
    inactive_regions(source, &|s| cond::is_editor_symbol(s).then_some(false))
}

/// Byte ranges of `source` never compiled for a Unity version (`#if UNITY_6000_0_OR_NEWER`
/// branches in an older target, `#else` branches of a true one), sorted and disjoint; other
/// symbols are unknown, so their branches stay.
pub(crate) fn version_regions(source: &str, unity: (u32, u32)) -> Vec<Range<usize>> {
    inactive_regions(source, &|s| version_symbol(s, unity)).0
}

/// The value of a Unity version symbol for `unity`: `UNITY_2022_3_OR_NEWER`, `UNITY_2022_3`,
/// `UNITY_2022`; `None` for any other symbol.
fn version_symbol(s: &str, unity: (u32, u32)) -> Option<bool> {
    let rest = s.strip_prefix("UNITY_")?;
    let (nums, newer) = match rest.strip_suffix("_OR_NEWER") {
        Some(n) => (n, true),
        None => (rest, false),
    };
    let mut parts = nums.split('_');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: Option<u32> = match parts.next() {
        Some(m) => Some(m.parse().ok()?),
        None => None,
    };
    if parts.next().is_some() || !(5..=9999).contains(&major) {
        return None;
    }
    Some(match (newer, minor) {
        (true, m) => unity >= (major, m.unwrap_or(0)),
        (false, Some(m)) => unity == (major, m),
        (false, None) => unity.0 == major,
    })
}

/// Byte ranges whose branch is never taken when `symbol` gives each symbol's value (`None`:
/// unknown, so the branch may be taken), plus whether a limit was reached.
fn inactive_regions(source: &str, symbol: &dyn Fn(&str) -> Option<bool>) -> (Vec<Range<usize>>, bool) {
    struct Group {
        /// Whether an earlier branch was taken (true / false / unknown).
        prev: Option<bool>,
        /// Whether the current branch is taken.
        branch: Option<bool>,
        start: usize,
        /// Inside an editor-only branch already (covered by it).
        outer: bool,
    }
    let eval = |d: &Directive| source.get(d.cond.0..d.cond.1).and_then(|c| cond::eval_with(c, symbol));
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut stack: Vec<Group> = Vec::new();
    let mut excess = 0usize;
    let mut dead_open = 0usize;
    let close = |g: &Group, end: usize, out: &mut Vec<Range<usize>>| {
        if !g.outer && g.branch == Some(false) {
            out.push(g.start..end);
        }
    };
    let lexed = lexer::Lexer::new(source).run();
    let mut limited = lexed.facts.limited;
    for d in lexed.directives {
        match d.kind {
            DirKind::If if stack.len() >= MAX_IF_DEPTH => {
                excess += 1;
                limited = true;
            }
            DirKind::If => {
                let c = eval(&d);
                let g = Group { prev: c, branch: c, start: d.line.1, outer: dead_open > 0 };
                dead_open += usize::from(g.branch == Some(false));
                stack.push(g);
            }
            DirKind::Endif if excess > 0 => excess -= 1,
            _ if excess > 0 => {}
            DirKind::Elif | DirKind::Else => {
                if let Some(g) = stack.last_mut() {
                    close(g, d.line.0, &mut out);
                    dead_open -= usize::from(g.branch == Some(false));
                    let c = if d.kind == DirKind::Else { Some(true) } else { eval(&d) };
                    g.branch = and(g.prev.map(|p| !p), c);
                    g.prev = or(g.prev, c);
                    g.start = d.line.1;
                    dead_open += usize::from(g.branch == Some(false));
                }
            }
            DirKind::Endif => {
                if let Some(g) = stack.pop() {
                    dead_open -= usize::from(g.branch == Some(false));
                    close(&g, d.line.0, &mut out);
                }
            }
        }
    }
    // Groups left open run to the end of the file.
    while let Some(g) = stack.pop() {
        close(&g, source.len(), &mut out);
    }
    out.sort_by_key(|r| r.start);
    (out, limited)
}

fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
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

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

#[cfg(test)]
mod tests;

/// Byte ranges inside `#if … #endif` groups (outermost groups only; an unclosed group runs to
/// the end), sorted and disjoint.
pub(crate) fn conditional_ranges(dirs: &[Directive]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for d in dirs {
        match d.kind {
            DirKind::If => open.push(d.line.0),
            DirKind::Endif => {
                if let Some(start) = open.pop()
                    && open.is_empty()
                {
                    out.push(start..d.line.1);
                }
            }
            _ => {}
        }
    }
    if let Some(&start) = open.first() {
        // Unclosed: to the end of the text, wherever that is.
        out.push(start..usize::MAX);
    }
    out
}
