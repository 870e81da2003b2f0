//! The one request path. Every entry point (`generate`, `generate_stream`, every binding) runs
//! [`Pipeline::run`]; a [`Sink`] decides whether progress is streamed to the caller or only the
//! result is kept, so a stage is written once:
//!
//! guards (before) → result memo → provider stack (cache → meter → admission → router →
//! provider) → extract → validate → repair rounds through the same stack → guards (after) →
//! ledger record → result.
//!
//! The whole run, CPU work after the reply included, is bounded by `timeouts.total_ms`, and
//! dropping the caller's future (or stream) stops it: long CPU work checks a [`CancelToken`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::cache::{ResponseCache, TextDigest, cache_key_memo};
use crate::cancel::CancelToken;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result, TimeoutStage};
use crate::extract::{ScriptFile, extract_files_with};
use crate::guard::{Guard, GuardAction, GuardInput, OUTPUT_GUARD, Verdict};
use crate::ledger::{Finished, Recorder};
use crate::observe::trace::{self, TraceParent};
use crate::observe::{CacheOutcome, Event, Observers, Stage};
use crate::pricing::{ModelPrice, cost_for};
use crate::prompt::user_message;
use crate::provider::{
    CallContext, Completion, CompletionRequest, Message, Provider, ProviderEvent, check_reply_size,
};
use crate::repair::{self, Evaluation};
use crate::result::{ANONYMOUS_CALLER, GenerateRequest, GeneratedScripts, StreamEvent};
use crate::validate::{MAX_STREAMED_BYTES, StreamingValidation, ValidationConfig, validate_project_until};

/// Largest request id accepted from a caller, in bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// Replies larger than this are extracted and validated on a blocking thread, so a dropped
/// caller or the deadline can stop them; smaller ones are cheaper inline.
/// Also the largest reply parsed while it streams: a larger one is evaluated at the end only.
const INLINE_EVALUATION_BYTES: usize = MAX_STREAMED_BYTES;

/// Everything the path needs, assembled by the facade from the configuration.
pub(crate) struct Pipeline {
    /// The provider stack (cache → admission → router → providers).
    pub provider: Arc<dyn Provider>,
    /// Guards, in order; the built-in limits guard first.
    pub guards: Vec<Arc<dyn Guard>>,
    /// The finished-result memo, when caching is on.
    pub memo: Option<ResponseCache>,
    pub observers: Observers,
    pub system_prompt: String,
    /// Prompt settings, for a request that names its own Unity version.
    pub generation: crate::prompt::GenerationConfig,
    /// The chain's provider names, in order: what a request may pin itself to.
    pub provider_names: Vec<String>,
    /// Memoises the system prompt's digest for [`GeneratedScripts::request_hash`].
    pub system_digest: TextDigest,
    pub validation: ValidationConfig,
    pub max_reply_bytes: usize,
    pub repair_rounds: u32,
    pub total: Duration,
    pub pricing: std::collections::BTreeMap<String, ModelPrice>,
    /// Where every request is recorded before its result is handed over.
    pub ledger: Option<Recorder>,
    /// Whether the request span records the prompt (`telemetry.record_prompts`).
    pub record_prompts: bool,
    /// The configured tiers: a finished request is reported under its tier's name.
    pub tiers: Arc<crate::guard::Tiers>,
}

/// Where progress goes.
pub(crate) enum Sink {
    /// Only the result is wanted (`generate`).
    Collect,
    /// The caller reads events as they happen (`generate_stream`).
    Stream(mpsc::Sender<Result<StreamEvent>>),
}

impl Sink {
    fn live(&self) -> bool {
        matches!(self, Sink::Stream(_))
    }

    async fn send(&self, event: StreamEvent) -> Result<()> {
        match self {
            Sink::Collect => Ok(()),
            Sink::Stream(tx) => tx.send(Ok(event)).await.map_err(|_| Error::Cancelled),
        }
    }
}

