//! The extractor and namer on arbitrary (lossy UTF-8) replies: never panics, and every path is
//! safe to join under a folder: ends with `.cs`, relative, no `..` (or empty) component, no
//! backslash or drive letter, unique ignoring case (checks off with `SPARK_FUZZ_LENIENT=1`).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use spark_core::extract::extract_files;
use spark_fuzz::{on_host_stack, strict};

fuzz_target!(|data: &[u8]| {
    let reply = String::from_utf8_lossy(data);
    let files = on_host_stack(|| extract_files(&reply));
    if !strict() {
        return;
    }
    let mut seen = HashSet::new();
    for f in &files {
        let p = f.path.as_str();
        assert!(p.ends_with(".cs"), "path without .cs: {p:?}");
        assert!(!p.starts_with('/') && !p.contains('\\'), "absolute or backslash path: {p:?}");
        assert!(!(p.len() >= 2 && p.as_bytes()[1] == b':'), "drive-letter path: {p:?}");
        assert!(
            p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
            "empty, `.` or `..` component: {p:?}"
        );
        assert!(seen.insert(p.to_lowercase()), "two files named {p:?} (ignoring case)");
    }
});
