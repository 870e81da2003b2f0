//! Validation behind the stream: the code blocks of a reply are parsed while it arrives, so that
//! when the last piece comes only its tail is parsed again.
//!
//! Every open code block keeps a tree-sitter tree of its text so far; appended text becomes a
//! [`tree_sitter::InputEdit`] at the end and a re-parse that reuses the old tree. When a block
//! closes, or earlier when a `}` in the first column leaves it parsing without error (the end of
//! its last type, most likely), the reply so far is extracted and validated as a whole with
//! those trees: what follows is usually the fence and prose only, so that evaluation is usually
//! the final one, and the last piece costs an extraction and a comparison. At the
//! end the reply is extracted again: when it yields the same files, the evaluation made at the
//! last closing fence is the answer; otherwise the files are validated, still from the streamed
//! trees where their text matches. Either way the result is exactly what
//! [`validate_project_until`](super::validate_project_until) gives on the final text: the trees are
//! only a head start, and a re-parse that finds errors is redone from scratch.

use super::source::{Parsed, reparse_changed};
use super::{Diagnostic, ValidationConfig, project};
use crate::cancel::CancelToken;
use crate::error::Result;
use crate::extract::{self, CSHARP_TAGS, ScriptFile};

/// Text added to an open block before it is parsed again. Each re-parse of a half-written file
/// costs about a sixth of a full parse whatever was appended (error recovery redoes the right
/// edge; measured with callgrind), so parsing every 512 bytes spent 3.7 full parses of CPU on a
/// 300-line reply and every 2 KB spends 1.2, with the same time after the last piece.
const PARSE_EVERY: usize = 2048;

/// Most evaluations of one block before its closing fence: a file of many top-level types
/// would otherwise be evaluated at each.
const MAX_EARLY: u32 = 4;

/// Largest reply parsed while streaming; longer ones are evaluated once at the end (on a
/// blocking thread by the pipeline), so the streaming loop never holds a core for long.
pub const MAX_STREAMED_BYTES: usize = 64 * 1024;

/// Code blocks of a reply parsed as it streams, and the evaluation made at the last closing
/// fence.
///
/// ```
/// use spark_core::validate::{StreamingValidation, ValidationConfig};
/// let reply = "### Spin.cs\n```csharp\nusing UnityEngine;\npublic class Spin : MonoBehaviour {\n    void Update() { if (tag == \"A\") {} }\n}\n```\nDone.";
/// let mut v = StreamingValidation::new(ValidationConfig::default());
/// for piece in reply.as_bytes().chunks(7) {
///     v.push(std::str::from_utf8(piece).unwrap());
/// }
/// let (files, diagnostics) = v.finish();
/// assert_eq!(files[0].path, "Spin.cs");
/// assert_eq!(diagnostics[0].rule, "SPK1005");
/// ```
pub struct StreamingValidation {
    config: ValidationConfig,
    cancel: CancelToken,
    /// The reply so far.
    reply: String,
    /// Bytes of `reply` already split into lines.
    lines_done: usize,
    block: Option<Block>,
    /// Parses of the blocks closed so far, with their extracted (normalized) text.
    closed: Vec<Parsed>,
    /// Files and diagnostics of the reply as it stood at the last closing fence.
    speculation: Option<(Vec<ScriptFile>, Vec<Diagnostic>)>,
    /// The reply outgrew [`MAX_STREAMED_BYTES`] or the work was cancelled: nothing more is
    /// parsed, and `finish` evaluates from scratch.
    gave_up: bool,
    /// Whether the reply is kept after giving up ([`StreamingValidation::finish`] needs it; the
    /// pipeline has its own copy).
    keep_text: bool,
}

/// An open code block.
struct Block {
    marker: String,
    /// Whether the info string allows C# (a `json` block is not parsed).
    csharp: bool,
    body: String,
    parsed: Option<Parsed>,
    /// Evaluations made before the closing fence (see [`MAX_EARLY`]).
    early: u32,
}

impl std::fmt::Debug for StreamingValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingValidation")
            .field("reply_bytes", &self.reply.len())
            .field("closed_blocks", &self.closed.len())
            .field("open_block", &self.block.is_some())
            .field("gave_up", &self.gave_up)
            .finish()
    }
}

impl StreamingValidation {
    /// Nothing received yet; `config` is the policy the final evaluation applies.
    pub fn new(config: ValidationConfig) -> Self {
        StreamingValidation { keep_text: true, ..Self::with_cancel(config, CancelToken::new()) }
    }

    /// [`StreamingValidation::new`], stopping its parses as soon as `cancel` says so.
    pub(crate) fn with_cancel(config: ValidationConfig, cancel: CancelToken) -> Self {
        StreamingValidation {
            config,
            cancel,
            reply: String::new(),
            lines_done: 0,
            block: None,
            closed: Vec::new(),
            speculation: None,
            gave_up: false,
            keep_text: false,
        }
    }

    /// Adds the next piece of the reply.
    pub fn push(&mut self, piece: &str) {
        if self.gave_up {
            if self.keep_text {
                self.reply.push_str(piece);
            }
            return;
        }
        self.reply.push_str(piece);
        if self.reply.len() > MAX_STREAMED_BYTES {
            self.give_up();
            return;
        }
        while let Some(nl) = self.reply[self.lines_done..].find('\n') {
            let (start, end) = (self.lines_done, self.lines_done + nl + 1);
            self.lines_done = end;
            if self.line(start, end).is_err() {
                self.give_up();
                return;
            }
        }
        if let Some(b) = &mut self.block
            && b.csharp
            && b.body.len() >= b.parsed.as_ref().map_or(0, |p| p.text.len()) + PARSE_EVERY
            && parse_block(b, None, &self.cancel).is_none()
        {
            self.give_up();
        }
    }

