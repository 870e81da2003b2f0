//! Request ids and trace context across process boundaries: the `[telemetry]` settings, W3C
//! `traceparent` parsing and propagation, and the `tracing` spans every request and stage opens.
//!
//! Spans carry the request id and the stage, never the prompt (unless
//! `telemetry.record_prompts` says so) and never a key: a host's subscriber (a log formatter,
//! the `otel` exporter) may ship them anywhere.

use serde::{Deserialize, Serialize};
use tracing::Span;

use crate::error::{Error, Result};
use crate::secret::ApiKey;

use super::Stage;

/// `[telemetry]`: what the request path tells tracing, OpenTelemetry and error trackers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TelemetryConfig {
    /// Record the prompt text on the request span. Off by default: spans often leave the
    /// process (OTLP), and a prompt may hold anything a user typed.
    pub record_prompts: bool,
    /// OTLP/HTTP collector base URL (`http://127.0.0.1:4318`); spans go to `<endpoint>/v1/traces`.
    /// Used by the `otel` cargo feature.
    pub otlp_endpoint: Option<String>,
    /// Sentry DSN errors and panics are reported to (the `sentry` cargo feature). A secret:
    /// never printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentry_dsn: Option<ApiKey>,
}

impl TelemetryConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(endpoint) = &self.otlp_endpoint {
            let ok = url::Url::parse(endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(Error::config("telemetry.otlp_endpoint", "expected an http(s) URL"));
            }
            // A password in the URL would be printed with the config; the message never repeats it.
            if url::Url::parse(endpoint).is_ok_and(|u| !u.username().is_empty() || u.password().is_some()) {
                return Err(Error::config(
                    "telemetry.otlp_endpoint",
                    "credentials in the URL are not accepted; send them from a collector in front",
                ));
            }
        }
        if let Some(dsn) = &self.sentry_dsn {
            // The message never repeats the DSN: its user part is a key.
            let ok = url::Url::parse(dsn.expose()).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https") && !u.username().is_empty() && u.host().is_some()
            });
            if !ok {
                return Err(Error::config(
                    "telemetry.sentry_dsn",
                    "expected a DSN like https://<public key>@<host>/<project>",
                ));
            }
        }
        Ok(())
    }
}

/// A W3C trace context (`traceparent`): the trace a request belongs to and the span that sent it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

impl std::fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

impl std::fmt::Display for TraceParent {
    /// The header value: `00-<trace id>-<parent id>-<flags>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "00-{}-{}-{:02x}", hex::encode(self.trace_id), hex::encode(self.parent_id), self.flags)
    }
}

impl TraceParent {
    /// Parses a `traceparent` header value (W3C Trace Context level 1). Unknown future versions
    /// are read by their version-00 prefix, as the specification asks; version `ff`, all-zero
    /// ids, upper-case hex and wrong lengths are refused.
    pub fn parse(value: &str) -> Option<TraceParent> {
        let v = value.trim().as_bytes();
        if v.len() < 55 || v.get(2) != Some(&b'-') {
            return None;
        }
        let version = decode::<1>(&v[0..2])?[0];
        if version == 0xff
            || (version == 0 && v.len() != 55)
            || (version > 0 && v.len() > 55 && v[55] != b'-')
        {
            return None;
        }
        if v[35] != b'-' || v[52] != b'-' {
            return None;
        }
        let trace_id = decode::<16>(&v[3..35])?;
        let parent_id = decode::<8>(&v[36..52])?;
        let flags = decode::<1>(&v[53..55])?[0];
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(TraceParent { trace_id, parent_id, flags })
    }

    /// A context that starts a new trace whose id is `trace_id` (not sampled by the caller).
    pub fn root(trace_id: [u8; 16]) -> Option<TraceParent> {
        (trace_id != [0; 16]).then(|| TraceParent { trace_id, parent_id: new_span_id(), flags: 0 })
    }

    /// The trace a request joins when the caller sent no context: the request id itself when it
    /// is 32 hex digits (SPARK's generated ids are), else a digest of it, so logs keyed by
    /// request id and traces keyed by trace id meet.
    pub fn for_request(request_id: &str) -> TraceParent {
        let mut id = [0u8; 16];
        if !hex_to_bytes(request_id.as_bytes(), &mut id) || id == [0; 16] {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(request_id.as_bytes());
            id.copy_from_slice(&digest[..16]);
        }
        id[0] |= (id == [0; 16]) as u8;
        // Never sent (outgoing calls take a child's fresh id): no need to pay for randomness
        // on every request, cache hits included.
        let mut parent_id = [0u8; 8];
        parent_id.copy_from_slice(&id[8..]);
        parent_id[7] |= (parent_id == [0; 8]) as u8;
        TraceParent { trace_id: id, parent_id, flags: 0 }
    }

