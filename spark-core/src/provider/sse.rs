//! Incremental Server-Sent Events decoder shared by the HTTP providers.
//!
//! Follows the WHATWG `text/event-stream` parsing rules: lines end with CR, LF or CRLF (a CRLF
//! split across two chunks is one line end), `:` starts a comment, one space after the field
//! colon is dropped, `data` lines of one event are joined with `\n`, a blank line dispatches, an
//! event with no data is not dispatched, a leading UTF-8 BOM is skipped, `id` containing NUL and
//! non-numeric `retry` are ignored.
//!
//! Bytes are buffered per line and decoded only once the line is complete, so a chunk boundary
//! anywhere (inside a multi-byte character, inside CRLF, inside a field name) gives the same
//! events. Lines and events are bounded: a runaway line is a typed error, not unbounded memory.
//!
//! Written here rather than taken from `eventsource-stream`: that crate buffers without bound
//! and has no way to report a runaway line.

/// Longest accepted line, in bytes (1 MiB). Provider events are a few hundred bytes.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1024 * 1024;
/// Largest accepted event data (all `data` lines of one event), in bytes (8 MiB).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event` field, or `message` when the event named none.
    pub event: String,
    /// The `data` lines joined with `\n`.
    pub data: String,
    /// The last event id seen so far in the stream (ids persist across events, per the spec).
    pub id: Option<String>,
    /// The `retry` field of this event, in milliseconds.
    pub retry: Option<u64>,
}

/// A stream that breaks the decoder's bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A line longer than the limit (no line end within `limit` bytes).
    #[error("server-sent event line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// An event whose data is larger than the limit.
    #[error("server-sent event data larger than {limit} bytes")]
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Incremental decoder: feed byte chunks as they arrive, get complete events back.
#[derive(Debug, Clone)]
pub struct SseDecoder {
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF starting the next chunk belongs to that line end.
    after_cr: bool,
    /// Whether the BOM check at stream start is still pending.
    at_start: bool,
    data: String,
    has_data: bool,
    event: String,
    last_id: Option<String>,
    retry: Option<u64>,
    max_line: usize,
    max_event: usize,
    failed: Option<SseError>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default bounds.
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_EVENT_BYTES)
    }

    /// A decoder with explicit bounds in bytes (each at least 1).
    pub fn with_limits(max_line_bytes: usize, max_event_bytes: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event: String::new(),
            last_id: None,
            retry: None,
            max_line: max_line_bytes.max(1),
            max_event: max_event_bytes.max(1),
            failed: None,
        }
    }

    /// Feeds one chunk; returns the events it completed, in order.
    ///
    /// After an error the decoder stays failed and returns the same error.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut out = Vec::new();
        self.feed_into(chunk, &mut out)?;
        Ok(out)
    }

    /// Like [`SseDecoder::feed`], appending to `out` (events completed before an error stay in
    /// `out`).
    pub fn feed_into(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.at_start {
            // The BOM may itself arrive split; wait until three bytes (or a mismatch) are known.
            let mut probe = self.line.clone();
            probe.extend_from_slice(&chunk[..chunk.len().min(3)]);
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            if probe.len() < 3 && BOM.starts_with(&probe) {
                self.line = probe;
                return Ok(());
            }
            self.at_start = false;
            if probe.starts_with(BOM) {
                let taken = 3 - self.line.len();
                self.line.clear();
                chunk = &chunk[taken..];
            }
        }
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        while let Some(pos) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            if self.line.len() + pos > self.max_line {
                return Err(self.fail(SseError::LineTooLong { limit: self.max_line }));
            }
            let was_cr = chunk[pos] == b'\r';
            let line_bytes: &[u8] = if self.line.is_empty() {
                &chunk[..pos]
            } else {
                self.line.extend_from_slice(&chunk[..pos]);
                &self.line
            };
            let line = String::from_utf8_lossy(line_bytes).into_owned();
            self.line.clear();
            self.process_line(&line, out)?;
            chunk = &chunk[pos + 1..];
            if was_cr {
                if chunk.is_empty() {
                    self.after_cr = true;
                } else if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                }
            }
        }
        if self.line.len() + chunk.len() > self.max_line {
            return Err(self.fail(SseError::LineTooLong { limit: self.max_line }));
        }
        self.line.extend_from_slice(chunk);
        Ok(())
    }

    /// Ends the stream. Per the spec an event not closed by a blank line is discarded; this
    /// returns it instead (when it has data and every line of it was complete), so the caller
    /// can accept a terminal event whose server skipped the final blank line. An unterminated
    /// last line is always discarded: it may be cut.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.line.clear();
        if self.failed.is_some() {
            return None;
        }
        self.take_event()
    }

    /// Whether bytes of an unfinished line or event are buffered.
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.has_data
    }

    fn fail(&mut self, e: SseError) -> SseError {
        self.failed = Some(e.clone());
        self.line.clear();
        self.data.clear();
        e
    }

    fn process_line(&mut self, line: &str, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if let Some(ev) = self.take_event() {
                out.push(ev);
            }
            self.event.clear();
            self.retry = None;
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_event {
                    return Err(self.fail(SseError::EventTooLarge { limit: self.max_event }));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
        Ok(())
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        let event =
            if self.event.is_empty() { "message".to_string() } else { std::mem::take(&mut self.event) };
        Some(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry: self.retry.take(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = d.feed(input).unwrap();
        out.extend(d.finish());
        out
    }

    #[test]
    fn spec_examples() {
        let ev = all(b"data: YHOO\ndata: +2\ndata: 10\n\n");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].data, "YHOO\n+2\n10");
        assert_eq!(ev[0].event, "message");
        // `data` without colon is an empty data line; two of them give one "\n".
        let ev = all(b"data\n\ndata\ndata\n\ndata:\n");
        assert_eq!(ev.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(), vec!["", "\n", ""]);
        // Only one leading space is stripped.
        assert_eq!(all(b"data:  two\n\n")[0].data, " two");
    }

    #[test]
    fn retry_only_digits_and_id_without_nul() {
        let ev = all(b"retry: 1500\nid: 7\ndata: a\n\nretry: 1.5\nid: x\0y\ndata: b\n\n");
        assert_eq!((ev[0].retry, ev[0].id.as_deref()), (Some(1500), Some("7")));
        assert_eq!((ev[1].retry, ev[1].id.as_deref()), (None, Some("7")));
    }

    #[test]
    fn bom_split_across_chunks_is_skipped() {
        let mut d = SseDecoder::new();
        let mut out = d.feed(b"\xEF").unwrap();
        out.extend(d.feed(b"\xBB").unwrap());
        out.extend(d.feed(b"\xBFdata: x\n\n").unwrap());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, "x");
    }
}
