//! The metrics text, alert rules and dashboard checked by Prometheus's own `promtool`, and every
//! metric the alerts and dashboard name checked against what SPARK exports.

use std::path::{Path, PathBuf};
use std::process::Command;

use spark_core::observe::MetricsSnapshot;
use spark_core::{GenerateRequest, Spark};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `promtool`, or `None` (with the reason printed) when it is not installed.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("promtool")).find(|p| p.is_file()));
    if found.is_none() {
        eprintln!("SKIPPED: promtool not found (Debian package `prometheus`; scripts/setup.sh installs it)");
    }
    found
}

fn run(tool: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .current_dir(repo())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A client that has served a few requests (one reply with a diagnostic, a repeat, a cache
/// hit), so labelled families have samples.
async fn busy() -> (Spark, wiremock::MockServer) {
    let server = crate::metrics::replying(crate::metrics::EMPTY_UPDATE).await;
    let cfg = crate::metrics::config();
    let s = Spark::builder()
        .config(cfg.clone())
        .provider(crate::metrics::openai(&server.uri(), &cfg))
        .build()
        .unwrap();
    for p in ["a spinner", "a door", "a spinner"] {
        s.generate(GenerateRequest::new(p)).await.unwrap();
    }
    (s, server)
}

#[tokio::test]
async fn promtool_accepts_the_metrics_text() {
    let Some(tool) = promtool() else { return };
    let (s, _server) = busy().await;
    let text = s.metrics_text();
    assert!(text.contains("spark_requests_total{"), "{text}");
    let (ok, out) = run(&tool, &["check", "metrics"], Some(&text));
    assert!(ok, "promtool check metrics failed:\n{out}\n---\n{text}");
}

#[test]
fn promtool_accepts_and_unit_tests_the_alert_rules() {
    let Some(tool) = promtool() else { return };
    let (ok, out) = run(&tool, &["check", "rules", "deploy/prometheus/alerts.yml"], None);
    assert!(ok, "promtool check rules:\n{out}");
    let (ok, out) = run(&tool, &["test", "rules", "deploy/prometheus/alerts.test.yml"], None);
    assert!(ok, "promtool test rules:\n{out}");
}

/// Every `spark_*` name in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"\bspark_[a-z0-9_]+").unwrap();
    let mut names: Vec<String> = re.find_iter(text).map(|m| m.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test]
async fn every_metric_the_alerts_and_dashboard_name_is_exported() {
    let (s, _server) = busy().await;
    let text = s.metrics_text();
    let families = MetricsSnapshot::families(&text);
    let exported = |name: &str| {
        families.iter().any(|f| f == name)
            || ["_total", "_bucket", "_count", "_sum"].iter().any(|suffix| {
                name.strip_suffix(suffix).is_some_and(|base| families.iter().any(|f| f == base))
            })
    };
    for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/spark.json"] {
        let body = std::fs::read_to_string(repo().join(file)).unwrap();
        let names = metric_names(&body);
        assert!(names.len() >= 5, "{file} names too few metrics: {names:?}");
        // `spark_redis_*` exist only with `[redis]` configured (a feature build): tests/redis.rs
        // checks them against `redis_stats()` with Redis stopped.
        let missing: Vec<&String> =
            names.iter().filter(|n| !exported(n) && !n.starts_with("spark_redis_")).collect();
        assert!(missing.is_empty(), "{file} names {missing:?}, which SPARK does not export");
    }
    // Every dashboard query names a metric.
    let dash: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("deploy/grafana/spark.json")).unwrap())
            .unwrap();
    let panels = dash["panels"].as_array().unwrap();
    assert!(panels.len() >= 6);
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            assert!(!metric_names(expr).is_empty(), "query without a SPARK metric: {expr}");
        }
    }
}

#[test]
fn every_runbook_url_points_at_a_runbook_section() {
    let alerts = std::fs::read_to_string(repo().join("deploy/prometheus/alerts.yml")).unwrap();
    let runbook = std::fs::read_to_string(repo().join("docs/runbook.md")).unwrap();
    // GitHub's anchors: lowercase, spaces to dashes, punctuation dropped.
    let anchors: Vec<String> = runbook
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| {
            h.trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect();
    let urls: Vec<&str> = alerts.lines().filter_map(|l| l.trim().strip_prefix("runbook_url:")).collect();
    assert!(urls.len() >= 6, "every alert needs a runbook_url");
    for url in urls {
        let anchor =
            url.trim().trim_matches('"').rsplit_once('#').map(|(_, a)| a.to_string()).unwrap_or_default();
        assert!(
            anchors.contains(&anchor),
            "runbook_url {url} names no section of docs/runbook.md ({anchors:?})"
        );
    }
}
