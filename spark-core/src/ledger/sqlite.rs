//! The embedded ledger: SQLite through sqlx, WAL mode.
//!
//! The SQL and the row mapping are shared with the PostgreSQL store (`super::sql`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteRow, SqliteSynchronous};
use sqlx::{ConnectOptions, Row};
use tokio::sync::Mutex;

use super::sql::{RECORDS, SCHEMA, TOTALS, grouped_sql};
use super::{
    GroupBy, LedgerConfig, Synchronous, UsageGroup, UsageQuery, UsageRecord, UsageStore, UsageTotals,
};
use crate::error::{Error, Result};

/// The SQLite [`UsageStore`]: a file in WAL mode, or an in-memory database.
///
/// One connection, opened on first use (so a client can be built outside an async runtime) and
/// kept: an in-memory database lives as long as its connection, and a ledger's writes are
/// serialised by SQLite anyway. Each operation runs in its own task, so a caller that gives up
/// mid-write does not cut a commit short or leave the connection mid-statement.
///
/// Records are written by group commit: each `record` joins a queue and waits for the commit
/// that holds it, and whichever write gets the connection first commits everything queued in one
/// transaction. A record is on disk (`synchronous = full`) before `record` returns, as before,
/// but concurrent requests share one sync instead of queueing for one each.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    options: SqliteConnectOptions,
    where_: String,
    queue: Arc<std::sync::Mutex<Queue>>,
}

/// Records waiting for a commit, each with whom to tell.
#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Waiting>,
}

type Waiting = (UsageRecord, tokio::sync::oneshot::Sender<Result<()>>);

/// Most rows in one INSERT (12 values each, well under SQLite's 32,766 variables).
const ROWS_PER_INSERT: usize = 256;

pub(crate) type Op<T> = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, std::result::Result<T, sqlx::Error>> + Send,
>;

impl SqliteStore {
    /// A store as `config` says: its file, or memory.
    pub fn open(config: &LedgerConfig) -> Result<Self> {
        let options = match &config.path {
            Some(path) => SqliteConnectOptions::new().filename(path).create_if_missing(true),
            None => SqliteConnectOptions::from_str("sqlite::memory:").map_err(db_error)?,
        };
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match config.synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10));
        let where_ = config.path.as_ref().map_or_else(|| "memory".to_string(), |p| p.display().to_string());
        Ok(SqliteStore { conn: Arc::default(), options, where_, queue: Arc::default() })
    }

    /// An in-memory store.
    pub fn memory() -> Result<Self> {
        Self::open(&LedgerConfig::default())
    }

    /// Runs `op` on the connection (opening it and creating the schema first, once).
    pub(crate) async fn run<T: Send + 'static>(&self, op: Op<T>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Internal("the ledger needs a Tokio runtime".into()));
        }
        let (slot, options, where_) = (self.conn.clone(), self.options.clone(), self.where_.clone());
        let task = tokio::spawn(async move {
            let mut guard = slot.lock().await;
            if guard.is_none() {
                let mut conn = options.connect().await.map_err(|e| unavailable(&where_, e))?;
                for statement in SCHEMA {
                    sqlx::query(statement).execute(&mut conn).await.map_err(|e| unavailable(&where_, e))?;
                }
                sqlx::query(super::sql::MARK_VERSION)
                    .bind(super::sql::SCHEMA_VERSION)
                    .bind(super::now_ms())
                    .execute(&mut conn)
                    .await
                    .map_err(|e| unavailable(&where_, e))?;
                let newest: i64 = sqlx::query_scalar(super::sql::NEWEST_VERSION)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| unavailable(&where_, e))?;
                super::sql::check_version(newest)?;
                *guard = Some(conn);
            }
            match guard.as_mut() {
                Some(conn) => op(conn).await.map_err(db_error),
                None => Err(Error::Internal("ledger connection missing".into())),
            }
        });
        task.await.map_err(|e| Error::Internal(format!("ledger task failed: {e}")))?
    }

    /// Opens the database and brings its schema up to date (tables and indexes for usage and
    /// caller keys). Every statement is idempotent, so running it again changes nothing.
    pub async fn migrate(&self) -> Result<()> {
        self.run(Box::new(|_conn| Box::pin(async { Ok(()) }))).await
    }

    /// Writes a consistent copy of the database to `dest` while it stays in use
    /// (`VACUUM INTO`: one transaction, so the copy is never half-written). `dest` must not
    /// exist yet.
    pub async fn backup(&self, dest: &std::path::Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::InvalidRequest(format!("`{}` already exists", dest.display())));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| Error::InvalidRequest("the backup path must be UTF-8".into()))?
            .to_string();
        self.run(Box::new(move |conn| {
            Box::pin(async move { sqlx::query("VACUUM INTO $1").bind(dest).execute(conn).await.map(|_| ()) })
        }))
        .await
    }
}

