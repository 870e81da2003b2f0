//! The ledger and caller keys on a real, throwaway PostgreSQL: the same SQL as SQLite, the
//! password never shown, migrations across instances and versions, and a server restart in the
//! middle of a stream of writes that loses no acknowledged record.
#![cfg(feature = "postgres")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::pg_server::{PASSWORD, PgServer};
use spark_core::ledger::{DatabaseUrl, GroupBy};
use spark_core::{KeyManager, KeySpec, Period, PgStore, UsageQuery, UsageRecord, UsageStore};

fn rec(id: &str, caller: &str, ts_ms: i64, cost: f64, outcome: &str) -> UsageRecord {
    UsageRecord {
        request_id: id.into(),
        caller: caller.into(),
        ts_ms,
        provider: Some("openai".into()),
        model: Some("gpt-test".into()),
        input_tokens: 100,
        output_tokens: 50,
        cache_read_tokens: 10,
        cache_write_tokens: 5,
        cost_usd: cost,
        outcome: outcome.into(),
        cached: outcome == "cached",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_and_keys_work_on_postgres_as_on_sqlite() {
    let Some(pg) = PgServer::start("ledger_and_keys_work_on_postgres_as_on_sqlite") else { return };
    let store = PgStore::open(&DatabaseUrl::new(pg.url())).unwrap();
    assert!(!format!("{store:?}").contains(PASSWORD), "{store:?}");
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.record(&rec("a1", "alice", 1_000, 0.25, "ok")).await.unwrap();
    store.record(&rec("a2", "alice", 2_000, 0.5, "timeout")).await.unwrap();
    store.record(&rec("b1", "bob", 1_500, 1.0, "ok")).await.unwrap();
    store.record(&rec("late", "alice", 90_000_000, 4.0, "ok")).await.unwrap();
    let t = store.totals(&UsageQuery { caller: None, from_ms: 0, to_ms: 5_000 }).await.unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].caller.as_str(), t[0].requests, t[0].errors), ("alice", 2, 1));
    assert_eq!((t[0].input_tokens, t[0].cache_read_tokens, t[0].cache_write_tokens), (200, 20, 10));
    assert!((t[0].cost_usd - 0.75).abs() < 1e-12);
    assert_eq!(store.spent_usd(Some("bob"), 0, 5_000).await.unwrap(), 1.0);
    let all = UsageQuery { caller: Some("alice".into()), from_ms: i64::MIN, to_ms: i64::MAX };
    let r = store.records(&all, 10).await.unwrap();
    assert_eq!(r.iter().map(|r| r.request_id.as_str()).collect::<Vec<_>>(), ["a1", "a2", "late"]);
    assert_eq!(r[1], rec("a2", "alice", 2_000, 0.5, "timeout"));
    let days = store.grouped(&UsageQuery::new(None, Period::All), GroupBy::Day).await.unwrap();
    assert_eq!(days.iter().map(|g| g.requests).collect::<Vec<_>>(), [3, 1], "{days:?}");
    let by_caller = store.grouped(&UsageQuery::new(None, Period::All), GroupBy::Caller).await.unwrap();
    assert_eq!(
        by_caller.iter().map(|g| (g.key.as_str(), g.requests)).collect::<Vec<_>>(),
        [("alice", 3), ("bob", 1)]
    );

    // Caller keys in the same database, through the same manager as SQLite's.
    let keys = KeyManager::new(Arc::new(store.clone()));
    let created = keys.create(KeySpec::new("carol")).await.unwrap();
    assert_eq!(keys.verify(created.secret.expose()).await.unwrap().caller, "carol");
    assert_eq!(keys.list().await.unwrap().len(), 1);
    keys.revoke(&created.info.id).await.unwrap();
    assert!(keys.verify(created.secret.expose()).await.is_err());
    // Another instance (another pool) sees the revocation.
    let other = KeyManager::new(Arc::new(PgStore::open(&DatabaseUrl::new(pg.url())).unwrap()));
    assert!(other.get(&created.info.id).await.unwrap().unwrap().revoked_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_a_newer_schema_are_reported_without_the_password() {
    let Some(pg) = PgServer::start("a_wrong_password_and_a_newer_schema_are_reported_without_the_password")
    else {
        return;
    };
    let wrong = format!("postgres://spark:Wrong-Pass-77@127.0.0.1:{}/postgres", pg.port);
    let err = PgStore::open(&DatabaseUrl::new(wrong)).unwrap().migrate().await.unwrap_err().to_string();
    assert!(err.contains("unavailable") && !err.contains("Wrong-Pass-77"), "{err}");
    assert!(err.contains("spark:***@127.0.0.1"), "{err}");

    // Four instances migrating at once take turns on the advisory lock.
    let migrations = (0..4).map(|_| {
        let url = pg.url();
        tokio::spawn(async move { PgStore::open(&DatabaseUrl::new(url)).unwrap().migrate().await })
    });
    for m in futures::future::join_all(migrations).await {
        m.unwrap().unwrap();
    }
    // A schema one version ahead (a newer release rolled back) still runs; two ahead does not.
    sql(&pg, "INSERT INTO spark_migrations (version, applied_ms) VALUES (2, 0)");
    PgStore::open(&DatabaseUrl::new(pg.url())).unwrap().migrate().await.unwrap();
    sql(&pg, "INSERT INTO spark_migrations (version, applied_ms) VALUES (3, 0)");
    let err = PgStore::open(&DatabaseUrl::new(pg.url())).unwrap().migrate().await.unwrap_err().to_string();
    assert!(err.contains("version 3") && err.contains("upgrade"), "{err}");
}

/// Runs `statement` with `psql` as the `spark` user.
fn sql(pg: &PgServer, statement: &str) {
    let out = std::process::Command::new(pg.bin().join("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "spark",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            statement,
        ])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("psql");
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_loses_no_acknowledged_record() {
    let Some(mut pg) = PgServer::start("a_postgres_restart_loses_no_acknowledged_record") else { return };
    let store = PgStore::open(&DatabaseUrl::new(pg.url())).unwrap();
    store.migrate().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Four writers, as four busy instances; each keeps the ids it was told were recorded.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut acked, mut failed) = (Vec::new(), 0u32);
                for i in 0u32.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = format!("w{w}-{i}");
                    let r = rec(&id, "dave", 1, 0.01, "ok");
                    match tokio::time::timeout(Duration::from_secs(10), store.record(&r)).await {
                        Ok(Ok(())) => acked.push(id),
                        Ok(Err(_)) => {
                            failed += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(_) => panic!("a ledger write hung past 10 s"),
                    }
                }
                (acked, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        std::thread::sleep(Duration::from_millis(300));
        pg.restart();
        pg
    })
    .await
    .unwrap();
    // Writes go on after the restart: the pool reconnects by itself.
    let before = store.totals(&UsageQuery::new(Some("dave"), Period::All)).await.unwrap()[0].requests;
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut acked, mut failed) = (Vec::new(), 0);
    for w in writers {
        let (a, f) = w.await.unwrap();
        acked.extend(a);
        failed += f;
    }
    let stored: std::collections::HashSet<String> = store
        .records(&UsageQuery::new(Some("dave"), Period::All), u32::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    println!(
        "restart: {} writes acknowledged, {failed} refused while down, {} stored",
        acked.len(),
        stored.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(stored.len() as u64 > before, "no write landed after the restart");
    drop(pg);
}
