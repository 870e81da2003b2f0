//! The `.unitypackage` importer (gzip + tar of GUID folders) on arbitrary bytes: a result or a typed error, never a panic, hang or
//! unbounded allocation; what it returns respects the limits and has checked paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spark_core::export::{ImportLimits, import_unitypackage};

fuzz_target!(|data: &[u8]| {
    // Small limits so the fuzzer reaches them with small inputs.
    let limits =
        ImportLimits { max_entries: 64, max_entry_bytes: 1 << 16, max_total_bytes: 1 << 18, max_ratio: 100 };
    if let Ok(files) = import_unitypackage(data, &limits) {
        spark_fuzz::check_imported(&files, &limits);
    }
});