impl Pipeline {
    /// Runs one request to its result (also sent to a streaming sink as `Done`).
    pub async fn run(&self, req: GenerateRequest, sink: &Sink) -> Result<GeneratedScripts> {
        let start = Instant::now();
        let started_ms = crate::ledger::now_ms();
        let request_id = match &req.request_id {
            Some(id) => {
                check_request_id(id)?;
                id.clone()
            }
            None => trace::new_request_id(),
        };
        let (trace, remote) = trace::request_context(req.traceparent.as_deref(), &request_id);
        let span = trace::request_span(
            &request_id,
            &trace,
            remote,
            self.record_prompts.then_some(req.prompt.as_str()),
        );
        self.observers.emit(Event::RequestStarted { request_id: &request_id });
        let cancel = CancelToken::with_deadline((start + self.total).into_std(), self.total);
        // Dropping this future stops CPU work running elsewhere on its behalf.
        let _stop = cancel.drop_guard();
        let recorded = AtomicBool::new(false);
        let ledger = LedgerEntry { started_ms, recorded: &recorded };
        let outcome = match tokio::time::timeout_at(
            start + self.total,
            // Boxed: the path's state is kilobytes, and every move of an unboxed future (into
            // the span wrapper, the timeout, the caller's future) copies all of it.
            Box::pin(self.serve(&req, &request_id, &trace, sink, &cancel, &ledger)).instrument(span.clone()),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => {
                Err(Error::Timeout { stage: TimeoutStage::Total, after: self.total, partial_text: None })
            }
        };
        if let Err(e) = &outcome
            && !recorded.load(Ordering::Acquire)
        {
            // The caller gets an error either way; a failed write is logged inside.
            let _ = self.record(&req, &request_id, &ledger, Finished::Err(e.code())).await;
        }
        if let Err(e) = &outcome
            && let Some(by) = crate::observe::Rejection::of(e)
        {
            self.observers.emit(Event::Rejected { request_id: &request_id, by });
        }
        let (provider, model, usage, cost) = match &outcome {
            // A cached answer spent nothing this time: its usage is the original call's.
            Ok(r) if r.rounds.iter().all(|round| round.cached) => {
                (Some(r.provider.as_str()), Some(r.model.as_str()), Default::default(), None)
            }
            Ok(r) => (Some(r.provider.as_str()), Some(r.model.as_str()), r.usage, r.cost_usd),
            Err(_) => (None, None, Default::default(), None),
        };
        if !span.is_disabled() {
            provider.map(|p| span.record("provider", tracing::field::display(p)));
            model.map(|m| span.record("model", tracing::field::display(m)));
            if let Err(e) = &outcome {
                trace::record_error(&span, e);
            }
        }
        self.observers.emit(Event::RequestFinished {
            request_id: &request_id,
            provider,
            model,
            tier: if self.observers.is_empty() {
                None
            } else {
                let caller = req.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
                self.tiers.resolve(caller, req.tier.as_deref()).map(|(name, _)| name)
            },
            usage,
            cost_usd: cost,
            elapsed: start.elapsed(),
            error: outcome.as_ref().err().map(Error::code),
        });
        outcome
    }

    fn stage<T>(&self, request_id: &str, stage: Stage, since: Instant, r: &Result<T>) {
        if !self.observers.is_empty() {
            self.observers.emit(Event::StageFinished {
                request_id,
                stage,
                elapsed: since.elapsed(),
                error: r.as_ref().err().map(Error::code),
            });
        }
    }

