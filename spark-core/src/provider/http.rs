//! HTTP plumbing shared by the Anthropic and OpenAI providers: the client, error-response
//! classification, `retry-after` parsing, and the SSE-to-[`ProviderEvent`] stream driver.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::header::HeaderMap;

use super::TimeoutConfig;
use super::sse::{SseDecoder, SseEvent};
use super::{ProviderEvent, ProviderStream};
use crate::error::{Error, ProviderError, ProviderErrorKind, Result};
use crate::secret::ApiKey;

/// Most of an error body kept for the message; error bodies are small, HTML pages are not.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Longest message text taken from a non-JSON error body.
const MAX_ERROR_TEXT: usize = 500;
/// Longest wait a `retry-after` header may ask for; anything beyond is clamped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Largest non-streaming JSON body read; a reply is a few hundred KiB at most.
const MAX_JSON_BODY: usize = 64 * 1024 * 1024;

/// The HTTP client of one provider.
///
/// Only the connect deadline is set here: first-token, idle and total deadlines belong to the
/// router, and a read timeout would cut long streams.
pub(crate) fn build_client(timeouts: &TimeoutConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(timeouts.connect_ms.max(1)))
        .user_agent(concat!("spark/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {}", error_chain(&e))))
}

/// Checks at construction a header value HTTP must accept (the message never repeats a secret
/// value); an invalid one would otherwise fail every request.
pub(crate) fn check_header(field: &str, value: &str) -> Result<()> {
    reqwest::header::HeaderValue::from_str(value)
        .map(|_| ())
        .map_err(|_| Error::config(field, "contains characters not allowed in an HTTP header"))
}

/// Joins `base` and `path` with exactly one slash.
pub(crate) fn endpoint(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// What the caller knows about the exchange, for error context.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ctx {
    pub provider: &'static str,
    pub request_id: Option<String>,
    /// Secret to strip from any message that echoes it.
    pub key: Option<ApiKey>,
}

impl Ctx {
    /// An error of `kind` carrying this context.
    pub fn error(&self, kind: ProviderErrorKind, message: impl Into<String>) -> ProviderError {
        let mut e = ProviderError::new(self.provider, kind, self.redact(message.into()));
        e.request_id = self.request_id.clone();
        e
    }

    /// Removes the key from `text` if a server echoed it.
    pub fn redact(&self, text: String) -> String {
        match &self.key {
            Some(k) if k.expose().len() >= 4 && text.contains(k.expose()) => {
                text.replace(k.expose(), "[redacted]")
            }
            _ => text,
        }
    }

    /// Maps a failure to send the request or read its body.
    pub fn transport_error(&self, e: &reqwest::Error, connect_ms: u64) -> ProviderError {
        let kind = if e.is_builder() {
            // The request could not be built (bad header value or URL): retrying cannot help.
            ProviderErrorKind::BadRequest
        } else if e.is_timeout() {
            ProviderErrorKind::Timeout
        } else {
            ProviderErrorKind::Connection
        };
        let mut message = error_chain(e);
        if e.is_connect() && e.is_timeout() {
            message = format!("connect timed out after {connect_ms} ms: {message}");
        }
        self.error(kind, message)
    }
}

/// A reqwest error and its sources on one line, without the URL (it may carry credentials).
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(err) = cur {
        let text = if first {
            // Display of the top error names the URL; rebuild it without.
            let kind = if e.is_connect() {
                "error connecting to the server"
            } else if e.is_timeout() {
                "operation timed out"
            } else if e.is_body() || e.is_decode() {
                "error reading the response body"
            } else if e.is_request() {
                "error sending the request"
            } else {
                "HTTP error"
            };
            kind.to_string()
        } else {
            err.to_string()
        };
        if !out.ends_with(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        first = false;
        cur = err.source();
    }
    out
}

