//! `spark_buf_t`: bytes owned by the library and lent to the caller until `spark_buf_free`.

use std::ptr;

/// A byte buffer allocated by SPARK (JSON text, archive bytes).
///
/// `data[len]` is always a NUL byte that `len` does not count, so JSON results can be used as C
/// strings directly. The caller owns the buffer and must release it with `spark_buf_free`
/// exactly once (freeing clears the struct, so freeing the same struct twice is harmless; freeing
/// a copy of an already freed struct is not). An empty buffer is `{NULL, 0}`.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct spark_buf_t {
    /// First byte; NULL for an empty buffer.
    pub data: *mut u8,
    /// Number of bytes, not counting the trailing NUL.
    pub len: usize,
}

impl spark_buf_t {
    /// `{NULL, 0}`.
    pub(crate) const EMPTY: spark_buf_t = spark_buf_t { data: ptr::null_mut(), len: 0 };
}

/// Moves `bytes` into `*out`, adding the trailing NUL.
///
/// # Safety
/// `out` must be non-NULL and writable.
pub(crate) unsafe fn write_buf(out: *mut spark_buf_t, mut bytes: Vec<u8>) {
    let len = bytes.len();
    bytes.push(0);
    let data = Box::into_raw(bytes.into_boxed_slice()) as *mut u8;
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(spark_buf_t { data, len }) };
}

/// Frees the bytes of a buffer returned by SPARK and resets it to `{NULL, 0}`.
///
/// NULL, and a buffer whose `data` is NULL, are ignored.
///
/// # Safety
/// `buf` must be NULL or point to a `spark_buf_t` filled by SPARK and not modified since.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_buf_free(buf: *mut spark_buf_t) {
    if buf.is_null() {
        return;
    }
    // SAFETY: non-NULL, and the caller promises it is a buffer SPARK filled.
    let b = unsafe { &mut *buf };
    if !b.data.is_null() {
        // SAFETY: `data` came from `Box<[u8]>` of `len + 1` bytes in `write_buf`.
        let bytes = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(b.data, b.len + 1)) };
        // Dropping bytes cannot panic, but every export stays behind catch_unwind all the same.
        let _ = std::panic::catch_unwind(move || drop(bytes));
    }
    *b = spark_buf_t::EMPTY;
}