    async fn serve(
        &self,
        req: &GenerateRequest,
        request_id: &str,
        trace: &TraceParent,
        sink: &Sink,
        cancel: &CancelToken,
        ledger: &LedgerEntry<'_>,
    ) -> Result<GeneratedScripts> {
        let t = Instant::now();
        let span = trace::stage_span(Stage::GuardBefore, request_id);
        let verdicts = self.before(req, request_id).instrument(span.clone()).await;
        traced(&span, &verdicts);
        self.stage(request_id, Stage::GuardBefore, t, &verdicts);
        let (verdicts, rewritten) = verdicts?;
        // What the guards made of the prompt is what the cache key and the model see.
        let rewritten_req;
        let req = match rewritten {
            Some(prompt) => {
                rewritten_req = GenerateRequest { prompt, ..req.clone() };
                &rewritten_req
            }
            None => req,
        };

        // A repeated request gets the finished result: extraction and validation of the same
        // reply under the same configuration would give the same answer.
        let memo_key = match &self.memo {
            Some(memo) if !req.no_cache => Some((memo, memo.result_key(&memo_shape(req)))),
            _ => None,
        };
        if let Some((memo, key)) = &memo_key
            && let Some(hit) = memo
                .get_result::<GeneratedScripts>(key)
                .instrument(trace::stage_span(Stage::Cache, request_id))
                .await
        {
            self.observers.emit(Event::Cache { request_id, outcome: CacheOutcome::ResultHit });
            let mut out = GeneratedScripts::clone(&hit);
            out.rounds.iter_mut().for_each(|r| r.cached = true);
            out.request_id = request_id.to_string();
            // The memo holds the result after the output policy (its key includes
            // `allow_unsafe`); keep what the policy said about it.
            let policy = hit.verdicts.iter().filter(|v| v.guard == OUTPUT_GUARD).cloned();
            out.verdicts = verdicts.into_iter().chain(policy).collect();
            let finished = Finished::Ok { provider: &out.provider, model: &out.model, memo_hit: true };
            self.record(req, request_id, ledger, finished).await?;
            return self.deliver(out, sink, true).await;
        }

        // A request that names its Unity version gets the prompt and the checks for it.
        let (system, policy) = match &req.unity_version {
            Some(v) => {
                (self.generation.system_prompt_for(v), std::borrow::Cow::Owned(self.validation.for_unity(v)))
            }
            None => (self.system_prompt.clone(), std::borrow::Cow::Borrowed(&self.validation)),
        };
        let policy: &ValidationConfig = &policy;
        let base = CompletionRequest {
            model: req.model.clone(),
            system: Some(system),
            messages: vec![Message::user(user_message(&req.prompt))],
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            context: CallContext {
                caller: Some(req.caller.clone().unwrap_or_else(|| ANONYMOUS_CALLER.to_string())),
                tier: req.tier.clone(),
                request_id: Some(request_id.to_string()),
                streaming: sink.live(),
                no_cache: req.no_cache,
                provider: req.provider.clone(),
                reply_limit: Some(self.max_reply_bytes),
                trace: Some(*trace),
            },
            ..Default::default()
        };
        let t = Instant::now();
        let span = trace::stage_span(Stage::Provider, request_id);
        // The first reply's code is parsed as it streams, so little is left when it ends.
        let mut streamed = Some(StreamingValidation::with_cancel(policy.clone(), cancel.clone()));
        let first = self.first_reply(&base, sink, &mut streamed).instrument(span.clone()).await;
        traced(&span, &first);
        self.stage(request_id, Stage::Provider, t, &first);
        let first = first?;

        let rounds = req.repair_rounds.unwrap_or(self.repair_rounds);
        let mut repair_base = base.clone();
        // Repair rounds are whole replies: the caller sees the round starting, not its text.
        repair_base.context.streaming = false;
        let t = Instant::now();
        // The first reply's checks run in the repair span only when repair rounds are allowed.
        let span =
            if rounds > 0 { trace::stage_span(Stage::Repair, request_id) } else { tracing::Span::none() };
        let outcome = repair::run(
            first,
            &repair_base,
            rounds,
            |c| self.evaluate(c.text.clone(), policy, request_id, cancel, streamed.take()),
            |r| self.repair_call(r, sink),
        )
        .instrument(span.clone())
        .await;
        traced(&span, &outcome);
        if rounds > 0 {
            self.stage(request_id, Stage::Repair, t, &outcome);
        }
        let outcome = outcome?;
        let mut result = GeneratedScripts {
            cost_usd: cost_for(
                &self.pricing,
                &outcome.completion.provider,
                &outcome.completion.model,
                &outcome.usage,
            ),
            files: outcome.files,
            diagnostics: outcome.diagnostics,
            usage: outcome.usage,
            offline: outcome.completion.provider == "offline",
            provider: outcome.completion.provider,
            model: outcome.completion.model,
            raw: outcome.raw,
            rounds: outcome.rounds,
            stop_reason: outcome.completion.stop_reason,
            request_id: request_id.to_string(),
            provider_request_id: outcome.completion.request_id,
            // The cache's canonical form without a provider: what shaped the answer.
            request_hash: cache_key_memo("", &base, &self.system_digest).to_string(),
            verdicts,
            blocked: None,
        };
        if !self.observers.is_empty() {
            self.observers.emit(Event::Evaluated {
                request_id,
                diagnostics: &result.diagnostics,
                repair_rounds: result.rounds.iter().filter(|r| r.round > 0).count() as u32,
            });
        }
        if policy.fail_on_blocking {
            let blocking: Vec<_> = result.blocking(policy).cloned().collect();
            if !blocking.is_empty() {
                return Err(Error::ValidationFailed { diagnostics: blocking });
            }
        }
        let t = Instant::now();
        let span = trace::stage_span(Stage::GuardAfter, request_id);
        let after = self.after(req, request_id, &mut result).instrument(span.clone()).await;
        traced(&span, &after);
        self.stage(request_id, Stage::GuardAfter, t, &after);
        after?;
        // A round that failed (a repair call) may succeed next time: keep only clean runs.
        if let Some((memo, key)) = memo_key
            && result.rounds.iter().all(|r| r.error.is_none())
        {
            let bytes = result.raw.len()
                + result
                    .files
                    .iter()
                    .chain(result.blocked.iter().flat_map(|b| &b.withheld_files))
                    .map(|f| f.path.len() + f.content.len())
                    .sum::<usize>()
                + result.diagnostics.len() * 256
                + result.rounds.len() * 256;
            memo.put_result(key, Arc::new(result.clone()), bytes).await;
        }
        let finished = Finished::Ok { provider: &result.provider, model: &result.model, memo_hit: false };
        self.record(req, request_id, ledger, finished).await?;
        self.deliver(result, sink, false).await
    }

