//! Hostile model replies (issue 9) through the Rust API, against `tests/hostile/mock.py`, the same
//! loopback server (and so the same bytes) the Python, Node, C and C# suites use.
//!
//! Each scenario of `tests/hostile/scenarios.json` runs `Spark::generate` in a child process (this
//! test binary re-run on [`hostile_child_process_entry`]), so a stack overflow or an abort is a
//! reported failure instead of a dead test runner; a child still running after [`cap`] is killed.
//! The parent asserts: the outcome is one of the expected ones, the call returns within
//! `total_ms` + 10%, the child exits 0 with an empty stderr (so no panic message), the process's CPU
//! time grows by less than `cpu_after_max_ms` in the `cpu_after_sleep_ms` after the call, and every
//! `files[].path` of a result is a safe relative path.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spark_core::{GenerateRequest, Spark, SparkConfig};

/// Set in the child: `"<scenario> <base url>"`.
const CHILD_ENV: &str = "SPARK_HOSTILE_CHILD";

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(hostile_dir().join("scenarios.json")).expect("scenarios.json");
        serde_json::from_str(&text).expect("scenarios.json is JSON")
    })
}

fn num(key: &str) -> f64 {
    spec()[key].as_f64().unwrap_or_else(|| panic!("scenarios.json: {key}"))
}

/// How long a child may run before it is killed and reported (`HOSTILE_CAP_S`, default 20 s).
fn cap() -> Duration {
    let secs = std::env::var("HOSTILE_CAP_S").ok().and_then(|s| s.parse().ok()).unwrap_or(20.0);
    Duration::from_secs_f64(secs)
}

/// The mock, started once per test process. It exits by itself when this process dies (it
/// watches its parent), so it is kept here, never killed.
struct Mock {
    base: String,
    _process: Child,
}

/// The mock's base URL (`http://127.0.0.1:PORT`).
fn mock_base() -> &'static str {
    static MOCK: OnceLock<Mock> = OnceLock::new();
    &MOCK
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("spark-hostile-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let port_file = dir.join("port");
            let _ = std::fs::remove_file(&port_file);
            let mut process = Command::new("python3")
                .arg(hostile_dir().join("mock.py"))
                .arg(&port_file)
                .arg("1800")
                .stdin(Stdio::null())
                .spawn()
                .expect("python3 runs tests/hostile/mock.py");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(port) = std::fs::read_to_string(&port_file) {
                    return Mock { base: format!("http://127.0.0.1:{}", port.trim()), _process: process };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = process.kill();
            let _ = process.wait();
            panic!("the hostile mock did not start");
        })
        .base
}

/// CPU time of this process (every thread), from `/proc/self/stat` (clock ticks of 10 ms).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rfind(')').map(|i| &stat[i + 2..]).unwrap_or("");
    let f: Vec<f64> = after.split(' ').map(|s| s.parse().unwrap_or(0.0)).collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) * 10.0
}

/// True when `path` could escape a folder a host joins it to, or hides its real name.
fn unsafe_path(path: &str) -> bool {
    let b = path.as_bytes();
    if path.is_empty() || path.starts_with(['/', '\\']) || b.get(1) == Some(&b':') {
        return true;
    }
    if path.replace('\\', "/").split('/').any(|s| s == ".." || s.is_empty()) {
        return true;
    }
    path.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{00ad}' | '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
            || matches!(c, '\u{2060}'..='\u{2069}' | '\u{feff}')
    })
}

/// Entry point of the child process: does nothing unless [`CHILD_ENV`] is set (then it runs one
/// scenario and prints one `HOSTILE-REPORT {json}` line).
#[test]
fn hostile_child_process_entry() {
    let Ok(arg) = std::env::var(CHILD_ENV) else { return };
    let (name, base) = arg.split_once(' ').expect("scenario and base url");
    let config = spec()["config"].to_string().replace("@BASE@", base).replace("@SCENARIO@", name);
    let config = SparkConfig::from_json_str(&config).expect("the hostile config is valid");
    let spark = Spark::from_config(config).expect("client");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let start = Instant::now();
    let outcome =
        rt.block_on(spark.generate(GenerateRequest::new("a player controller").model(name).no_cache()));
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu_ms();
    std::thread::sleep(Duration::from_millis(num("cpu_after_sleep_ms") as u64));
    let cpu_after_ms = cpu_ms() - cpu;
    let report = match &outcome {
        Ok(r) => {
            json!({"outcome": "result", "paths": r.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()})
        }
        Err(e) => {
            json!({"outcome": e.code().as_str(), "message": e.to_string().chars().take(300).collect::<String>()})
        }
    };
    let mut report = report;
    report["elapsed_ms"] = json!(elapsed_ms);
    report["cpu_after_ms"] = json!(cpu_after_ms);
    println!("HOSTILE-REPORT {report}");
    // Blocking work still running must not hold the child open: the CPU figure already tells.
    rt.shutdown_background();
}