    /// The same trace with a fresh span id: what goes out with a provider request.
    pub fn child(&self) -> TraceParent {
        TraceParent { parent_id: new_span_id(), ..*self }
    }

    /// The trace id, 16 bytes.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The id of the span that sent this context, 8 bytes.
    pub fn parent_id(&self) -> [u8; 8] {
        self.parent_id
    }

    /// The trace flags (bit 0: sampled).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }
}

/// Decodes exactly `2 * out.len()` hex digits (either case) into `out`; false on anything else.
/// A plain loop: it runs on every request without a `traceparent`.
fn hex_to_bytes(text: &[u8], out: &mut [u8]) -> bool {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if text.len() != 2 * out.len() {
        return false;
    }
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => *o = (h << 4) | l,
            _ => return false,
        }
    }
    true
}

/// Lowercase hex only: the specification forbids upper case.
fn decode<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// A random non-zero 8-byte span id. From the OS (no thread-local RNG: the calling thread may be
/// a host's, see `new_request_id`).
fn new_span_id() -> [u8; 8] {
    let mut id = [0u8; 8];
    if getrandom::fill(&mut id).is_err() {
        // No OS randomness: still unique enough within the process for a span id.
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed) ^ u64::from(std::process::id()).rotate_left(32);
        id = n.to_be_bytes();
    }
    if id == [0; 8] {
        id[7] = 1;
    }
    id
}

/// The trace context a request runs under, and whether it is the caller's: the caller's
/// `traceparent` when it is valid, else one derived from the request id. A malformed value is
/// ignored with a warning, as W3C Trace Context asks of a receiver (a broken header upstream must
/// not fail the request).
pub(crate) fn request_context(traceparent: Option<&str>, request_id: &str) -> (TraceParent, bool) {
    if let Some(value) = traceparent {
        match TraceParent::parse(value) {
            Some(tp) => return (tp, true),
            None => tracing::warn!(
                request_id,
                // Bounded: the value is the caller's and may be anything.
                traceparent_len = value.len(),
                "malformed traceparent ignored; starting a new trace"
            ),
        }
    }
    (TraceParent::for_request(request_id), false)
}

/// The span a whole request runs in. `prompt` is recorded only when `record_prompts` is on.
/// `remote` says the context came from the caller: the exported span then joins its trace.
pub(crate) fn request_span(
    request_id: &str,
    trace: &TraceParent,
    remote: bool,
    prompt: Option<&str>,
) -> Span {
    // `spark.request_id` as well as the plain field every stage span shares: the OpenTelemetry
    // attribute name a trace backend is searched by (the trace id is the request id itself
    // when it is 32 hex digits, see `TraceParent::for_request`).
    // Ids and names as `Display` values: a formatting subscriber writes them in one piece,
    // where a `&str` field goes through `Debug` escaping a character at a time.
    let span = tracing::info_span!(
        "spark.request",
        request_id = %request_id,
        spark.request_id = %request_id,
        trace_id = tracing::field::Empty,
        prompt = tracing::field::Empty,
        provider = tracing::field::Empty,
        model = tracing::field::Empty,
        error = tracing::field::Empty,
    );
    if !span.is_disabled() {
        span.record("trace_id", tracing::field::display(HexId(&trace.trace_id)));
        if let Some(p) = prompt {
            span.record("prompt", p);
        }
        #[cfg(feature = "otel")]
        if remote {
            super::otel::set_remote_parent(&span, trace);
        }
        #[cfg(not(feature = "otel"))]
        let _ = remote;
    }
    span
}

/// The span of one stage of a request.
pub(crate) fn stage_span(stage: Stage, request_id: &str) -> Span {
    // `otel.name` names the exported span after the stage; `tracing` names are static.
    tracing::info_span!(
        "spark.stage",
        otel.name = span_name(stage),
        stage = %stage.as_str(),
        request_id = %request_id,
        error = tracing::field::Empty,
    )
}