    /// Records a finished request in the ledger before its result is handed over: a result
    /// the caller sees is a durable row.
    async fn record(
        &self,
        req: &GenerateRequest,
        request_id: &str,
        entry: &LedgerEntry<'_>,
        finished: Finished<'_>,
    ) -> Result<()> {
        let Some(ledger) = &self.ledger else { return Ok(()) };
        entry.recorded.store(true, Ordering::Release);
        let caller = req.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
        ledger.record(request_id, caller, entry.started_ms, finished).await
    }

    /// Guards before the call; a blocking verdict refuses the request. Returns the verdicts and
    /// the prompt as the guards rewrote it, if one did.
    async fn before(
        &self,
        req: &GenerateRequest,
        request_id: &str,
    ) -> Result<(Vec<Verdict>, Option<String>)> {
        check_options(req, &self.provider_names)?;
        let caller = req.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
        let mut prompt: Option<String> = None;
        let mut verdicts = Vec::new();
        for guard in &self.guards {
            let input = GuardInput {
                prompt: prompt.as_deref().unwrap_or(&req.prompt),
                caller,
                request_id,
                allow_unsafe: req.allow_unsafe,
            };
            let mut found = Vec::new();
            if let Some(rewrite) = guard.rewrite(&input)? {
                found = rewrite.verdicts;
                prompt = Some(rewrite.prompt);
            }
            let input = GuardInput {
                prompt: prompt.as_deref().unwrap_or(&req.prompt),
                caller,
                request_id,
                allow_unsafe: req.allow_unsafe,
            };
            found.extend(guard.before(&input).await?);
            for v in found {
                if v.action == GuardAction::Block {
                    let guard = if v.guard.is_empty() { guard.name().to_string() } else { v.guard };
                    let reason = format!("{} (score {:.2}): {}", v.detector, v.score, v.message);
                    return Err(Error::InputRejected { guard, reason });
                }
                verdicts.push(v);
            }
        }
        Ok((verdicts, prompt))
    }

    async fn after(
        &self,
        req: &GenerateRequest,
        request_id: &str,
        result: &mut GeneratedScripts,
    ) -> Result<()> {
        let caller = req.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
        let input = GuardInput { prompt: &req.prompt, caller, request_id, allow_unsafe: req.allow_unsafe };
        for guard in &self.guards {
            let verdicts = guard.after_request(&input, result).await?;
            result.verdicts.extend(verdicts);
        }
        Ok(())
    }

