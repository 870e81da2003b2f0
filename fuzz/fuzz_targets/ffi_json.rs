//! The C ABI's JSON entry points called directly with arbitrary bytes as `(ptr, len)`: every call
//! returns NULL or an error, never unwinds or crashes; every error and buffer it returns is freed
//! (leaks show up under the sanitizer), and every buffer is NUL-terminated JSON where promised.
//!
//! The first byte picks the entry point; the rest is its input.
#![no_main]

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use spark_ffi::*;
use spark_fuzz::on_host_stack;

/// An offline client (no network), without rate limits so every run reaches the pipeline.
fn offline_client() -> usize {
    static CLIENT: OnceLock<usize> = OnceLock::new();
    *CLIENT.get_or_init(|| {
        let cfg = br#"{"providers": {"order": ["offline"]}, "rate_limit": {"enabled": false}}"#;
        let mut c = ptr::null_mut();
        let err = unsafe { spark_client_new(cfg.as_ptr(), cfg.len(), &mut c) };
        assert!(err.is_null(), "the offline fuzz client cannot be created");
        c as usize
    })
}

/// Checks and frees an error; returns whether there was one.
fn consume(err: *mut spark_error_t) -> bool {
    if err.is_null() {
        return false;
    }
    assert_ne!(spark_error_code_number(err), 0, "an error with code 0 (success)");
    let name = spark_error_code(err);
    assert!(!name.is_null());
    let msg = spark_error_message(err);
    assert!(!msg.is_null());
    // SAFETY: the ABI returns NUL-terminated strings that live as long as `err`.
    let _ = unsafe { CStr::from_ptr(msg) }.to_bytes();
    let mut details = spark_buf_t { data: ptr::null_mut(), len: 0 };
    if unsafe { spark_error_details(err, &mut details) } {
        json_buf(&details);
    }
    unsafe { spark_buf_free(&mut details) };
    spark_error_free(err);
    true
}

/// Asserts that a returned buffer is NUL-terminated JSON.
fn json_buf(buf: &spark_buf_t) {
    assert!(!buf.data.is_null(), "a success without a result buffer");
    // SAFETY: the ABI promises `len` bytes plus a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(buf.data, buf.len + 1) };
    assert_eq!(bytes[buf.len], 0, "buffer without its trailing NUL");
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes[..buf.len]) {
        panic!("a result buffer that is not JSON: {e}");
    }
}

unsafe extern "C" fn on_event(json: *const u8, len: usize, user: *mut c_void) -> i32 {
    // SAFETY: the ABI passes `len` bytes plus a NUL, valid during the call.
    let bytes = unsafe { std::slice::from_raw_parts(json, len + 1) };
    assert_eq!(bytes[len], 0);
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes[..len]).is_ok(), "event is not JSON");
    // SAFETY: `user` is the `&mut u8` budget passed below.
    let budget = unsafe { &mut *(user as *mut u8) };
    if *budget == 0 {
        return 1; // cancel from the callback
    }
    *budget -= 1;
    0
}

fn client_from(kind: u8, input: &[u8]) {
    let mut c = ptr::null_mut();
    let err = unsafe {
        if kind == 0 {
            spark_client_new(input.as_ptr(), input.len(), &mut c)
        } else {
            spark_client_new_from_toml(input.as_ptr(), input.len(), &mut c)
        }
    };
    if consume(err) {
        assert!(c.is_null(), "a failed constructor left a handle");
        return;
    }
    let mut buf = spark_buf_t { data: ptr::null_mut(), len: 0 };
    assert!(!consume(unsafe { spark_client_info(c, &mut buf) }), "info of a live client fails");
    json_buf(&buf);
    unsafe { spark_buf_free(&mut buf) };
    assert!(!consume(unsafe { spark_client_status(c, &mut buf) }), "status of a live client fails");
    json_buf(&buf);
    unsafe { spark_buf_free(&mut buf) };
    spark_client_free(c);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else { return };
    on_host_stack(|| {
        let client = offline_client() as *const spark_client_t;
        let mut buf = spark_buf_t { data: ptr::null_mut(), len: 0 };
        match selector % 6 {
            0 | 1 => client_from(selector % 6, input),
            2 => {
                let err = unsafe { spark_generate(client, input.as_ptr(), input.len(), &mut buf) };
                if !consume(err) {
                    json_buf(&buf);
                }
            }
            3 => {
                let mut budget = selector / 6; // events before the callback cancels
                let err = unsafe {
                    spark_generate_stream(
                        client,
                        input.as_ptr(),
                        input.len(),
                        Some(on_event),
                        (&mut budget as *mut u8).cast(),
                        ptr::null(),
                        &mut buf,
                    )
                };
                if !consume(err) {
                    json_buf(&buf);
                }
            }
            4 => {
                // `source \0 file_name`.
                let (source, name) = match input.iter().position(|&b| b == 0) {
                    Some(i) => (&input[..i], &input[i + 1..]),
                    None => (input, &b"Player.cs"[..]),
                };
                let err = unsafe {
                    spark_validate(client, source.as_ptr(), source.len(), name.as_ptr(), name.len(), &mut buf)
                };
                if !consume(err) {
                    json_buf(&buf);
                }
            }
            _ => {
                let format: &[u8] = match selector / 6 % 5 {
                    0 => b"zip",
                    1 => b"upm",
                    2 => b"unitypackage",
                    3 => b"UnityPackage",
                    _ => b"tar",
                };
                let err = unsafe {
                    spark_export(client, input.as_ptr(), input.len(), format.as_ptr(), format.len(), &mut buf)
                };
                if !consume(err) {
                    assert!(buf.len > 0 && !buf.data.is_null(), "an empty archive");
                }
            }
        }
        unsafe { spark_buf_free(&mut buf) };
    });
});
