//! Time of one caller-key check, the per-request cost a server pays: N `verify` calls against the
//! in-process store, the in-memory SQLite store and a SQLite file (WAL, synchronous FULL), and
//! against a wrong secret (the same work, refused). `last_used_ms` is written at most once a
//! minute, so the steady state is one indexed read plus one HMAC.
//!
//! ```sh
//! cargo run --release -p spark-core --example keys_timing -- 20000
//! ```
use std::sync::Arc;
use std::time::Instant;

use spark_core::keys::{KeyManager, KeyStore};
use spark_core::ledger::{LedgerConfig, SqliteStore};
use spark_core::{KeySpec, MemoryKeyStore};

async fn time(label: &str, store: Arc<dyn KeyStore>, n: u32) {
    let keys = KeyManager::new(store);
    let created = keys.create(KeySpec::new("alice")).await.expect("create");
    let key = created.secret.expose().to_string();
    let mut wrong = key.clone();
    wrong.replace_range(key.len() - 64.., &"0".repeat(64));
    keys.verify(&key).await.expect("verify");
    let start = Instant::now();
    for _ in 0..n {
        keys.verify(&key).await.expect("verify");
    }
    let ok = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        keys.verify(&wrong).await.expect_err("wrong secret");
    }
    let bad = start.elapsed() / n;
    println!("{label:<14} verify {ok:>10.2?}   wrong secret {bad:>10.2?}");
}

#[tokio::main]
async fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("spark-keys-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = LedgerConfig { path: Some(dir.join("keys.db")), ..Default::default() };
    time("memory", Arc::new(MemoryKeyStore::default()), n).await;
    time("sqlite memory", Arc::new(SqliteStore::memory().expect("open")), n).await;
    time("sqlite file", Arc::new(SqliteStore::open(&file).expect("open")), n).await;
    let _ = std::fs::remove_dir_all(&dir);
}
