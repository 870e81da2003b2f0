//! The output policy: an after-call guard that keeps generated code with blocking security
//! findings from being handed out silently, and redacts hard-coded secrets.
//!
//! - A finding blocks when its rule matches `[output] block` (default `SPK2*`, every security
//!   rule) at or above `block_on` (default `error`), unless `[output] allow` names its rule or the
//!   caller opted in (`[output] allow_unsafe`, or [`GenerateRequest::allow_unsafe`]). A blocked
//!   result is not an error: it carries [`Blocked`] with the rule ids and findings, its files
//!   move to [`Blocked::withheld_files`] and export refuses it with
//!   [`Error::OutputBlocked`] unless the export settings say `allow_unsafe`.
//! - Every string literal the validator reports as a hard-coded secret (`SPK2009`) is replaced
//!   with `"REDACTED"` in the files, the raw reply and the diagnostics' messages, whatever the
//!   policy says, and an `SPK2019` warning records it. The detection is the validator's own:
//!   there is no second scanner to drift from it.
//!
//! [`GenerateRequest::allow_unsafe`]: crate::GenerateRequest::allow_unsafe

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Guard, GuardAction, GuardInput, Verdict};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::result::{Blocked, GeneratedScripts};
use crate::validate::{RULES, ValidationConfig, rules};

/// Name of the output policy guard in verdicts.
pub const OUTPUT_GUARD: &str = "output_policy";

/// The validator's rule for a hard-coded secret; its findings are what gets redacted.
const SECRET_RULE: &str = "SPK2009";
/// The warning recording a redaction.
const REDACTED_RULE: &str = "SPK2019";
/// What a secret literal becomes: still a string literal, so the code still compiles.
const REDACTED: &str = "REDACTED";

/// The output policy (`[output]` in the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Hand out code whatever its findings (they stay in the diagnostics). Secrets are still
    /// redacted.
    pub allow_unsafe: bool,
    /// Rule ids whose findings never block (`["SPK2007"]`).
    pub allow: Vec<String>,
    /// Rules whose findings block: ids (`SPK2001`) or prefixes ending in `*` (`SPK2*`, every
    /// security rule).
    pub block: Vec<String>,
    /// Lowest severity of a blocking finding (a rule's severity can be changed in
    /// `[validation.severity]`).
    pub block_on: Severity,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            allow_unsafe: false,
            allow: Vec::new(),
            block: vec!["SPK2*".into()],
            block_on: Severity::Error,
        }
    }
}

impl OutputConfig {
    /// Checks that every rule id and pattern names a rule; the error names the field.
    pub fn validate(&self) -> Result<()> {
        for id in &self.allow {
            if rules::rule(id).is_none() {
                return Err(Error::config("output.allow", format!("unknown rule id `{id}`")));
            }
        }
        for p in &self.block {
            let known = match p.strip_suffix('*') {
                Some(prefix) => RULES.iter().any(|r| r.id.starts_with(prefix)),
                None => rules::rule(p).is_some(),
            };
            if !known {
                return Err(Error::config("output.block", format!("`{p}` names no rule")));
            }
        }
        Ok(())
    }
}

/// The output policy as a [`Guard`]: runs after the result is built.
#[derive(Debug, Clone)]
pub struct OutputGuard {
    config: OutputConfig,
    /// The `allow` list with Unity analyzer ids turned into SPARK ids.
    allow: Vec<&'static str>,
    /// The severity of the redaction warning, `None` when `SPK2019` is disabled.
    redacted_severity: Option<Severity>,
}

impl OutputGuard {
    /// A guard applying `config`; `validation` decides the redaction warning's severity.
    pub fn new(config: OutputConfig, validation: &ValidationConfig) -> Result<Self> {
        config.validate()?;
        let allow = config.allow.iter().filter_map(|id| rules::rule(id)).map(|r| r.id).collect();
        let redacted_severity = rules::rule(REDACTED_RULE).and_then(|r| validation.effective_severity(r));
        Ok(OutputGuard { config, allow, redacted_severity })
    }