/// The first present header of `names`, as text.
pub(crate) fn header(headers: &HeaderMap, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| headers.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How long the server asks to wait: `retry-after-ms` (milliseconds, fractional allowed), else
/// `retry-after` as delay-seconds or an HTTP-date (relative to `now`; a past date gives zero).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header(headers, &["retry-after-ms"]).and_then(|v| v.parse::<f64>().ok())
        && let Ok(d) = Duration::try_from_secs_f64(ms / 1000.0)
    {
        return Some(d.min(MAX_RETRY_AFTER));
    }
    let value = header(headers, &["retry-after"])?;
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok().map(|d| d.min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(&value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// For a 429 without `retry-after`: OpenAI's `x-ratelimit-reset-{requests,tokens}` (durations
/// like `1s`, `6m0s`, `20ms`) of each limit whose `x-ratelimit-remaining-*` is zero; the longest.
pub fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    ["requests", "tokens"]
        .iter()
        .filter(|k| header(headers, &[&format!("x-ratelimit-remaining-{k}")]).as_deref() == Some("0"))
        .filter_map(|k| header(headers, &[&format!("x-ratelimit-reset-{k}")]))
        .filter_map(|v| parse_go_duration(&v))
        .max()
        .map(|d| d.min(MAX_RETRY_AFTER))
}

/// Parses durations such as `1h2m3.5s`, `6m0s`, `20ms`, `250us` (Go's `time.Duration` text).
fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The provider's error type and message from an error body in either wire format:
/// Anthropic `{"type":"error","error":{"type","message"}}`, OpenAI `{"error":{"message","type","code"}}`
/// (`code` may be a string, a number or null), `{"error":"text"}` (Ollama) or
/// `{"object":"error","message","type","code"}` (vLLM).
pub(crate) struct ErrorBody {
    pub error_type: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

pub(crate) fn parse_error_body(value: &serde_json::Value) -> Option<ErrorBody> {
    // vLLM and some proxies put the fields at the top level: `{"object":"error","message":…}`.
    let err = match value.get("error") {
        Some(e) => e,
        None if value.get("object").and_then(|o| o.as_str()) == Some("error") => value,
        None => return None,
    };
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if let serde_json::Value::String(s) = err {
        return Some(ErrorBody { error_type: None, code: None, message: Some(s.clone()) });
    }
    if !err.is_object() {
        return None;
    }
    Some(ErrorBody {
        error_type: text(err.get("type")),
        code: text(err.get("code")),
        message: text(err.get("message")),
    })
}

/// Classifies an error from its HTTP status (if any) and the provider's type/code strings.
///
/// The type wins where it is more precise than the status: `insufficient_quota` arrives as a
/// 429 but must not be retried; `overloaded_error` arrives as 529 or mid-stream.
pub fn classify(status: Option<u16>, error_type: Option<&str>, code: Option<&str>) -> ProviderErrorKind {
    use ProviderErrorKind as K;
    let names = [error_type, code];
    let has = |wanted: &[&str]| names.iter().flatten().any(|n| wanted.contains(n));
    if has(&["insufficient_quota", "billing_error", "billing_hard_limit_reached", "billing_not_active"]) {
        return K::QuotaExceeded;
    }
    if has(&["overloaded_error", "overloaded"]) {
        return K::Overloaded;
    }
    if has(&["rate_limit_error", "rate_limit_exceeded", "requests", "tokens"])
        && status.is_none_or(|s| s == 429)
    {
        return K::RateLimited;
    }
    if has(&["authentication_error", "invalid_api_key", "permission_error"]) {
        return K::Authentication;
    }
    if has(&["request_too_large"]) {
        return K::RequestTooLarge;
    }
    if has(&["not_found_error", "model_not_found"]) {
        return K::NotFound;
    }
    if has(&["timeout_error"]) && status.is_none_or(|s| s >= 500) {
        return K::Timeout;
    }
    match status {
        Some(400 | 422) => K::BadRequest,
        Some(401 | 403) => K::Authentication,
        Some(402) => K::QuotaExceeded,
        Some(404) => K::NotFound,
        Some(408) => K::Timeout,
        Some(409) => K::Server,
        Some(413) => K::RequestTooLarge,
        Some(429) => K::RateLimited,
        Some(529) => K::Overloaded,
        Some(s) if s >= 500 => K::Server,
        Some(_) => K::BadRequest,
        // Mid-stream errors without a status: `api_error` and anything unknown are server-side.
        None if has(&["invalid_request_error"]) => K::BadRequest,
        None => K::Server,
    }
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a body.
async fn read_capped(mut resp: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// Turns a non-success response into a classified provider error.
pub(crate) async fn error_from_response(ctx: &Ctx, resp: reqwest::Response) -> Error {
    let status = resp.status();
    let mut retry_after = parse_retry_after(resp.headers(), SystemTime::now());
    if retry_after.is_none() && status.as_u16() == 429 {
        retry_after = rate_limit_reset(resp.headers());
    }
    let body = read_capped(resp).await;
    let parsed = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let info = parsed.as_ref().and_then(parse_error_body);
    let kind = classify(
        Some(status.as_u16()),
        info.as_ref().and_then(|i| i.error_type.as_deref()),
        info.as_ref().and_then(|i| i.code.as_deref()),
    );
    let message = info.as_ref().and_then(|i| i.message.clone()).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&body);
        let text = text.trim();
        let reason = status.canonical_reason().unwrap_or("error");
        if text.is_empty() {
            reason.to_string()
        } else {
            format!("{reason}: {}", truncate(text, MAX_ERROR_TEXT))
        }
    });
    let mut e = ctx.error(kind, message);
    e.status = Some(status.as_u16());
    e.error_type = info.and_then(|i| i.code.filter(|c| c.parse::<f64>().is_err()).or(i.error_type));
    e.retry_after = retry_after;
    e.into()
}

/// A classified error from an error object received inside a 200 response or a stream.
pub(crate) fn error_from_body(ctx: &Ctx, info: ErrorBody, partial: Option<&str>) -> ProviderError {
    let kind = classify(None, info.error_type.as_deref(), info.code.as_deref());
    let mut e = ctx.error(kind, info.message.unwrap_or_else(|| "error reported by the provider".into()));
    e.error_type = info.code.filter(|c| c.parse::<f64>().is_err()).or(info.error_type);
    e.partial_text = partial.filter(|p| !p.is_empty()).map(str::to_string);
    e
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Sends a prepared request; non-2xx statuses become classified errors.
pub(crate) async fn send(
    ctx: &mut Ctx,
    req: reqwest::RequestBuilder,
    request_id_headers: &[&str],
    connect_ms: u64,
) -> Result<reqwest::Response> {
    let resp = req.send().await.map_err(|e| Error::from(ctx.transport_error(&e, connect_ms)))?;
    ctx.request_id = header(resp.headers(), request_id_headers);
    if !resp.status().is_success() {
        return Err(error_from_response(ctx, resp).await);
    }
    Ok(resp)
}

/// Reads a whole 2xx JSON body: a body that is not JSON (or not the expected shape) is
/// `Malformed`; an `{"error":…}` object is classified like an error response.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    resp: reqwest::Response,
    connect_ms: u64,
) -> Result<T> {
    let status = resp.status();
    let mut resp = resp;
    let mut body = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| Error::from(ctx.transport_error(&e, connect_ms)))?
    {
        if body.len() + chunk.len() > MAX_JSON_BODY {
            return Err(ctx
                .error(
                    ProviderErrorKind::Malformed,
                    format!("response body larger than {} MiB", MAX_JSON_BODY >> 20),
                )
                .into());
        }
        body.extend_from_slice(&chunk);
    }
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        Error::from(ctx.error(
            ProviderErrorKind::Malformed,
            format!(
                "HTTP {} body is not JSON ({e}): {}",
                status.as_u16(),
                truncate(&String::from_utf8_lossy(&body), 200)
            ),
        ))
    })?;
    if let Some(info) = parse_error_body(&value) {
        return Err(error_from_body(ctx, info, None).into());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        ctx.error(
            ProviderErrorKind::Malformed,
            format!("unexpected response shape at `{}`: {}", e.path(), e.inner()),
        )
        .into()
    })
}

