//! Validation of generated C#: syntax, Unity rules, security scan.
//!
//! Every file is parsed once with tree-sitter-c-sharp (one parser per thread, reused); the tree is
//! walked once and every rule looks at the nodes it cares about on the way. Rules only need
//! syntax, so validation works on a single snippet without a Unity project. Each finding is a
//! [`Diagnostic`] with a stable rule id from [`rules::RULES`]; [`ValidationConfig`] decides which
//! rules run, at which severity, and which severities block (trigger repair, fail the request).
//!
//! ```
//! use spark_core::validate::{validate_source, ValidationConfig};
//! let d = validate_source("class Player : MonoBehaviour { void Update() { if (tag == \"Enemy\") {} } }",
//!                         "Player.cs", &ValidationConfig::default());
//! assert_eq!(d[0].rule, "SPK1005");
//! assert_eq!(d[0].to_string(), "Player.cs:1:52: warning[SPK1005]: compare tags with CompareTag(\"Enemy\") instead of `==`: it does not allocate (UNT0002)");
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::extract::ScriptFile;

mod classes;
mod ctx;
mod preproc;
mod project;
pub mod rules;
mod security;
mod source;
mod stream;
mod syntax;
mod target;
mod tree;
mod unity;
mod walk;

pub use project::{ProjectFile, validate_project, validate_project_until};
pub use rules::{Category, RULES, Rule};
pub use stream::{MAX_STREAMED_BYTES, StreamingValidation};

pub use crate::diagnostic::{Diagnostic, Severity};

/// Validation policy (`[validation]` in the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    /// Diagnostics at or above this severity block (trigger repair; fail when `fail_on_blocking`).
    pub block_on: Severity,
    /// Rule ids that are not reported (`SPK1005`, or the Unity analyzer id `UNT0002`).
    pub disabled_rules: Vec<String>,
    /// Severity per rule id, replacing the rule's default (`{ SPK2007 = "error" }`).
    pub severity: BTreeMap<String, Severity>,
    /// Return `Error::ValidationFailed` when blocking diagnostics remain after repair, instead of
    /// a result carrying them.
    pub fail_on_blocking: bool,
    /// Unity version the scripts must compile with (`2022.3`, `6000.0`): decides the C# version
    /// (SPK1020) and which APIs are gone. Unset: the facade uses `generation.unity_version`, and
    /// a bare `validate_source` assumes Unity 2022.3 (C# 9, like every Unity since 2021.2).
    pub unity_version: Option<String>,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            block_on: Severity::Error,
            disabled_rules: Vec::new(),
            severity: BTreeMap::new(),
            fail_on_blocking: false,
            unity_version: None,
        }
    }
}

/// Whether `v` is a Unity version a request may name: `2022.3`, `6000.0`, `2021.3.15f1`, `6`,
/// nothing else (it is written into the system prompt, so free text is refused).
pub(crate) fn is_request_unity_version(v: &str) -> bool {
    v.len() <= 16
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        && v.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && target::parse_unity(v).is_some()
}

impl ValidationConfig {
    /// Checks that every rule id named exists and the Unity version reads; the error names the
    /// field.
    pub fn validate(&self) -> Result<()> {
        if let Some(v) = &self.unity_version
            && target::parse_unity(v).is_none()
        {
            return Err(Error::config(
                "validation.unity_version",
                format!("`{v}` is not a Unity version like `2022.3` or `6000.0`"),
            ));
        }
        for id in &self.disabled_rules {
            if rules::rule(id).is_none() {
                return Err(Error::config("validation.disabled_rules", format!("unknown rule id `{id}`")));
            }
        }
        for id in self.severity.keys() {
            if rules::rule(id).is_none() {
                return Err(Error::config("validation.severity", format!("unknown rule id `{id}`")));
            }
        }
        Ok(())
    }

    /// This policy targeting `unity` whatever it says (a request's own Unity version).
    pub(crate) fn for_unity(&self, unity: &str) -> ValidationConfig {
        ValidationConfig { unity_version: Some(unity.to_string()), ..self.clone() }
    }

    /// This policy with `unity_version` filled from `default` when unset (the facade passes
    /// `generation.unity_version`, so generation and validation target the same Unity).
    pub fn with_unity_default(&self, default: &str) -> ValidationConfig {
        let mut c = self.clone();
        c.unity_version.get_or_insert_with(|| default.to_string());
        c
    }

