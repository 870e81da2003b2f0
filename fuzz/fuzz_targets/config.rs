//! The configuration loader on arbitrary text, as TOML and as JSON: a config or a typed error,
//! never a panic or stack overflow; a config it accepts passes its own validation and survives a
//! JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spark_core::SparkConfig;
use spark_fuzz::on_host_stack;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    on_host_stack(|| {
        for parsed in [SparkConfig::from_toml_str(text), SparkConfig::from_json_str(text)] {
            let Ok(config) = parsed else { continue };
            config.validate().expect("a loaded config fails its own validation");
            // The bindings hand the effective config back as JSON; it must load again.
            let json = serde_json::to_string(&config).expect("config serializes");
            if let Err(e) = SparkConfig::from_json_str(&json) {
                panic!("a loaded config does not load again from its own JSON: {e}\n{json}");
            }
        }
    });
});