/// Whether a response is an event stream (some compatible servers answer a streaming request with
/// a JSON error and status 200).
pub(crate) fn is_event_stream(resp: &reqwest::Response) -> bool {
    match resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) => !ct.trim_start().to_ascii_lowercase().starts_with("application/json"),
        None => true,
    }
}

/// Per-provider handling of decoded events.
pub(crate) trait EventHandler: Send + 'static {
    /// Handles one event; pushes provider events to `out`. `Ok(true)` means the terminal event
    /// arrived and the stream is complete.
    fn on_event(&mut self, ctx: &Ctx, event: SseEvent, out: &mut VecDeque<ProviderEvent>) -> Result<bool>;
    /// Text received so far, attached to errors.
    fn partial_text(&self) -> &str;
    /// What the terminal event was called, for the truncation message.
    fn terminal_name(&self) -> &'static str;
}

struct Driver<H> {
    ctx: Ctx,
    body: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    decoder: SseDecoder,
    pending: VecDeque<SseEvent>,
    out: VecDeque<ProviderEvent>,
    handler: H,
    connect_ms: u64,
    /// An error to report once the events decoded before it are handed out.
    deferred: Option<ProviderError>,
    complete: bool,
    eof: bool,
    done: bool,
}

impl<H: EventHandler> Driver<H> {
    fn fail(&mut self, mut e: ProviderError) -> Error {
        self.done = true;
        if e.partial_text.is_none() {
            let p = self.handler.partial_text();
            e.partial_text = (!p.is_empty()).then(|| p.to_string());
        }
        e.into()
    }

