//! The generate → validate → repair loop.
//!
//! After the first reply, SPARK validates the extracted files. While blocking diagnostics remain
//! and rounds are left, it sends the code (the previous reply, as the assistant turn) and the
//! blocking diagnostics (a repair prompt) back to the provider, re-extracts and re-validates.
//!
//! Exact semantics:
//! - round 0 is the first generation; repair rounds are numbered 1..=`max_rounds`;
//! - a repair round runs only while the kept round has blocking diagnostics (or no code);
//! - a round is kept when it has code and strictly fewer blocking diagnostics than the kept one;
//! - the loop stops when the kept round is clean, when a round does not lower the blocking count
//!   (more rounds would spend tokens for nothing), when `max_rounds` is reached, or when a repair
//!   call fails (the failure is recorded in that round; `Error::Cancelled` still propagates);
//! - every round is recorded with the diagnostics it was sent, the diagnostics of its output and
//!   its own token usage; the outcome's usage is the sum over all rounds.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result, TimeoutStage};
use crate::extract::ScriptFile;
use crate::provider::{Completion, CompletionRequest, Message, StopReason, Usage};

/// Repair loop settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepairConfig {
    /// Repair rounds after the first generation (0 disables repair).
    pub max_rounds: u32,
}

impl Default for RepairConfig {
    fn default() -> Self {
        RepairConfig { max_rounds: 2 }
    }
}

impl RepairConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("repair.max_rounds", self.max_rounds as f64, 0.0, 10.0)
    }
}

/// One round of the loop: round 0 is the first generation, 1… are repairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairRound {
    /// 0 for the first generation, then 1, 2…
    pub round: u32,
    /// Blocking diagnostics sent into this round (empty for round 0).
    pub diagnostics_before: Vec<Diagnostic>,
    /// All diagnostics of this round's output.
    pub diagnostics_after: Vec<Diagnostic>,
    /// How many of `diagnostics_after` block.
    pub blocking: usize,
    /// Files extracted in this round.
    pub files: usize,
    /// Tokens this round used.
    pub usage: Usage,
    /// Whether this round's reply was served from the cache.
    pub cached: bool,
    /// Whether this round's files are the ones returned (exactly one round is kept).
    pub kept: bool,
    /// Why this repair round failed (the provider call or the reply), if it did.
    pub error: Option<String>,
}

/// What the loop produced.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub files: Vec<ScriptFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub rounds: Vec<RepairRound>,
    pub usage: Usage,
    pub raw: String,
    pub completion: Completion,
}

/// Files, all their diagnostics, and the blocking ones among them.
pub(crate) type Evaluation = (Vec<ScriptFile>, Vec<Diagnostic>, Vec<Diagnostic>);

/// Errors that end the whole request rather than one repair round: the caller went away or
/// the request's deadline passed.
fn ends_request(e: &Error) -> bool {
    matches!(e, Error::Cancelled | Error::Timeout { stage: TimeoutStage::Total, .. })
}

/// Runs the loop from the first completion. `evaluate` extracts and validates a reply; `send`
/// performs one more provider call (its completion says whether it came from the cache).
pub(crate) async fn run<E, EFut, F, Fut>(
    first: Completion,
    base: &CompletionRequest,
    max_rounds: u32,
    mut evaluate: E,
    mut send: F,
) -> Result<Outcome>
where
    E: FnMut(&Completion) -> EFut,
    EFut: Future<Output = Result<Evaluation>>,
    F: FnMut(CompletionRequest) -> Fut,
    Fut: Future<Output = Result<Completion>>,
{
    let (files, diags, blocking) = evaluate(&first).await?;
    let blocking_now = blocking.len();
    let mut usage = first.usage;
    let mut rounds = vec![RepairRound {
        round: 0,
        diagnostics_before: Vec::new(),
        diagnostics_after: diags.clone(),
        blocking: blocking_now,
        files: files.len(),
        usage: first.usage,
        cached: first.cached,
        kept: true,
        error: None,
    }];
    let mut best = (files, diags, blocking, first);
    let mut kept = 0usize;

    for round in 1..=max_rounds {
        let (files, _, blocking, completion) = &best;
        if blocking.is_empty() && !files.is_empty() {
            break;
        }
        let blocking_diags = blocking.clone();
        let mut request = base.clone();
        request.messages.push(Message::assistant(completion.text.clone()));
        request.messages.push(Message::user(repair_prompt(files, &blocking_diags, completion)));
        let mut record = RepairRound {
            round,
            diagnostics_before: blocking_diags,
            diagnostics_after: Vec::new(),
            blocking: 0,
            files: 0,
            usage: Usage::default(),
            cached: false,
            kept: false,
            error: None,
        };
        let next = match send(request).await {
            Ok(r) => r,
            Err(e) if ends_request(&e) => return Err(e),
            Err(e) => {
                record.error = Some(e.to_string());
                rounds.push(record);
                break;
            }
        };
        usage += next.usage;
        record.usage = next.usage;
        record.cached = next.cached;
        let (n_files, n_diags, n_blocking) = match evaluate(&next).await {
            Ok(r) => r,
            Err(e) if ends_request(&e) => return Err(e),
            Err(e) => {
                record.error = Some(e.to_string());
                rounds.push(record);
                break;
            }
        };
        record.diagnostics_after = n_diags.clone();
        record.blocking = n_blocking.len();
        record.files = n_files.len();
        let improved = !n_files.is_empty() && (n_blocking.len() < blocking.len() || files.is_empty());
        rounds.push(record);
        if improved {
            best = (n_files, n_diags, n_blocking, next);
            kept = rounds.len() - 1;
        } else {
            // The count stopped falling: more rounds would spend tokens for nothing.
            break;
        }
    }
    for (i, r) in rounds.iter_mut().enumerate() {
        r.kept = i == kept;
    }
    let (files, diagnostics, _, completion) = best;
    if files.is_empty() {
        return Err(Error::NoCode { reply_chars: completion.text.chars().count() });
    }
    Ok(Outcome { raw: completion.text.clone(), files, diagnostics, rounds, usage, completion })
}

/// Most diagnostics listed in one repair prompt; the rest are summarised.
pub const MAX_PROMPT_DIAGNOSTICS: usize = 40;

/// The message that asks the model to fix its code.
pub fn repair_prompt(files: &[ScriptFile], blocking: &[Diagnostic], previous: &Completion) -> String {
    let mut s = String::new();
    if files.is_empty() {
        s.push_str("Your reply contained no C# code block. Reply with the complete C# script(s), each in a ```csharp fenced block preceded by a `### FileName.cs` heading.\n");
        return s;
    }
    if previous.stop_reason == Some(StopReason::MaxTokens) {
        s.push_str("Your reply was cut off by the output token limit; keep the code shorter.\n");
    }
    s.push_str("The code you wrote has these problems (file:line:column: severity[rule]: message):\n\n");
    for d in blocking.iter().take(MAX_PROMPT_DIAGNOSTICS) {
        s.push_str(&format!("- {d}\n"));
    }
    if blocking.len() > MAX_PROMPT_DIAGNOSTICS {
        s.push_str(&format!("- … and {} more\n", blocking.len() - MAX_PROMPT_DIAGNOSTICS));
    }
    s.push_str("\nFix every problem listed and reply with the complete corrected file(s), each in a ```csharp fenced block preceded by a `### FileName.cs` heading. Keep everything that was correct.\n");
    s
}