/// Commits `batch` in one transaction and tells each waiter; when that fails, each record is
/// tried on its own, so one bad record cannot fail the others.
async fn commit_batch(conn: &mut SqliteConnection, batch: Vec<Waiting>) {
    if batch.is_empty() {
        return;
    }
    let records: Vec<&UsageRecord> = batch.iter().map(|(r, _)| r).collect();
    if insert_all(conn, &records).await.is_ok() {
        for (_, done) in batch {
            let _ = done.send(Ok(()));
        }
        return;
    }
    for (r, done) in batch {
        let _ = done.send(insert_all(conn, &[&r]).await.map_err(db_error));
    }
}

/// Inserts `records` in one transaction, a few hundred rows per statement.
async fn insert_all(
    conn: &mut SqliteConnection,
    records: &[&UsageRecord],
) -> std::result::Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let mut b = insert_builder(chunk);
        b.build().execute(&mut *tx).await?;
    }
    tx.commit().await
}

fn unavailable(where_: &str, e: sqlx::Error) -> Error {
    Error::Internal(format!("ledger at {where_} unavailable: {e}"))
}

fn db_error(e: sqlx::Error) -> Error {
    Error::Internal(format!("ledger: {e}"))
}

super::sql::usage_rows!(SqliteRow);

#[async_trait]
impl UsageStore for SqliteStore {
    async fn record(&self, r: &UsageRecord) -> Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // The first record of an empty queue schedules the write that commits the queue; the
        // others just wait for it, so concurrent requests cost one write and one sync.
        let lead = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let lead = q.waiting.is_empty();
            q.waiting.push((r.clone(), tx));
            lead
        };
        if lead {
            let queue = self.queue.clone();
            let ran = self
                .run(Box::new(move |conn| {
                    Box::pin(async move {
                        let batch =
                            std::mem::take(&mut queue.lock().unwrap_or_else(|p| p.into_inner()).waiting);
                        commit_batch(conn, batch).await;
                        Ok(())
                    })
                }))
                .await;
            if let Err(e) = ran {
                // The connection failed before the write ran: everyone queued hears it, so
                // nobody waits for a write that will not come and no later write stores what
                // its caller was told failed.
                let batch = std::mem::take(&mut self.queue.lock().unwrap_or_else(|p| p.into_inner()).waiting);
                for (_, done) in batch {
                    let _ = done.send(Err(e.clone()));
                }
            }
        }
        rx.await.unwrap_or_else(|_| Err(Error::Internal("ledger write abandoned".into())))
    }

    async fn totals(&self, q: &UsageQuery) -> Result<Vec<UsageTotals>> {
        let q = q.clone();
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let rows =
                    sqlx::query(TOTALS).bind(q.caller).bind(q.from_ms).bind(q.to_ms).fetch_all(conn).await?;
                rows.iter().map(totals_row).collect()
            })
        }))
        .await
    }

    async fn grouped(&self, q: &UsageQuery, by: GroupBy) -> Result<Vec<UsageGroup>> {
        let sql = grouped_sql(by);
        let q = q.clone();
        let rows = self
            .run(Box::new(move |conn| {
                Box::pin(async move {
                    let rows = sqlx::query(&sql)
                        .bind(q.caller)
                        .bind(q.from_ms)
                        .bind(q.to_ms)
                        .fetch_all(conn)
                        .await?;
                    rows.iter()
                        .map(|row| group_row(row, by))
                        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                })
            }))
            .await?;
        Ok(rows.into_iter().map(UsageGroup::finish).collect())
    }

    async fn records(&self, q: &UsageQuery, limit: u32) -> Result<Vec<UsageRecord>> {
        let q = q.clone();
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let rows = sqlx::query(RECORDS)
                    .bind(q.caller)
                    .bind(q.from_ms)
                    .bind(q.to_ms)
                    .bind(i64::from(limit))
                    .fetch_all(conn)
                    .await?;
                rows.iter().map(record_row).collect()
            })
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Period;

    fn rec(id: &str, caller: &str, ts_ms: i64, cost: f64, outcome: &str) -> UsageRecord {
        UsageRecord {
            request_id: id.into(),
            caller: caller.into(),
            ts_ms,
            provider: Some("anthropic".into()),
            model: Some("claude-sonnet-4-5".into()),
            input_tokens: 100,
            output_tokens: 50,
            cache_read_tokens: 10,
            cache_write_tokens: 5,
            cost_usd: cost,
            outcome: outcome.into(),
            cached: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_records_share_commits_and_all_land_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let s = SqliteStore::open(&LedgerConfig { path: Some(path.clone()), ..Default::default() }).unwrap();
        let writes = (0..300).map(|i| {
            let s = s.clone();
            tokio::spawn(
                async move { s.record(&rec(&format!("r{i}"), "alice", 1_000 + i, 0.01, "ok")).await },
            )
        });
        for w in futures::future::join_all(writes).await {
            w.unwrap().unwrap();
        }
        drop(s);
        // A fresh connection to the file sees every acknowledged record.
        let again = SqliteStore::open(&LedgerConfig { path: Some(path), ..Default::default() }).unwrap();
        let totals = again.totals(&UsageQuery::new(Some("alice"), Period::All)).await.unwrap();
        assert_eq!(totals[0].requests, 300);
        let records = again.records(&UsageQuery::new(None, Period::All), 1000).await.unwrap();
        let mut ids: Vec<String> = records.into_iter().map(|r| r.request_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 300);
    }

    #[tokio::test]
    async fn memory_store_records_and_sums_per_caller_and_range() {
        let s = SqliteStore::memory().unwrap();
        s.record(&rec("a1", "alice", 1_000, 0.25, "ok")).await.unwrap();
        s.record(&rec("a2", "alice", 2_000, 0.5, "timeout")).await.unwrap();
        s.record(&rec("b1", "bob", 1_500, 1.0, "ok")).await.unwrap();
        s.record(&rec("late", "alice", 9_000, 4.0, "ok")).await.unwrap();
        let q = UsageQuery { caller: None, from_ms: 0, to_ms: 5_000 };
        let t = s.totals(&q).await.unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].caller.as_str(), t[0].requests, t[0].errors), ("alice", 2, 1));
        assert_eq!((t[0].input_tokens, t[0].cache_read_tokens, t[0].cache_write_tokens), (200, 20, 10));
        assert!((t[0].cost_usd - 0.75).abs() < 1e-12);
        assert_eq!(s.spent_usd(Some("bob"), 0, 5_000).await.unwrap(), 1.0);
        assert!((s.spent_usd(None, 0, i64::MAX).await.unwrap() - 5.75).abs() < 1e-12);
        let one = UsageQuery { caller: Some("alice".into()), from_ms: i64::MIN, to_ms: i64::MAX };
        let r = s.records(&one, 10).await.unwrap();
        assert_eq!(r.iter().map(|r| r.request_id.as_str()).collect::<Vec<_>>(), ["a1", "a2", "late"]);
        assert_eq!(r[1], rec("a2", "alice", 2_000, 0.5, "timeout"));
        let json = crate::ledger::export_json(&s, &one).await.unwrap();
        assert_eq!(json["records"].as_array().unwrap().len(), 3);
        assert_eq!(json["records"][0]["time"], "1970-01-01T00:00:01.000Z");
        assert_eq!(json["totals"][0]["requests"], 3);
        assert_eq!(json["from"], serde_json::Value::Null);
        let _ = Period::Day.bounds(0);
    }

    #[test]
    fn opening_needs_no_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let c = LedgerConfig { path: Some(dir.path().join("l.db")), ..Default::default() };
        SqliteStore::open(&c).unwrap();
        SqliteStore::memory().unwrap();
    }

    #[tokio::test]
    async fn a_file_store_is_in_wal_mode_and_keeps_records_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let c = LedgerConfig { path: Some(dir.path().join("l.db")), ..Default::default() };
        let s = SqliteStore::open(&c).unwrap();
        s.record(&rec("x", "carol", 5, 0.1, "ok")).await.unwrap();
        let pragmas = s
            .run(Box::new(|conn| {
                Box::pin(async move {
                    let mode: String =
                        sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await?;
                    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await?;
                    Ok((mode, sync))
                })
            }))
            .await
            .unwrap();
        assert_eq!(pragmas, ("wal".to_string(), 2), "WAL, synchronous FULL");
        drop(s);
        let s = SqliteStore::open(&c).unwrap();
        assert_eq!(s.spent_usd(Some("carol"), 0, 10).await.unwrap(), 0.1);
    }
}