    async fn next_item(&mut self) -> Option<Result<ProviderEvent>> {
        loop {
            if let Some(ev) = self.out.pop_front() {
                return Some(Ok(ev));
            }
            if self.done || self.complete {
                self.done = true;
                return None;
            }
            if let Some(ev) = self.pending.pop_front() {
                match self.handler.on_event(&self.ctx, ev, &mut self.out) {
                    Ok(terminal) => self.complete = terminal,
                    Err(Error::Provider(p)) => return Some(Err(self.fail(*p))),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                continue;
            }
            if let Some(e) = self.deferred.take() {
                return Some(Err(self.fail(e)));
            }
            if self.eof {
                let msg = format!(
                    "the stream closed before `{}` ({} characters received)",
                    self.handler.terminal_name(),
                    self.handler.partial_text().chars().count()
                );
                let e = self.ctx.error(ProviderErrorKind::Truncated, msg);
                return Some(Err(self.fail(e)));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => {
                    let mut events = Vec::new();
                    let res = self.decoder.feed_into(&chunk, &mut events);
                    self.pending.extend(events);
                    if let Err(e) = res {
                        // Events decoded before the bad line are handed out first.
                        self.deferred = Some(self.ctx.error(ProviderErrorKind::Malformed, e.to_string()));
                    }
                }
                Some(Err(e)) => {
                    // The 200 and its headers arrived: a body that breaks off now is a truncated
                    // stream (retryable), whatever the socket said; a deadline stays a timeout.
                    let mut err = self.ctx.transport_error(&e, self.connect_ms);
                    if err.kind == ProviderErrorKind::Connection {
                        err.kind = ProviderErrorKind::Truncated;
                        err.message = format!(
                            "the connection dropped before `{}` ({} characters received): {}",
                            self.handler.terminal_name(),
                            self.handler.partial_text().chars().count(),
                            err.message
                        );
                    }
                    return Some(Err(self.fail(err)));
                }
                None => {
                    self.eof = true;
                    self.pending.extend(self.decoder.finish());
                }
            }
        }
    }
}

/// Decodes an SSE response body into provider events through `handler`.
///
/// The stream ends cleanly only after the handler saw the terminal event; a body that ends
/// earlier, or whose connection drops, yields a `Truncated` error carrying
/// the partial text.
pub(crate) fn drive<H: EventHandler>(
    ctx: Ctx,
    resp: reqwest::Response,
    handler: H,
    connect_ms: u64,
) -> ProviderStream {
    let driver = Driver {
        ctx,
        body: Box::pin(resp.bytes_stream()),
        decoder: SseDecoder::new(),
        pending: VecDeque::new(),
        out: VecDeque::new(),
        handler,
        connect_ms,
        deferred: None,
        complete: false,
        eof: false,
        done: false,
    };
    Box::pin(futures::stream::unfold(driver, |mut d| async move {
        let item = d.next_item().await?;
        Some((item, d))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500.5"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_micros(1_500_500)));
        let mut h = HeaderMap::new();
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        h.insert("retry-after", HeaderValue::from_str(&earlier).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn rate_limit_reset_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset-requests", HeaderValue::from_static("1m2.5s"));
        h.insert("x-ratelimit-remaining-tokens", HeaderValue::from_static("1200"));
        h.insert("x-ratelimit-reset-tokens", HeaderValue::from_static("6h"));
        assert_eq!(rate_limit_reset(&h), Some(Duration::from_millis(62_500)));
        h.insert("x-ratelimit-remaining-tokens", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset-tokens", HeaderValue::from_static("20ms"));
        assert_eq!(rate_limit_reset(&h), Some(Duration::from_millis(62_500)));
        h.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("3"));
        assert_eq!(rate_limit_reset(&h), Some(Duration::from_millis(20)));
        h.insert("x-ratelimit-reset-tokens", HeaderValue::from_static("soon"));
        assert_eq!(rate_limit_reset(&h), None);
        assert_eq!(parse_go_duration("1h0m0s"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_go_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn classification() {
        use ProviderErrorKind as K;
        assert_eq!(
            classify(Some(429), Some("insufficient_quota"), Some("insufficient_quota")),
            K::QuotaExceeded
        );
        assert_eq!(classify(Some(429), Some("requests"), Some("rate_limit_exceeded")), K::RateLimited);
        assert_eq!(classify(Some(429), Some("rate_limit_error"), None), K::RateLimited);
        assert_eq!(classify(Some(529), Some("overloaded_error"), None), K::Overloaded);
        assert_eq!(classify(Some(503), None, None), K::Server);
        assert_eq!(classify(None, Some("overloaded_error"), None), K::Overloaded);
        assert_eq!(classify(None, Some("api_error"), None), K::Server);
        assert_eq!(classify(Some(400), Some("invalid_request_error"), None), K::BadRequest);
        assert_eq!(classify(Some(401), None, Some("invalid_api_key")), K::Authentication);
        assert_eq!(classify(Some(413), None, None), K::RequestTooLarge);
    }

    #[test]
    fn endpoint_joins_once() {
        assert_eq!(endpoint("http://h/v1/", "/chat/completions"), "http://h/v1/chat/completions");
        assert_eq!(
            endpoint("https://api.anthropic.com", "v1/messages"),
            "https://api.anthropic.com/v1/messages"
        );
    }
}
