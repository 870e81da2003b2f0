//! Helpers shared by the fuzz targets.

/// Stack size the targets run their input on: a tokio worker thread's default (2 MiB), the
/// smallest stack SPARK really runs on inside a host (libFuzzer's main thread has 8 MiB, which
/// would hide a recursion that kills a Python worker or the Unity editor).
pub const HOST_STACK_BYTES: usize = 2 << 20;

/// Runs `f` on a fresh thread with a [`HOST_STACK_BYTES`] stack. A stack overflow there aborts
/// the process, which libFuzzer records as a crash; a panic aborts too (libfuzzer-sys's hook).
pub fn on_host_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(HOST_STACK_BYTES)
            .spawn_scoped(s, f)
            .expect("cannot spawn the fuzz worker thread");
        handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Splits `data` into a control prefix of up to `n` bytes (zero-padded) and the rest.
pub fn split_control<const N: usize>(data: &[u8]) -> ([u8; N], &[u8]) {
    let mut control = [0u8; N];
    let k = data.len().min(N);
    control[..k].copy_from_slice(&data[..k]);
    (control, &data[k..])
}

/// Whether the targets check their output invariants (the default) or only that nothing panics,
/// overflows or hangs. `SPARK_FUZZ_LENIENT=1` turns the checks off, to keep hunting crashes while
/// an invariant bug is known and being fixed elsewhere.
pub fn strict() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SPARK_FUZZ_LENIENT").is_none_or(|v| v != "1"))
}

/// Checks what an importer returned: within `limits`, every path accepted by
/// [`spark_core::export::check_archive_path`].
pub fn check_imported(files: &[spark_core::export::ImportedFile], limits: &spark_core::export::ImportLimits) {
    assert!(files.len() <= limits.max_entries, "more files than max_entries");
    let mut total = 0u64;
    for f in files {
        let n = f.bytes.len() as u64;
        assert!(n <= limits.max_entry_bytes, "entry {:?} over max_entry_bytes", f.path);
        total += n;
        if let Err(why) = spark_core::export::check_archive_path(&f.path) {
            panic!("imported path {:?} fails the archive path check: {why}", f.path);
        }
    }
    assert!(total <= limits.max_total_bytes, "total over max_total_bytes");
}