/// `spark.<stage>`: the exported span's name.
fn span_name(stage: Stage) -> &'static str {
    match stage {
        Stage::GuardBefore => "spark.guard_before",
        Stage::Cache => "spark.cache",
        Stage::Admission => "spark.admission",
        Stage::Provider => "spark.provider",
        Stage::Extract => "spark.extract",
        Stage::Validate => "spark.validate",
        Stage::Repair => "spark.repair",
        Stage::GuardAfter => "spark.guard_after",
    }
}

/// Records a failed stage's error code on its span.
pub(crate) fn record_error(span: &Span, error: &Error) {
    if !span.is_disabled() {
        span.record("error", error.code().as_str());
    }
}

struct HexId<'a>(&'a [u8]);

impl std::fmt::Display for HexId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One write of the digits: a live subscriber formats this on every request.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 64];
        let n = self.0.len().min(32);
        for (i, b) in self.0[..n].iter().enumerate() {
            buf[2 * i] = DIGITS[usize::from(b >> 4)];
            buf[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        f.write_str(std::str::from_utf8(&buf[..2 * n]).unwrap_or_default())
    }
}

/// A fresh request id: 32 lowercase hex digits, unique in the process and unpredictable across
/// processes (a per-process random seed mixed with a counter).
///
/// Not from a thread-local RNG: the caller's thread may be a host's (the C ABI's, Unity's), and
/// initialising Rust thread state there leaks it when the host ends the thread.
pub fn new_request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEED: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        h.write_u32(std::process::id());
        h.finish()
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let a = splitmix64(seed ^ n);
    let b = splitmix64(a ^ seed.rotate_left(29) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    // The same digits as `format!("{a:016x}{b:016x}")`, without the formatting machinery or
    // a char iterator: this runs on every request, cache hits included.
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    lower_hex(&bytes)
}

/// `bytes` as lowercase hex digits.
fn lower_hex(bytes: &[u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(32);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    // Only ASCII digits were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// SplitMix64's finaliser: a bijective mix, so distinct counters give distinct ids.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_prints_the_spec_example() {
        let tp = TraceParent::parse(VALID).unwrap();
        assert_eq!(tp.to_string(), VALID);
        assert_eq!(tp.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.flags(), 1);
        let child = tp.child();
        assert_eq!(child.trace_id(), tp.trace_id());
        assert_ne!(child.parent_id(), tp.parent_id());
        assert_eq!(TraceParent::parse(&child.to_string()), Some(child));
    }

    #[test]
    fn refuses_malformed_values() {
        for bad in [
            "",
            "00",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-é1",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
        // A later version may append fields after a dash.
        let future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever";
        assert_eq!(TraceParent::parse(future).unwrap().trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn a_request_without_context_traces_under_its_request_id() {
        let id = "0af7651916cd43dd8448eb211c80319c";
        assert_eq!(request_context(None, id).0.trace_id_hex(), id);
        assert_eq!(request_context(Some("garbage"), id).0.trace_id_hex(), id);
        assert!(!request_context(Some("garbage"), id).1);
        let (tp, remote) = request_context(Some(VALID), id);
        assert_eq!((tp.trace_id_hex().as_str(), remote), ("4bf92f3577b34da6a3ce929d0e0e4736", true));
        let other = request_context(None, "order-17").0.trace_id_hex();
        assert_eq!(other, request_context(None, "order-17").0.trace_id_hex(), "stable per id");
        assert_ne!(other, request_context(None, "order-18").0.trace_id_hex());
    }

    #[test]
    fn config_checks_urls_without_echoing_the_dsn() {
        let mut c = TelemetryConfig { otlp_endpoint: Some("ftp://x".into()), ..Default::default() };
        assert!(c.validate().is_err());
        c.otlp_endpoint = Some("http://127.0.0.1:4318".into());
        c.sentry_dsn = Some(ApiKey::new("not a dsn sekrit"));
        let e = c.validate().unwrap_err().to_string();
        assert!(!e.contains("sekrit"), "{e}");
        c.sentry_dsn = Some(ApiKey::new("http://public@127.0.0.1:9/1"));
        c.validate().unwrap();
        assert!(!format!("{c:?}").contains("public@"));
    }

    #[test]
    fn generated_request_ids_are_32_lowercase_hex_digits_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
        }
    }
}