    /// Whether `d` blocks under this policy.
    pub fn is_blocking(&self, d: &Diagnostic) -> bool {
        d.severity >= self.block_on
    }

    /// The severity rule `rule` reports at under this policy, or `None` when it is disabled.
    pub fn effective_severity(&self, rule: &Rule) -> Option<Severity> {
        let named = |id: &String| id == rule.id || Some(id.as_str()) == rule.unity_analyzer;
        if self.disabled_rules.iter().any(named) {
            return None;
        }
        let over = self.severity.iter().find(|(k, _)| named(k)).map(|(_, v)| *v);
        Some(over.unwrap_or(rule.severity))
    }
}

/// Validates one C# file. Never panics; returns the diagnostics sorted by position.
pub fn validate_source(source: &str, file_name: &str, config: &ValidationConfig) -> Vec<Diagnostic> {
    if let Some(d) = too_deep(source, file_name) {
        return vec![d];
    }
    let never = CancelToken::new();
    let Ok(Some(src)) = source::Source::parse_with(source, &never) else {
        return vec![internal(file_name)];
    };
    let classes = classes::collect_classes(&src);
    let known = classes::resolve_unity(&classes.iter().collect::<Vec<_>>());
    run(&src, file_name, config, &known, &never).unwrap_or_default()
}

/// Validates raw bytes, e.g. a file read from disk. Text that is not UTF-8 is reported as an
/// `SPK0004` diagnostic at the first bad byte, and the rest is validated as decoded with
/// replacement characters; it is a finding to repair, not an error of the caller.
pub fn validate_bytes(bytes: &[u8], file_name: &str, config: &ValidationConfig) -> Vec<Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => validate_source(text, file_name, config),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes);
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let (line, column) = source::line_col_of(valid, valid.len());
            let mut out = validate_source(&text, file_name, config);
            if let Some(sev) = rules::rule("SPK0004").and_then(|r| config.effective_severity(r)) {
                out.push(Diagnostic {
                    severity: sev,
                    rule: "SPK0004".into(),
                    message: format!(
                        "invalid UTF-8 byte 0x{:02x}; save the file as UTF-8",
                        bytes[e.valid_up_to()]
                    ),
                    file: file_name.to_string(),
                    line,
                    column,
                    end_line: line,
                    end_column: column + 1,
                });
                sort(&mut out);
            }
            out
        }
    }
}

/// Validates a set of files: each on its own, with class inheritance resolved across the set (a
/// class deriving from another file's MonoBehaviour is a MonoBehaviour too).
pub fn validate_files(files: &[ScriptFile], config: &ValidationConfig) -> Vec<Diagnostic> {
    // A token nobody cancels and without deadline never stops the work.
    validate_files_with(files, config, &CancelToken::new()).unwrap_or_default()
}

/// [`validate_files`], stopping with `Error::Cancelled` or `Error::Timeout` as soon as `cancel`
/// says so: it is checked between files, inside tree-sitter parses and every few thousand
/// nodes of a walk, so a deadline bounds the CPU spent on a huge reply.
pub fn validate_files_with(
    files: &[ScriptFile],
    config: &ValidationConfig,
    cancel: &CancelToken,
) -> Result<Vec<Diagnostic>> {
    let mut parsed: Vec<Option<source::Source<'_>>> = Vec::with_capacity(files.len());
    let mut deep: Vec<Option<Diagnostic>> = Vec::with_capacity(files.len());
    for f in files {
        cancel.check()?;
        let d = too_deep(&f.content, &f.path);
        parsed.push(if d.is_some() { None } else { source::Source::parse_with(&f.content, cancel)? });
        deep.push(d);
    }
    let classes: Vec<Vec<classes::ClassDecl>> =
        parsed.iter().map(|p| p.as_ref().map(classes::collect_classes).unwrap_or_default()).collect();
    let known = classes::resolve_unity(&classes.iter().flatten().collect::<Vec<_>>());
    let mut out = Vec::new();
    for ((f, p), d) in files.iter().zip(&parsed).zip(deep) {
        cancel.check()?;
        match (p, d) {
            (_, Some(d)) => out.push(d),
            (Some(src), None) => out.extend(run(src, &f.path, config, &known, cancel)?),
            (None, None) => out.push(internal(&f.path)),
        }
    }
    Ok(out)
}

