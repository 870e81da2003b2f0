//! The shared SSE decoder: identical events however the bytes are split, WHATWG line and field
//! rules, bounded lines.

use spark_core::provider::{SseDecoder, SseError, SseEvent};

const FIXTURES: &[&str] = &[
    "anthropic_text.sse",
    "anthropic_thinking_tools.sse",
    "anthropic_overloaded.sse",
    "openai_text.sse",
    "openai_compat_crlf.sse",
    "openai_midstream_error.sse",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/sse/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes `chunks` in order with a fresh decoder, including the end-of-stream flush.
fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.feed(c).expect("decode"));
    }
    out.extend(d.finish());
    out
}

fn whole(bytes: &[u8]) -> Vec<SseEvent> {
    decode([bytes])
}

/// A small deterministic generator for chunk sizes (no test depends on luck).
fn lcg(seed: &mut u64) -> usize {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (*seed >> 33) as usize
}

fn line_endings(bytes: &[u8], ending: &[u8]) -> Vec<u8> {
    // Normalise to LF first so CRLF fixtures convert too.
    let text = String::from_utf8(bytes.to_vec()).unwrap().replace("\r\n", "\n");
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(ending);
        }
        out.extend_from_slice(line.as_bytes());
    }
    out
}

#[test]
fn fixtures_decode_to_the_expected_events() {
    let ev = whole(&fixture("anthropic_text.sse"));
    assert_eq!(ev.len(), 14);
    assert_eq!(ev[0].event, "message_start");
    assert!(ev[0].data.starts_with(r#"{"type":"message_start""#));
    assert_eq!(ev.iter().filter(|e| e.event == "ping").count(), 2);
    assert_eq!(ev.last().unwrap().event, "message_stop");
    for e in &ev {
        let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(v["type"], e.event.as_str(), "event name equals data.type on the Anthropic wire");
    }

    let ev = whole(&fixture("openai_compat_crlf.sse"));
    assert_eq!(ev.len(), 4, "keep-alive comments are not events: {ev:?}");
    assert!(ev.iter().all(|e| e.event == "message"));
    assert!(ev[0].data.starts_with('{'), "no space after `data:` is kept as is");
    assert_eq!(ev[3].data, "[DONE]");
}

#[test]
fn every_split_point_gives_identical_events() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let expected = whole(&bytes);
        assert!(!expected.is_empty(), "{name}");
        for i in 0..=bytes.len() {
            let got = decode([&bytes[..i], &bytes[i..]]);
            assert_eq!(got, expected, "{name} split at byte {i}");
        }
        // One byte at a time.
        assert_eq!(decode(bytes.chunks(1)), expected, "{name} byte by byte");
        // Three-way splits of random sizes, several seeds.
        let mut seed = 42u64;
        for _ in 0..200 {
            let a = lcg(&mut seed) % (bytes.len() + 1);
            let b = a + lcg(&mut seed) % (bytes.len() - a + 1);
            assert_eq!(decode([&bytes[..a], &bytes[a..b], &bytes[b..]]), expected, "{name} split {a}/{b}");
        }
    }
}

#[test]
fn splits_inside_utf8_characters_are_covered_and_exact() {
    let bytes = fixture("anthropic_text.sse");
    let text = String::from_utf8(bytes.clone()).unwrap();
    // The fixture has 2-, 3- and 4-byte characters (°, —, 🎮).
    for c in ['°', '—', '🎮'] {
        let at = text.find(c).unwrap_or_else(|| panic!("fixture lacks {c}"));
        for cut in 1..c.len_utf8() {
            let got = decode([&bytes[..at + cut], &bytes[at + cut..]]);
            assert_eq!(got, whole(&bytes), "split inside {c}");
            assert!(got.iter().any(|e| e.data.contains(c)), "{c} decoded intact");
            assert!(got.iter().all(|e| !e.data.contains('\u{FFFD}')), "no replacement characters");
        }
    }
}

#[test]
fn cr_lf_and_crlf_line_endings_give_the_same_events() {
    for name in FIXTURES {
        let lf = line_endings(&fixture(name), b"\n");
        let expected = whole(&lf);
        for ending in [&b"\r\n"[..], b"\r"] {
            let bytes = line_endings(&lf, ending);
            assert_eq!(whole(&bytes), expected, "{name} with {ending:?}");
            for i in 0..=bytes.len() {
                assert_eq!(decode([&bytes[..i], &bytes[i..]]), expected, "{name} {ending:?} split at {i}");
            }
        }
    }
}

