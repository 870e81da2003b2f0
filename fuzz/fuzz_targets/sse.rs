//! The SSE decoder on arbitrary bytes: never panics, and any split of the same bytes into chunks
//! gives the same events and the same error as feeding them at once (its documented contract).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spark_core::provider::{SseDecoder, SseError, SseEvent};
use spark_fuzz::split_control;

fn run(decoder: &mut SseDecoder, chunks: &[&[u8]]) -> (Vec<SseEvent>, Option<SseError>) {
    let mut out = Vec::new();
    for chunk in chunks {
        if let Err(e) = decoder.feed_into(chunk, &mut out) {
            return (out, Some(e));
        }
    }
    out.extend(decoder.finish());
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    // Control bytes: small limits (so the bounds are reached) and the chunk split pattern.
    let (control, bytes) = split_control::<4>(data);
    let max_line = 1 + usize::from(control[0]) * 4;
    let max_event = 1 + usize::from(control[1]) * 16;
    let mut seed = u16::from_le_bytes([control[2], control[3]]) | 1;

    let mut chunks = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        // xorshift16: chunk lengths 0..=7, so empty chunks and 1-byte splits inside CRLF, BOM and
        // multi-byte characters all occur.
        seed ^= seed << 7;
        seed ^= seed >> 9;
        seed ^= seed << 8;
        let n = usize::from(seed % 8).min(rest.len());
        chunks.push(&rest[..n]);
        rest = &rest[n..];
    }

    for (line, event) in [
        (max_line, max_event),
        (
            spark_core::provider::DEFAULT_MAX_LINE_BYTES,
            spark_core::provider::DEFAULT_MAX_EVENT_BYTES,
        ),
    ] {
        let whole = run(&mut SseDecoder::with_limits(line, event), &[bytes]);
        let split = run(&mut SseDecoder::with_limits(line, event), &chunks);
        assert_eq!(whole, split, "a chunk split changed the decoded events");
        if let (_, Some(_)) = &whole {
            // A failed decoder stays failed.
            let mut d = SseDecoder::with_limits(line, event);
            let _ = run(&mut d, &[bytes]);
            assert!(d.feed(b"data: x\n\n").is_err());
        }
    }
});
