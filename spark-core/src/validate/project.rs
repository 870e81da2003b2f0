//! Validation of a whole Unity project (or a generation's set of files) at once: which files
//! are editor code (Editor folders, editor-only assembly definitions), which assembly each file
//! compiles into, and type names declared twice in one assembly.
//!
//! Unity compiles a file into the assembly of the nearest `.asmdef` up its folders; without one,
//! into `Assembly-CSharp` (`Assembly-CSharp-Editor` under an `Editor` folder, the `-firstpass`
//! variants under `Plugins/` or `Standard Assets/`). An asmdef whose `includePlatforms` is
//! exactly `["Editor"]` is editor-only: `UnityEditor` is fine in its files
//! (<https://docs.unity3d.com/Manual/cus-asmdef.html>, "Platforms").

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use super::{Diagnostic, Sink, ValidationConfig, classes, source, too_deep};
use crate::cancel::CancelToken;
use crate::error::Result;

/// A file of a project given by its host: a path relative to the project (`Assets/Player.cs`,
/// `Assets/Editor/Tools.asmdef`; `/` or `\` separated) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFile {
    /// Path relative to the project or scripts folder; folders decide editor code and assemblies.
    pub path: String,
    /// The file's text (C# source, or the JSON of an assembly definition).
    pub content: String,
}

impl ProjectFile {
    /// A file from its path and text.
    pub fn new(path: impl Into<String>, content: impl Into<String>) -> Self {
        ProjectFile { path: path.into(), content: content.into() }
    }
}

/// Validates `files` as one project: each file as [`validate_source`](super::validate_source)
/// does, with class inheritance resolved across the set, plus
/// - `SPK1002` knows editor code: a file under an `Editor` folder, or under the folder of an
///   asmdef (the nearest one up its folders) whose `includePlatforms` is exactly `["Editor"]`;
/// - `SPK1027`: a type (namespace + name + generic arity) declared by two files of one
///   assembly, reported at the second declaration (`partial` types and declarations inside
///   `#if` are left alone);
/// - `SPK1028`: an asmdef that is not valid JSON or not shaped like one, at its position.
///
/// Diagnostics come file by file in the order given, each sorted by position. Never panics.
///
/// ```
/// use spark_core::validate::{ProjectFile, ValidationConfig, validate_project};
/// let tool = "using UnityEditor;\npublic static class Tool { [MenuItem(\"A/B\")] static void Run() {} }";
/// let asmdef = r#"{ "name": "Game.Tools", "includePlatforms": ["Editor"] }"#;
/// let d = validate_project(
///     &[ProjectFile::new("Assets/Tools/Tool.cs", tool)],
///     &[ProjectFile::new("Assets/Tools/Game.Tools.asmdef", asmdef)],
///     &ValidationConfig::default(),
/// );
/// assert!(d.is_empty(), "{d:?}");
/// ```
pub fn validate_project(
    files: &[ProjectFile],
    asmdefs: &[ProjectFile],
    config: &ValidationConfig,
) -> Vec<Diagnostic> {
    let files: Vec<(&str, &str)> = files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
    let asmdefs: Vec<(&str, &str)> = asmdefs.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
    // A token nobody cancels and without deadline never stops the work.
    validate_project_until(&files, &asmdefs, config, &CancelToken::new()).unwrap_or_default()
}

/// [`validate_project`] over borrowed `(path, content)` pairs, stopping with `Error::Cancelled`
/// or `Error::Timeout` as soon as `cancel` says so (checked between files and inside parses).
pub fn validate_project_until(
    files: &[(&str, &str)],
    asmdefs: &[(&str, &str)],
    config: &ValidationConfig,
    cancel: &CancelToken,
) -> Result<Vec<Diagnostic>> {
    validate_project_parsed(files, asmdefs, config, cancel, Vec::new())
}