fn read_all(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for `child` at most `cap`; kills it past that. Returns (exit description, killed).
fn wait_capped(child: &mut Child, cap: Duration) -> (Option<std::process::ExitStatus>, bool) {
    let deadline = Instant::now() + cap;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (Some(status), false);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return (child.wait().ok(), true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(name: &str) {
    // One scenario at a time: they measure wall and CPU time.
    static SERIAL: Mutex<()> = Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let scenario = spec()["scenarios"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not in scenarios.json"));
    let expect: Vec<&str> =
        scenario["expect"].as_array().expect("expect").iter().filter_map(Value::as_str).collect();
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["hostile::hostile_child_process_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, format!("{name} {}", mock_base()))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    let out = read_all(child.stdout.take().expect("stdout"));
    let err = read_all(child.stderr.take().expect("stderr"));
    let (status, killed) = wait_capped(&mut child, cap());
    let took = started.elapsed().as_secs_f64();
    let (stdout, stderr) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());

    let mut problems = Vec::new();
    if killed {
        problems.push(format!("still running after {:.0} s (killed)", cap().as_secs_f64()));
    } else if let Some(status) = status.filter(|s| !s.success()) {
        problems.push(format!("child ended with {status} after {took:.1} s"));
    }
    assert!(!stderr.contains("panicked"), "{name}: a panic message on stderr: {}", head(&stderr));
    if !stderr.is_empty() {
        problems.push(format!("stderr not empty: {}", head(&stderr)));
    }
    match stdout.lines().rev().find_map(|l| l.strip_prefix("HOSTILE-REPORT ")) {
        None => problems.push("no report".into()),
        Some(line) => {
            let report: Value = serde_json::from_str(line).expect("report is JSON");
            let outcome = report["outcome"].as_str().unwrap_or("?");
            if !expect.contains(&outcome) {
                problems.push(format!("outcome {outcome} ({}), expected {expect:?}", report["message"]));
            }
            let limit = num("total_ms") * 1.1;
            let elapsed = report["elapsed_ms"].as_f64().unwrap_or(f64::MAX);
            if elapsed > limit {
                problems.push(format!("took {elapsed:.0} ms > {limit:.0} ms"));
            }
            let cpu = report["cpu_after_ms"].as_f64().unwrap_or(f64::MAX);
            if cpu >= num("cpu_after_max_ms") {
                problems.push(format!(
                    "{cpu:.0} ms of CPU in the {} ms after the call",
                    num("cpu_after_sleep_ms")
                ));
            }
            let paths = report["paths"].as_array().map(Vec::as_slice).unwrap_or_default();
            let bad: Vec<&str> =
                paths.iter().filter_map(Value::as_str).filter(|p| unsafe_path(p)).take(3).collect();
            if !bad.is_empty() {
                problems.push(format!("unsafe result paths {bad:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{name}: {}", problems.join("; "));
}

/// The start of `s` (a panic message comes first; its backtrace after).
fn head(s: &str) -> &str {
    let end = (s.len().min(600)..=s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
    &s[..end]
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*
        const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

scenarios!(
    if_parens,
    interp_nesting,
    empty_stream,
    empty_json,
    dup_names_1000,
    dup_names_2000,
    tiny_blocks_5000,
    big_50mb,
    invalid_utf8,
    fence_in_string,
    path_dotdot,
    path_absolute,
    path_unc,
    path_bidi,
    dropped,
    reset,
    stall,
    stall_headers,
);

#[test]
fn every_scenario_in_the_json_has_a_rust_test() {
    let listed: Vec<&str> = spec()["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(listed, NAMES);
}

#[test]
fn unsafe_path_catches_escapes_and_hidden_names() {
    for p in [
        "../x.cs",
        "a/../../x.cs",
        "/etc/x.cs",
        "//server/x.cs",
        "C:x.cs",
        "\\x.cs",
        "a\u{202e}sc.cs",
        "a\nb.cs",
        "",
    ] {
        assert!(unsafe_path(p), "{p:?}");
    }
    for p in ["Player.cs", "Editor/PlayerEditor.cs", "Scripts/Ui/Hud.cs"] {
        assert!(!unsafe_path(p), "{p:?}");
    }
}