    /// The files of the whole reply and their diagnostics, as
    /// [`extract_files`](crate::extract::extract_files) and
    /// [`validate_project`](super::validate_project) give them.
    pub fn finish(self) -> (Vec<ScriptFile>, Vec<Diagnostic>) {
        let reply = self.reply.clone();
        self.evaluate(&reply).unwrap_or_default()
    }

    /// Extracts and validates `reply` (the completed reply; normally the text pushed), using
    /// what was parsed while it streamed.
    pub(crate) fn evaluate(self, reply: &str) -> Result<(Vec<ScriptFile>, Vec<Diagnostic>)> {
        let files = extract::extract_files_with(reply, &self.cancel)?;
        let diagnostics = self.validate_files(&files)?;
        Ok((files, diagnostics))
    }

    /// Validates `files`, extracted from the completed reply: the evaluation made at the last
    /// closing fence when it was of the same files, else a validation from the streamed trees.
    pub(crate) fn validate_files(mut self, files: &[ScriptFile]) -> Result<Vec<Diagnostic>> {
        if let Some((f, d)) = self.speculation.take()
            && f == files
        {
            return Ok(d);
        }
        let open = self.block.take().and_then(|b| b.parsed);
        validate_with(files, &self.config, &self.cancel, &mut self.closed, open)
    }

    fn give_up(&mut self) {
        self.gave_up = true;
        self.block = None;
        self.closed.clear();
        self.speculation = None;
        if !self.keep_text {
            self.reply = String::new();
        }
    }

    /// One complete line, `reply[start..end]`.
    fn line(&mut self, start: usize, end: usize) -> Result<()> {
        let line = &self.reply[start..end];
        let Some(b) = &mut self.block else {
            if let Some((marker, info)) = extract::fence_open(line) {
                let lang = info.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                let csharp = lang.is_empty() || CSHARP_TAGS.contains(&lang.as_str()) || lang.ends_with(".cs");
                self.block = Some(Block { marker, csharp, body: String::new(), parsed: None, early: 0 });
            }
            return Ok(());
        };
        if !extract::fence_close(line, &b.marker) {
            b.body.push_str(line);
            // A `}` in the first column usually closes the last type of the file: when the
            // text so far parses without error, it is evaluated now, and the closing fence
            // that follows finds the work done.
            let complete = b.csharp
                && b.early < MAX_EARLY
                && line.starts_with('}')
                && line.trim_end() == "}"
                && parse_block(b, None, &self.cancel).is_some()
                && b.parsed.as_ref().is_some_and(|p| !p.tree.root_node().has_error());
            if complete {
                b.early += 1;
                self.speculate(end)?;
            }
            self.cancel.check()?;
            return Ok(());
        }
        let Some(mut b) = self.block.take() else { return Ok(()) };
        if !b.csharp || b.body.trim().is_empty() {
            return Ok(());
        }
        let text = extract::normalize(&b.body);
        if parse_block(&mut b, Some(text), &self.cancel).is_none() {
            self.cancel.check()?;
            return Ok(());
        }
        self.closed.extend(b.parsed);
        self.speculate(end)
    }

    /// Evaluates the reply as it stands (`reply[..end]`, an open block taken as it is, as
    /// extraction takes a truncated one), unless it yields the files evaluated last time.
    fn speculate(&mut self, end: usize) -> Result<()> {
        let files = extract::extract_files_with(&self.reply[..end], &self.cancel)?;
        if self.speculation.as_ref().is_some_and(|(f, _)| *f == files) {
            return Ok(());
        }
        let open = self
            .block
            .as_ref()
            .and_then(|b| b.parsed.as_ref())
            .map(|p| Parsed { text: p.text.clone(), tree: p.tree.clone() });
        let diagnostics = validate_with(&files, &self.config, &self.cancel, &mut self.closed, open)?;
        self.speculation = Some((files, diagnostics));
        Ok(())
    }
}

/// Parses block `b` again, as `text` (default: its body so far), from its previous tree.
fn parse_block(b: &mut Block, text: Option<String>, cancel: &CancelToken) -> Option<()> {
    let text = text.unwrap_or_else(|| b.body.clone());
    let tree = match b.parsed.take() {
        Some(p) => reparse_changed(&p.text, p.tree, &text, cancel)?,
        None => super::source::parse_fresh(&text, cancel)?,
    };
    b.parsed = Some(Parsed { text, tree });
    Some(())
}

/// Validates `files` as one project, starting each parse from the streamed tree of the same
/// text (taken out of `closed` only when used, as the validation consumes the tree), or from
/// `open`, the truncated block's, for a file no closed block matches.
fn validate_with(
    files: &[ScriptFile],
    config: &ValidationConfig,
    cancel: &CancelToken,
    closed: &mut [Parsed],
    mut open: Option<Parsed>,
) -> Result<Vec<Diagnostic>> {
    let prior: Vec<Option<Parsed>> = files
        .iter()
        .map(|f| match closed.iter().find(|p| p.text == f.content) {
            Some(p) => Some(Parsed { text: p.text.clone(), tree: p.tree.clone() }),
            None => open.take(),
        })
        .collect();
    let pairs: Vec<(&str, &str)> = files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
    project::validate_project_parsed(&pairs, &[], config, cancel, prior)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