/// [`validate_project_until`], each file's parse starting from `prior[i]`, a parse of an earlier
/// text of file `i` (see [`source::Source::parse_reusing`]); missing entries parse afresh.
pub(crate) fn validate_project_parsed(
    files: &[(&str, &str)],
    asmdefs: &[(&str, &str)],
    config: &ValidationConfig,
    cancel: &CancelToken,
    mut prior: Vec<Option<source::Parsed>>,
) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    let defs: Vec<AsmDef> = asmdefs.iter().map(|(p, c)| AsmDef::read(p, c, config, &mut out)).collect();
    let mut parsed: Vec<Option<source::Source<'_>>> = Vec::with_capacity(files.len());
    let mut deep: Vec<Option<Diagnostic>> = Vec::with_capacity(files.len());
    for (i, (path, content)) in files.iter().enumerate() {
        cancel.check()?;
        let d = too_deep(content, path);
        let prior = prior.get_mut(i).and_then(Option::take);
        parsed.push(if d.is_some() { None } else { source::Source::parse_reusing(content, prior, cancel)? });
        deep.push(d);
    }
    let decls: Vec<Vec<classes::ClassDecl>> =
        parsed.iter().map(|p| p.as_ref().map(classes::collect_classes).unwrap_or_default()).collect();
    let known = classes::resolve_unity(&decls.iter().flatten().collect::<Vec<_>>());
    let mut seen: HashMap<(String, String), (usize, u32)> = HashMap::new();
    for (i, (((path, _), p), d)) in files.iter().zip(&parsed).zip(deep).enumerate() {
        cancel.check()?;
        let place = Placement::of(path, &defs);
        let Some(src) = p else {
            out.push(d.unwrap_or_else(|| super::internal(path)));
            continue;
        };
        let mut diags = super::run_in(src, path, config, &known, place.editor, cancel)?;
        let mut sink = Sink { src, file: path, config, out: Vec::new(), editor: place.editor };
        for (name, node) in declared_types(src) {
            let here = src.line_col(node.start_byte(), node.start_position()).0;
            match seen.get(&(place.assembly.clone(), name.clone())) {
                Some(&(first, line)) if first != i => sink.emit_node(
                    "SPK1027",
                    node,
                    format!(
                        "type `{name}` is already declared in `{}` (line {line}) of the same assembly \
                         (`{}`); rename one, or make both `partial`",
                        files[first].0, place.assembly
                    ),
                ),
                Some(_) => {}
                None => {
                    seen.insert((place.assembly.clone(), name), (i, here));
                }
            }
        }
        diags.append(&mut sink.out);
        super::sort(&mut diags);
        out.append(&mut diags);
    }
    Ok(out)
}

/// An assembly definition as far as placement needs it.
struct AsmDef {
    /// Folder the asmdef sits in, `/`-separated, without trailing `/` (`""` at the root).
    folder: String,
    /// Assembly name (`name`, else the asmdef's path).
    assembly: String,
    editor_only: bool,
}

impl AsmDef {
    /// Reads one asmdef; a malformed one is reported (`SPK1028`) and treated as a runtime
    /// assembly of its own, which is what Unity does with its files until it is fixed.
    fn read(path: &str, content: &str, config: &ValidationConfig, out: &mut Vec<Diagnostic>) -> AsmDef {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Shape {
            name: Option<String>,
            #[serde(default)]
            include_platforms: Vec<String>,
        }
        let norm = normalize(path);
        let folder = norm.rsplit_once('/').map(|(f, _)| f.to_string()).unwrap_or_default();
        let text = content.strip_prefix('\u{feff}').unwrap_or(content);
        match serde_json::from_str::<Shape>(text) {
            Ok(s) => AsmDef {
                folder,
                assembly: s.name.filter(|n| !n.trim().is_empty()).unwrap_or(norm),
                editor_only: s.include_platforms.len() == 1 && s.include_platforms[0] == "Editor",
            },
            Err(e) => {
                let (line, column) = (e.line().max(1) as u32, e.column().max(1) as u32);
                if let Some(sev) = super::rules::rule("SPK1028").and_then(|r| config.effective_severity(r)) {
                    out.push(Diagnostic {
                        severity: sev,
                        rule: "SPK1028".into(),
                        message: format!(
                            "assembly definition is not valid: {e}; Unity ignores it until fixed"
                        ),
                        file: path.to_string(),
                        line,
                        column,
                        end_line: line,
                        end_column: column + 1,
                    });
                }
                AsmDef { folder, assembly: norm, editor_only: false }
            }
        }
    }
}

/// Where a file compiles.
struct Placement {
    assembly: String,
    editor: bool,
}

