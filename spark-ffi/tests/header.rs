//! The checked-in header must equal what cbindgen generates from the current source, so a stale
//! `include/spark.h` fails CI. `SPARK_FFI_BLESS=1` rewrites it instead.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    assert!(
        generated.contains(&format!("#define SPARK_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION"))),
        "update SPARK_VERSION_STRING in cbindgen.toml to {}",
        env!("CARGO_PKG_VERSION")
    );
    let path = dir.join("include/spark.h");
    if std::env::var_os("SPARK_FFI_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/spark.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "spark-ffi/include/spark.h is stale; regenerate it with\n  SPARK_FFI_BLESS=1 cargo test -p spark-ffi --test header\n(first differing line: {:?})",
        checked_in.lines().zip(generated.lines()).find(|(a, b)| a != b)
    );
}