    /// The first reply, its text streamed to a live sink as it arrives.
    async fn first_reply(
        &self,
        base: &CompletionRequest,
        sink: &Sink,
        streamed: &mut Option<StreamingValidation>,
    ) -> Result<Completion> {
        let mut stream = self.provider.stream(base).await?;
        let mut completion = Completion::empty(self.provider.name(), self.provider.default_model());
        let mut started = false;
        while let Some(event) = stream.next().await {
            let event = event?;
            completion.apply(&event);
            match event {
                ProviderEvent::Start { .. } => {}
                ProviderEvent::TextDelta { text } => {
                    check_reply_size(completion.text.len(), Some(self.max_reply_bytes))?;
                    if let Some(s) = streamed {
                        s.push(&text);
                    }
                    if !started {
                        started = true;
                        sink.send(started_event(&completion)).await?;
                    }
                    sink.send(StreamEvent::Delta { text }).await?;
                }
                _ => {}
            }
        }
        if !started {
            sink.send(started_event(&completion)).await?;
        }
        Ok(completion)
    }

    /// One repair call through the same stack, announced to a live sink.
    async fn repair_call(&self, request: CompletionRequest, sink: &Sink) -> Result<Completion> {
        let round = (request.messages.len() / 2) as u32;
        sink.send(StreamEvent::Repairing { round }).await?;
        let stream = self.provider.stream(&request).await?;
        crate::provider::collect_limited(
            self.provider.name(),
            self.provider.default_model(),
            stream,
            Some(self.max_reply_bytes),
        )
        .await
    }

    /// Extracts and validates one reply, within the deadline and cancellable: a large reply is
    /// worked on a blocking thread that a dropped caller or the deadline stops.
    async fn evaluate(
        &self,
        text: String,
        policy: &ValidationConfig,
        request_id: &str,
        cancel: &CancelToken,
        streamed: Option<StreamingValidation>,
    ) -> Result<Evaluation> {
        check_reply_size(text.len(), Some(self.max_reply_bytes))?;
        cancel.check()?;
        let (files, diagnostics, timings) = if text.len() <= INLINE_EVALUATION_BYTES {
            evaluate_text(&text, policy, cancel, request_id, streamed)
        } else {
            let (policy, token) = (policy.clone(), cancel.clone());
            // The blocking thread has no current span: carry this one over.
            let (parent, id) = (tracing::Span::current(), request_id.to_string());
            let work = tokio::task::spawn_blocking(move || {
                parent.in_scope(|| evaluate_text(&text, &policy, &token, &id, None))
            });
            work.await.map_err(|e| Error::Internal(format!("validation task failed: {e}")))?
        };
        if !self.observers.is_empty() {
            for (stage, elapsed) in [(Stage::Extract, timings.0), (Stage::Validate, timings.1)] {
                self.observers.emit(Event::StageFinished { request_id, stage, elapsed, error: None });
            }
        }
        let files = files?;
        let diagnostics = diagnostics?;
        let blocking = diagnostics.iter().filter(|d| policy.is_blocking(d)).cloned().collect();
        Ok((files, diagnostics, blocking))
    }

    async fn deliver(
        &self,
        result: GeneratedScripts,
        sink: &Sink,
        memo_hit: bool,
    ) -> Result<GeneratedScripts> {
        if sink.live() {
            if memo_hit {
                sink.send(StreamEvent::Started {
                    provider: result.provider.clone(),
                    model: result.model.clone(),
                    cached: true,
                })
                .await?;
                sink.send(StreamEvent::Delta { text: result.raw.clone() }).await?;
            }
            sink.send(StreamEvent::Diagnostics { diagnostics: result.diagnostics.clone() }).await?;
            sink.send(StreamEvent::Done { result: Box::new(result.clone()) }).await?;
        }
        Ok(result)
    }
}

/// Records a failed stage's error code on its span.
fn traced<T>(span: &tracing::Span, r: &Result<T>) {
    if let Err(e) = r {
        trace::record_error(span, e);
    }
}