    /// Whether `d` is a blocking finding under the configured rules, before any allowance.
    fn blocks(&self, d: &Diagnostic) -> bool {
        // The redaction note is about SPARK's own change, not the code.
        d.rule != REDACTED_RULE
            && d.severity >= self.config.block_on
            && self.config.block.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => d.rule.starts_with(prefix),
                None => rules::rule(p).is_some_and(|r| r.id == d.rule),
            })
    }

    /// Applies the policy to `result`: redacts secrets, then blocks or lets the findings through.
    pub fn apply(&self, allow_unsafe: bool, result: &mut GeneratedScripts) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        let redacted = redact_secrets(result);
        for (file, count) in &redacted {
            let message = format!("{count} hard-coded secret(s) in {file} replaced with \"{REDACTED}\"");
            verdicts.push(Verdict::new(OUTPUT_GUARD, "secret_redacted", 1.0, GuardAction::Warn, &message));
            if let Some(severity) = self.redacted_severity {
                result.diagnostics.push(Diagnostic {
                    severity,
                    rule: REDACTED_RULE.into(),
                    message,
                    file: file.clone(),
                    line: 1,
                    column: 1,
                    end_line: 1,
                    end_column: 1,
                });
            }
        }
        if !redacted.is_empty() {
            result.diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        }
        // After redaction, so no finding's message quotes a secret.
        let findings: Vec<Diagnostic> =
            result.diagnostics.iter().filter(|d| self.blocks(d)).cloned().collect();
        let (allowed, blocking): (Vec<Diagnostic>, Vec<Diagnostic>) =
            findings.into_iter().partition(|d| self.allow.contains(&d.rule.as_str()));
        for rule in rule_ids(&allowed) {
            let v =
                Verdict::new(OUTPUT_GUARD, rule, 1.0, GuardAction::Allow, "let through by `output.allow`");
            verdicts.push(v);
        }
        if blocking.is_empty() {
            return verdicts;
        }
        let rules = rule_ids(&blocking);
        if allow_unsafe || self.config.allow_unsafe {
            for rule in &rules {
                let why = "blocking finding let through: the caller allowed unsafe output";
                verdicts.push(Verdict::new(OUTPUT_GUARD, rule.clone(), 1.0, GuardAction::Warn, why));
            }
            return verdicts;
        }
        for rule in &rules {
            let n = blocking.iter().filter(|d| &d.rule == rule).count();
            let why = format!("{n} blocking finding(s); files withheld (allow_unsafe lets them out)");
            verdicts.push(Verdict::new(OUTPUT_GUARD, rule.clone(), 1.0, GuardAction::Block, why));
        }
        result.blocked =
            Some(Blocked { rules, findings: blocking, withheld_files: std::mem::take(&mut result.files) });
        verdicts
    }
}

#[async_trait]
impl Guard for OutputGuard {
    fn name(&self) -> &str {
        OUTPUT_GUARD
    }

    async fn after_request(
        &self,
        input: &GuardInput<'_>,
        result: &mut GeneratedScripts,
    ) -> Result<Vec<Verdict>> {
        Ok(self.apply(input.allow_unsafe, result))
    }
}