#[test]
fn crlf_split_between_cr_and_lf_is_one_line_end() {
    // If the LF after a chunk-final CR were taken as a second line end, it would dispatch early
    // and split this event in two.
    let got = decode([&b"data: a\r"[..], b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, "a\nb");
}

#[test]
fn fields_comments_and_defaults_follow_the_spec() {
    let input = b": this is a comment\n\
        event: custom\n\
        id: 41\n\
        retry: 2500\n\
        unknown: ignored\n\
        data:first\n\
        data: second\n\
        data\n\
        \n\
        data: plain\n\
        \n\
        id\n\
        data: after empty id\n\
        \n\
        event: nodata\n\
        \n\
        data: after nodata\n\
        \n";
    let ev = whole(input);
    assert_eq!(ev.len(), 4, "{ev:?}");
    assert_eq!(ev[0].event, "custom");
    assert_eq!(ev[0].data, "first\nsecond\n");
    assert_eq!(ev[0].id.as_deref(), Some("41"));
    assert_eq!(ev[0].retry, Some(2500));
    assert_eq!((ev[1].event.as_str(), ev[1].data.as_str()), ("message", "plain"));
    assert_eq!(ev[1].id.as_deref(), Some("41"), "the last event id persists");
    assert_eq!(ev[1].retry, None);
    assert_eq!(ev[2].id.as_deref(), Some(""), "an empty id resets it");
    assert_eq!(ev[3].event, "message", "an event without data is not dispatched and its type is reset");
}

#[test]
fn end_of_stream_keeps_complete_lines_and_drops_a_cut_line() {
    // Last event complete but without the closing blank line: handed back by finish().
    let ev = decode([&b"data: 1\n\ndata: [DONE]\n"[..]]);
    assert_eq!(ev.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(), ["1", "[DONE]"]);
    // A line cut mid-way is never an event: it may be truncated.
    let ev = decode([&b"data: 1\n\ndata: {\"partial\":"[..]]);
    assert_eq!(ev.len(), 1);
    let mut d = SseDecoder::new();
    d.feed(b"data: x").unwrap();
    assert!(d.has_pending());
    assert_eq!(d.finish(), None);
}

#[test]
fn a_leading_bom_is_skipped_once() {
    let ev = whole(b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(ev[0].data, "a");
    assert_eq!(ev.len(), 1, "a BOM later in the stream is part of a field name, which is unknown");
}

#[test]
fn a_runaway_line_is_a_typed_error() {
    let mut d = SseDecoder::new();
    let chunk = vec![b'x'; 64 * 1024];
    let mut fed = 0usize;
    let err = loop {
        match d.feed(&chunk) {
            Ok(ev) => assert!(ev.is_empty()),
            Err(e) => break e,
        }
        fed += chunk.len();
        assert!(fed <= 2 * 1024 * 1024, "2 MiB without a line end were accepted");
    };
    assert_eq!(err, SseError::LineTooLong { limit: 1024 * 1024 });
    assert!(fed <= 1024 * 1024, "the error came as soon as the limit was crossed");
    // The decoder stays failed rather than resynchronising mid-line.
    assert_eq!(d.feed(b"\n\ndata: x\n\n").unwrap_err(), err);
    assert_eq!(d.finish(), None);

    // The same line with a line end just under a small limit is fine.
    let mut d = SseDecoder::with_limits(16, 1024);
    assert_eq!(d.feed(b"data: 0123456789\n\n").unwrap().len(), 1);
    assert!(matches!(d.feed(b"data: 0123456789A\n"), Err(SseError::LineTooLong { limit: 16 })));
}

#[test]
fn an_oversized_event_is_a_typed_error() {
    let mut d = SseDecoder::with_limits(1024, 100);
    let mut err = None;
    for _ in 0..20 {
        if let Err(e) = d.feed(b"data: 0123456789\n") {
            err = Some(e);
            break;
        }
    }
    assert_eq!(err, Some(SseError::EventTooLarge { limit: 100 }));
}