/// A request's ledger bookkeeping inside [`Pipeline::run`].
struct LedgerEntry<'a> {
    started_ms: i64,
    /// Set once a record was attempted, so an error after it is not recorded twice.
    recorded: &'a AtomicBool,
}

fn started_event(c: &Completion) -> StreamEvent {
    StreamEvent::Started { provider: c.provider.clone(), model: c.model.clone(), cached: c.cached }
}

type Evaluated = (Result<Vec<ScriptFile>>, Result<Vec<Diagnostic>>, (Duration, Duration));

/// Extraction then validation of one reply, checking `cancel` between them; `streamed` holds
/// what was parsed while the reply streamed.
fn evaluate_text(
    text: &str,
    policy: &ValidationConfig,
    cancel: &CancelToken,
    request_id: &str,
    streamed: Option<StreamingValidation>,
) -> Evaluated {
    let t = std::time::Instant::now();
    let span = trace::stage_span(Stage::Extract, request_id);
    let files = span.in_scope(|| extract_files_with(text, cancel));
    traced(&span, &files);
    let extracted = t.elapsed();
    let t = std::time::Instant::now();
    let span = trace::stage_span(Stage::Validate, request_id);
    let diagnostics = span.in_scope(|| match (&files, streamed) {
        (Ok(files), Some(streamed)) => streamed.validate_files(files),
        // One project: a type two generated files both declare is caught (SPK1027).
        (Ok(files), None) => {
            let pairs: Vec<(&str, &str)> =
                files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
            validate_project_until(&pairs, &[], policy, cancel)
        }
        (Err(e), _) => Err(e.clone()),
    });
    traced(&span, &diagnostics);
    (files, diagnostics, (extracted, t.elapsed()))
}

/// What of a request shapes its finished result, borrowed: every field but who asks and how
/// the request is traced. Destructured in full, so a new field has to be placed on one side.
/// A tuple serializes as a JSON array: fewer bytes to hash on every cache hit than the
/// request's own field names.
fn memo_shape(req: &GenerateRequest) -> impl serde::Serialize + '_ {
    let GenerateRequest {
        prompt,
        caller: _,
        request_id: _,
        tier: _,
        traceparent: _,
        model,
        max_tokens,
        temperature,
        repair_rounds,
        no_cache,
        allow_unsafe,
        provider,
        unity_version,
    } = req;
    (prompt, model, max_tokens, temperature, repair_rounds, no_cache, allow_unsafe, provider, unity_version)
}

/// Options checked before anything else.
fn check_options(req: &GenerateRequest, providers: &[String]) -> Result<()> {
    if let Some(p) = &req.provider
        && !providers.iter().any(|n| n == p)
    {
        // The name is echoed only when it is a plain word: it came from outside.
        let shown = if p.len() <= 32 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            format!("`{p}`")
        } else {
            "the one named".to_string()
        };
        return Err(Error::InvalidRequest(format!(
            "provider {shown} is not configured (this SPARK has: {})",
            providers.join(", ")
        )));
    }
    if let Some(v) = &req.unity_version
        && !crate::validate::is_request_unity_version(v)
    {
        return Err(Error::InvalidRequest(
            "unity_version must be a Unity version like `2022.3` or `6000.0`".into(),
        ));
    }
    if let Some(t) = req.temperature
        && !(t.is_finite() && (0.0..=2.0).contains(&t))
    {
        return Err(Error::InvalidRequest(format!("temperature must be between 0 and 2, got {t}")));
    }
    if req.max_tokens == Some(0) {
        return Err(Error::InvalidRequest("max_tokens must be at least 1".into()));
    }
    if let Some(r) = req.repair_rounds
        && r > 10
    {
        return Err(Error::InvalidRequest(format!("repair_rounds must be between 0 and 10, got {r}")));
    }
    Ok(())
}

/// A caller's request id: short, printable ASCII (it travels in HTTP headers and logs).
fn check_request_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_REQUEST_ID_BYTES {
        return Err(Error::InvalidRequest(format!(
            "request_id must be 1 to {MAX_REQUEST_ID_BYTES} bytes, got {}",
            id.len()
        )));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidRequest("request_id must be printable ASCII without spaces".into()));
    }
    Ok(())
}