impl Placement {
    fn of(path: &str, defs: &[AsmDef]) -> Placement {
        let norm = normalize(path);
        let folders: Vec<&str> = norm.split('/').collect();
        let folders = &folders[..folders.len().saturating_sub(1)];
        let editor_folder = folders.iter().any(|c| c.eq_ignore_ascii_case("editor"));
        let owner = defs
            .iter()
            .filter(|d| {
                d.folder.is_empty()
                    || (norm.len() > d.folder.len()
                        && norm.starts_with(d.folder.as_str())
                        && norm.as_bytes()[d.folder.len()] == b'/')
            })
            .max_by_key(|d| d.folder.len());
        match owner {
            Some(d) => Placement { assembly: d.assembly.clone(), editor: editor_folder || d.editor_only },
            None => {
                let rest = match folders.first() {
                    Some(a) if a.eq_ignore_ascii_case("assets") => &folders[1..],
                    _ => folders,
                };
                let first = rest.first().copied().unwrap_or("");
                let firstpass = ["Plugins", "Standard Assets", "Pro Standard Assets"]
                    .iter()
                    .any(|p| first.eq_ignore_ascii_case(p));
                let name = match (editor_folder, firstpass) {
                    (false, false) => "Assembly-CSharp",
                    (true, false) => "Assembly-CSharp-Editor",
                    (false, true) => "Assembly-CSharp-firstpass",
                    (true, true) => "Assembly-CSharp-Editor-firstpass",
                };
                Placement { assembly: name.to_string(), editor: editor_folder }
            }
        }
    }
}

/// `\` to `/`, without `./` prefixes or empty components.
fn normalize(path: &str) -> String {
    path.split(['/', '\\']).filter(|c| !c.is_empty() && *c != ".").collect::<Vec<_>>().join("/")
}

/// Types a file declares unconditionally and not `partial`, with their qualified names
/// (`Game.Player`, `Game.Outer.Inner`, `Pool`1` for a generic).
fn declared_types<'t>(src: &'t source::Source<'_>) -> Vec<(String, Node<'t>)> {
    let conditional = &src.conditional;
    let mut out = Vec::new();
    // (node, qualifier); children of a file-scoped namespace follow it as siblings.
    let mut stack = vec![(src.tree.root_node(), String::new())];
    while let Some((n, qual)) = stack.pop() {
        let mut scoped = qual.clone();
        let mut c = n.walk();
        for ch in n.named_children(&mut c) {
            let kind = ch.kind();
            let name = ch.child_by_field_name("name").map(|x| src.t(x).trim().to_string());
            match kind {
                "namespace_declaration" | "file_scoped_namespace_declaration" => {
                    let q = join(&scoped, name.as_deref().unwrap_or(""));
                    if kind == "file_scoped_namespace_declaration" {
                        scoped = q.clone();
                    }
                    stack.push((ch.child_by_field_name("body").unwrap_or(ch), q));
                }
                "class_declaration"
                | "struct_declaration"
                | "interface_declaration"
                | "enum_declaration"
                | "record_declaration"
                | "record_struct_declaration"
                | "delegate_declaration" => {
                    let Some(name) = name.filter(|n| !n.is_empty()) else { continue };
                    let arity = ch
                        .named_children(&mut ch.walk())
                        .find(|t| t.kind() == "type_parameter_list")
                        .map(|t| {
                            t.named_children(&mut t.walk()).filter(|p| p.kind() == "type_parameter").count()
                        })
                        .unwrap_or(0);
                    let simple = if arity > 0 { format!("{name}`{arity}") } else { name };
                    let q = join(&scoped, &simple);
                    let partial = classes::has_modifier(ch, src, "partial");
                    let start = ch.start_byte();
                    let inside_if = conditional.iter().any(|r| r.contains(&start));
                    if !partial && !inside_if && !ch.has_error() {
                        let at = ch.child_by_field_name("name").unwrap_or(ch);
                        out.push((q.clone(), at));
                    }
                    if let Some(body) = ch.child_by_field_name("body") {
                        stack.push((body, q));
                    }
                }
                k if k.starts_with("preproc_") || k == "declaration_list" || ch.is_error() => {
                    stack.push((ch, scoped.clone()));
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|(_, n)| n.start_byte());
    out
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() { b.to_string() } else { format!("{a}.{b}") }
}
