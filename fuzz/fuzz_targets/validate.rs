//! The validator on arbitrary text: never panics, overflows the stack or hangs (libFuzzer's
//! -timeout), and positions are 1-based.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spark_core::validate::{ValidationConfig, validate_bytes};
use spark_fuzz::on_host_stack;

fuzz_target!(|data: &[u8]| {
    let config = ValidationConfig::default();
    // validate_bytes decodes lossily and then runs validate_source, so both are covered.
    let diagnostics = on_host_stack(|| validate_bytes(data, "Player.cs", &config));
    for d in &diagnostics {
        assert!(d.line >= 1 && d.column >= 1, "0-based position in {d}");
    }
});
