//! Operations at scale: the restore drill (`scripts/restore-drill.sh`) on SQLite and PostgreSQL,
//! and four instances sharing one Redis and one PostgreSQL (cargo features `redis` and
//! `postgres`: `cargo test -p spark-server --features redis,postgres --test server scale`).

use std::path::{Path, PathBuf};
use std::process::Command;

use spark_core::{UsageRecord, UsageStore};

#[cfg(feature = "postgres")]
#[path = "../../tests/common/pg_server.rs"]
#[allow(dead_code)]
mod pg_server;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn record(i: usize) -> UsageRecord {
    UsageRecord {
        request_id: format!("req-{i}"),
        caller: format!("caller-{}", i % 3),
        ts_ms: 1_700_000_000_000 + i as i64,
        provider: Some("openai".into()),
        model: Some("gpt-4o-mini".into()),
        input_tokens: 10 + i as u64,
        output_tokens: 20,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: 0.001 * i as f64,
        outcome: "ok".into(),
        cached: false,
    }
}

/// Two keys (one revoked) through the command line, and usage records through `store`.
async fn seed(dir: &Path, store: &dyn UsageStore, envs: &[(&str, String)]) {
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_spark-server"))
            .arg("--config")
            .arg(dir.join("spark.toml"))
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["keys", "create", "--caller", "alice", "--name", "drill"]);
    let id = cli(&["keys", "list"]).lines().next().map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["id"].as_str().unwrap().to_string()
    });
    cli(&["keys", "create", "--caller", "bob", "--scope", "generate"]);
    cli(&["keys", "revoke", &id.unwrap()]);
    for i in 0..50 {
        store.record(&record(i)).await.unwrap();
    }
}

/// Runs the drill; its last line.
fn drill(dir: &Path, args: &[&str], envs: &[(&str, String)]) -> String {
    let out = Command::new("bash")
        .arg(repo().join("scripts/restore-drill.sh"))
        .arg("--config")
        .arg(dir.join("spark.toml"))
        .args(args)
        .env("SPARK_SERVER", env!("CARGO_BIN_EXE_spark-server"))
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "drill failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    stdout.lines().last().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_restore_drill_brings_back_keys_and_ledger_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db");
    std::fs::write(
        dir.path().join("spark.toml"),
        format!("[server]\ndatabase = {:?}\n", db.display().to_string()),
    )
    .unwrap();
    let store = spark_core::SqliteStore::open(&spark_core::config::LedgerConfig {
        path: Some(db.clone()),
        ..Default::default()
    })
    .unwrap();
    seed(dir.path(), &store, &[]).await;
    drop(store);
    let last = drill(dir.path(), &["sqlite", db.to_str().unwrap()], &[]);
    assert!(last.starts_with("restore drill passed (sqlite): 2 keys and 50 usage records intact"), "{last}");
    // A backup that is not a database is refused, and the database is left as it was.
    std::fs::write(dir.path().join("junk"), b"not a database").unwrap();
    let (ok, _, err) =
        crate::common::run_cli(dir.path(), &["restore", dir.path().join("junk").to_str().unwrap()]);
    assert!(!ok && err.contains("not a usable backup"), "{err}");
    let (ok, keys, _) = crate::common::run_cli(dir.path(), &["keys", "list"]);
    assert!(ok && keys.lines().count() == 2, "{keys}");
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn the_restore_drill_brings_back_keys_and_ledger_on_postgres() {
    let Some(pg) = pg_server::PgServer::start("the_restore_drill_brings_back_keys_and_ledger_on_postgres")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The password stays out of the config file: libpq's PGPASSWORD serves spark-server, pg_dump
    // and psql alike.
    let url = format!("postgres://spark@127.0.0.1:{}/postgres", pg.port);
    std::fs::write(dir.path().join("spark.toml"), format!("[server]\ndatabase = {url:?}\n")).unwrap();
    let path = format!("{}:{}", pg.bin().display(), std::env::var("PATH").unwrap_or_default());
    let envs = [
        ("PGPASSWORD", pg_server::PASSWORD.to_string()),
        ("PGHOST", "127.0.0.1".to_string()),
        ("PGPORT", pg.port.to_string()),
        ("PGUSER", "spark".to_string()),
        ("PGDATABASE", "postgres".to_string()),
        ("PATH", path),
    ];
    let store = spark_core::PgStore::open(&spark_core::ledger::DatabaseUrl::new(pg.url())).unwrap();
    seed(dir.path(), &store, &envs).await;
    let last = drill(dir.path(), &["postgres"], &envs);
    assert!(
        last.starts_with("restore drill passed (postgres): 2 keys and 50 usage records intact"),
        "{last}"
    );
    // The restored tables serve a running store too (its pool reconnects to the new tables).
    let again = spark_core::PgStore::open(&spark_core::ledger::DatabaseUrl::new(pg.url())).unwrap();
    let all = spark_core::UsageQuery::new(None, spark_core::Period::All);
    assert_eq!(again.records(&all, 1000).await.unwrap().len(), 50);
}