/// A file that nests past the scanner's limits (interpolated strings inside holes past
/// [`crate::csharp::MAX_HOLE_DEPTH`], `#if` past [`crate::csharp::MAX_IF_DEPTH`]) is not parsed:
/// no real script does that, and the parse tree of such a reply costs time and memory out of
/// all proportion (100,000 nested `$"{` take seconds to parse and to free). It gets one error
/// instead, which the repair loop sends back.
fn too_deep(text: &str, file: &str) -> Option<Diagnostic> {
    let may_nest =
        text.contains("$\"") || text.contains("$@\"") || text.contains("@$\"") || text.contains("#if");
    if !may_nest || !crate::csharp::scan(text).limited {
        return None;
    }
    Some(Diagnostic {
        severity: Severity::Error,
        rule: "SPK0001".into(),
        message: format!(
            "nesting deeper than any script needs (`#if` groups past {} levels or interpolated strings past {}): \
             the file was not analysed; flatten it",
            crate::csharp::MAX_IF_DEPTH,
            crate::csharp::MAX_HOLE_DEPTH
        ),
        file: file.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
    })
}

fn internal(file: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        rule: "SPK0001".into(),
        message: "the parser could not process this file".into(),
        file: file.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
    }
}

fn run(
    src: &source::Source<'_>,
    file: &str,
    config: &ValidationConfig,
    known: &HashMap<String, classes::UnityKind>,
    cancel: &CancelToken,
) -> Result<Vec<Diagnostic>> {
    run_in(src, file, config, known, false, cancel)
}

/// [`run`] for a file the project knows to be editor code (`editor`) beyond its path.
fn run_in(
    src: &source::Source<'_>,
    file: &str,
    config: &ValidationConfig,
    known: &HashMap<String, classes::UnityKind>,
    editor: bool,
    cancel: &CancelToken,
) -> Result<Vec<Diagnostic>> {
    let mut sink = Sink { src, file, config, out: Vec::new(), editor };
    if src.limited {
        // Silence would read as "checked and clean": say where the analysis stopped.
        sink.emit_at(
            "SPK0001",
            (1, 1, 1, 1),
            format!(
                "nesting deeper than SPARK analyses (`#if` groups past {} levels or interpolated strings \
                 past {}): the code past that depth is not fully analysed",
                crate::csharp::MAX_IF_DEPTH,
                crate::csharp::MAX_HOLE_DEPTH
            ),
        );
    }
    preproc::check(src, &mut sink, cancel)?;
    walk::walk(src, file, known, &mut sink, cancel)?;
    let mut out = sink.out;
    sort(&mut out);
    Ok(out)
}

fn sort(out: &mut Vec<Diagnostic>) {
    out.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    out.dedup_by(|a, b| a.line == b.line && a.column == b.column && a.rule == b.rule);
}

/// Collects diagnostics for one file, applying the policy (disabled rules, severity overrides).
pub(crate) struct Sink<'a> {
    src: &'a source::Source<'a>,
    file: &'a str,
    config: &'a ValidationConfig,
    out: Vec<Diagnostic>,
    /// The project says the file is editor code (an editor-only asmdef's folder).
    editor: bool,
}

impl Sink<'_> {
    pub fn emit_node(&mut self, rule: &str, node: Node<'_>, message: String) {
        let (l, c) = self.src.line_col(node.start_byte(), node.start_position());
        let (el, ec) = self.src.line_col(node.end_byte(), node.end_position());
        self.emit_at(rule, (l, c, el, ec), message);
    }

    pub fn emit_bytes(&mut self, rule: &str, start: usize, end: usize, message: String) {
        let (l, c) = source::line_col_of(self.src.text, start);
        let (el, ec) = source::line_col_of(self.src.text, end);
        self.emit_at(rule, (l, c, el, ec), message);
    }

    pub fn emit_at(
        &mut self,
        rule: &str,
        (line, column, end_line, end_column): (u32, u32, u32, u32),
        message: String,
    ) {
        let Some(r) = rules::rule(rule) else { return };
        let Some(severity) = self.config.effective_severity(r) else { return };
        let message = match r.unity_analyzer {
            Some(unt) => format!("{message} ({unt})"),
            None => message,
        };
        self.out.push(Diagnostic {
            severity,
            rule: r.id.to_string(),
            message,
            file: self.file.to_string(),
            line,
            column,
            end_line,
            end_column,
        });
    }
}
