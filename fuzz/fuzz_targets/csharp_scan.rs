//! The export's C# preprocessor scanner on arbitrary text: never panics, overflows the stack or
//! hangs, and a type name it returns (the stem of a file name) is non-empty, without whitespace,
//! control characters, path separators or dots.
//!
//! Not checked: that it is a C# identifier. Today's scanner takes every non-ASCII byte as an
//! identifier character, so lossy text gives names with U+FFFD; the exporter sanitizes names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spark_core::export::{main_type_name, uses_unity_editor};
use spark_fuzz::{on_host_stack, strict};

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let (name, _editor) = on_host_stack(|| (main_type_name(&source), uses_unity_editor(&source)));
    if let Some(name) = name.filter(|_| strict()) {
        assert!(!name.is_empty(), "empty main type name");
        assert!(
            name.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"/\\:.".contains(c)),
            "main type name unfit for a file name: {name:?}"
        );
    }
});