fn rule_ids(ds: &[Diagnostic]) -> Vec<String> {
    ds.iter().map(|d| d.rule.clone()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Replaces every `SPK2009` literal of `result`'s files with `"REDACTED"`, and every other
/// occurrence of its text in the files, the raw reply and the diagnostics' messages with
/// `REDACTED`. Returns how many literals each file had, in file order.
fn redact_secrets(result: &mut GeneratedScripts) -> Vec<(String, usize)> {
    if !result.diagnostics.iter().any(|d| d.rule == SECRET_RULE) {
        return Vec::new();
    }
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    let mut counts = Vec::new();
    for file in &mut result.files {
        let mut spans: Vec<(usize, usize)> = result
            .diagnostics
            .iter()
            .filter(|d| d.rule == SECRET_RULE && d.file == file.path)
            .filter_map(|d| {
                let start = byte_at(&file.content, d.line, d.column)?;
                let end = byte_at(&file.content, d.end_line, d.end_column)?;
                (start < end).then_some((start, end))
            })
            .collect();
        spans.sort_unstable();
        spans.dedup();
        let mut count = 0;
        let mut last_start = usize::MAX;
        // Back to front, so earlier offsets stay valid; overlapping spans are skipped.
        for &(start, end) in spans.iter().rev() {
            if end > last_start {
                continue;
            }
            let literal = &file.content[start..end];
            let Some(inner) = literal_text(literal) else { continue };
            if !inner.is_empty() {
                secrets.insert(inner.to_string());
            }
            // Keep the line count, so every other diagnostic still points at its line.
            let newlines = literal.matches('\n').count();
            let replacement = format!("\"{REDACTED}\"{}", "\n".repeat(newlines));
            file.content.replace_range(start..end, &replacement);
            last_start = start;
            count += 1;
        }
        if count > 0 {
            counts.push((file.path.clone(), count));
        }
    }
    if secrets.is_empty() {
        return counts;
    }
    // The same secret elsewhere (a comment, a second literal, the raw reply) goes too. Longest
    // first, so a secret containing another is replaced whole.
    let mut secrets: Vec<String> = secrets.into_iter().collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for file in &mut result.files {
        file.content = scrub(&file.content, &secrets);
    }
    result.raw = scrub(&result.raw, &secrets);
    for d in result.diagnostics.iter_mut().chain(
        result
            .rounds
            .iter_mut()
            .flat_map(|r| r.diagnostics_before.iter_mut().chain(r.diagnostics_after.iter_mut())),
    ) {
        d.message = scrub(&d.message, &secrets);
    }
    counts
}

/// `text` with every occurrence of each of `secrets` replaced by `REDACTED`.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        // Short texts could be ordinary words; the validator only reports literals of 8+ bytes.
        if s.len() >= 8 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    out
}

/// The text between the quotes of a C# string literal (`"…"`, `@"…"`, `"""…"""`), or `None`
/// when `s` is not one.
fn literal_text(s: &str) -> Option<&str> {
    let body = s.strip_prefix('@').unwrap_or(s);
    if body.len() < 2 || !body.starts_with('"') || !body.ends_with('"') {
        return None;
    }
    let inner = body.trim_matches('"');
    Some(inner.trim())
}

/// The byte offset of 1-based `line` and character `column` in `text` (lines split at `\n`,
/// as the validator counts them).
fn byte_at(text: &str, line: u32, column: u32) -> Option<usize> {
    let line_start =
        if line <= 1 { 0 } else { text.match_indices('\n').nth(line as usize - 2).map(|(i, _)| i + 1)? };
    let rest = &text[line_start..];
    let col = column.checked_sub(1)? as usize;
    let offset = match rest.char_indices().nth(col) {
        Some((i, _)) => i,
        None if rest.chars().count() == col => rest.len(),
        None => return None,
    };
    Some(line_start + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_follow_character_columns() {
        let text = "ab\n→cd\n";
        assert_eq!(byte_at(text, 1, 1), Some(0));
        assert_eq!(byte_at(text, 2, 1), Some(3));
        assert_eq!(byte_at(text, 2, 2), Some(6));
        assert_eq!(byte_at(text, 2, 4), Some(8));
        assert_eq!(byte_at(text, 3, 1), Some(9));
        assert_eq!(byte_at(text, 5, 1), None);
        assert_eq!(byte_at(text, 1, 0), None);
    }

    #[test]
    fn literal_shapes() {
        assert_eq!(literal_text("\"abc\""), Some("abc"));
        assert_eq!(literal_text("@\"a\"\"b\""), Some("a\"\"b"));
        assert_eq!(literal_text("\"\"\"\n  raw\n  \"\"\""), Some("raw"));
        assert_eq!(literal_text("key"), None);
        assert_eq!(literal_text("\""), None);
    }

    #[test]
    fn patterns_are_checked() {
        assert!(OutputConfig::default().validate().is_ok());
        let bad = OutputConfig { allow: vec!["SPK2999".into()], ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("output.allow"));
        let bad = OutputConfig { block: vec!["XYZ*".into()], ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("output.block"));
    }
}
