//! The ledger on PostgreSQL, for many instances sharing one ledger and one set of caller keys.
//!
//! The SQL and the row mapping are the SQLite store's (`super::sql`); what differs is the
//! connection: a pool that reconnects by itself after a server restart, and migrations
//! serialised across instances by an advisory lock.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use tokio::sync::OnceCell;

use super::sql::{
    MARK_VERSION, NEWEST_VERSION, RECORDS, SCHEMA, SCHEMA_VERSION, TOTALS, check_version, grouped_sql,
};
use super::{DatabaseUrl, GroupBy, UsageGroup, UsageQuery, UsageRecord, UsageStore, UsageTotals};
use crate::error::{Error, Result};
use crate::secret::{scrub, url_secrets};

/// Any constant: the key of the advisory lock that lets one instance migrate at a time.
const MIGRATION_LOCK: i64 = 0x5350_4152_4b00;

/// Connections per instance: a ledger write is one short INSERT.
const MAX_CONNECTIONS: u32 = 8;

/// The PostgreSQL [`UsageStore`] (and key store). Cheap to clone: clones share the pool.
///
/// The pool is made, and the schema migrated, on first use, so a client can be built outside
/// an async runtime and before the server is up. Every record is one INSERT committed before
/// `record` returns (PostgreSQL's default `synchronous_commit = on`: on disk).
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    url: DatabaseUrl,
    options: PgConnectOptions,
    /// The password as written and decoded, scrubbed from every driver message.
    secrets: Vec<String>,
    pool: OnceCell<PgPool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.inner.url).finish_non_exhaustive()
    }
}

impl PgStore {
    /// A store on the server `url` names (nothing is connected yet).
    pub fn open(url: &DatabaseUrl) -> Result<Self> {
        let secrets = url_secrets(url.expose());
        let options = PgConnectOptions::from_str(url.expose()).map_err(|e| {
            Error::config("ledger.url", format!("not a PostgreSQL URL: {}", scrub(&e.to_string(), &secrets)))
        })?;
        Ok(PgStore { inner: Arc::new(Inner { url: url.clone(), options, secrets, pool: OnceCell::new() }) })
    }

    /// The server, password masked when printed.
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// Connects and brings the schema up to date (every statement idempotent, one instance at a
    /// time); fails on a schema more than one version newer than this build.
    pub async fn migrate(&self) -> Result<()> {
        // A pool made earlier in this process has migrated already; running the idempotent
        // statements again costs little and makes `migrate` mean what it says.
        let pool = self.pool().await?;
        self.run_schema(pool).await
    }

    /// Runs the schema in one transaction under the migration lock, then checks the version.
    async fn run_schema(&self, pool: &PgPool) -> Result<()> {
        let newest = async {
            let mut tx = pool.begin().await?;
            // Concurrent `CREATE TABLE IF NOT EXISTS` can still collide in PostgreSQL's catalog:
            // instances starting together take turns.
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await?;
            for statement in SCHEMA {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
            sqlx::query(MARK_VERSION).bind(SCHEMA_VERSION).bind(super::now_ms()).execute(&mut *tx).await?;
            let newest: i64 = sqlx::query_scalar(NEWEST_VERSION).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(newest)
        }
        .await
        .map_err(|e| self.unavailable(e))?;
        check_version(newest)
    }

    /// The pool, made and migrated once; a failure leaves it unmade, so the next call retries.
    pub(crate) async fn pool(&self) -> Result<&PgPool> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Internal("the ledger needs a Tokio runtime".into()));
        }
        self.inner
            .pool
            .get_or_try_init(|| async {
                let pool = PgPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with(self.inner.options.clone());
                self.run_schema(&pool).await?;
                Ok::<_, Error>(pool)
            })
            .await
    }

    /// A driver error as SPARK's, its message scrubbed of the password.
    pub(crate) fn error(&self, e: sqlx::Error) -> Error {
        Error::Internal(format!("ledger: {}", scrub(&e.to_string(), &self.inner.secrets)))
    }

    fn unavailable(&self, e: sqlx::Error) -> Error {
        Error::Internal(format!(
            "ledger at {} unavailable: {}",
            self.inner.url.redacted(),
            scrub(&e.to_string(), &self.inner.secrets)
        ))
    }
}

super::sql::usage_rows!(PgRow);

#[async_trait]
impl UsageStore for PgStore {
    async fn record(&self, r: &UsageRecord) -> Result<()> {
        // In its own task: a caller that gives up cannot cut the statement short, and the
        // record is either committed or was never acknowledged.
        let (store, r) = (self.clone(), r.clone());
        let task = tokio::spawn(async move {
            let pool = store.pool().await?;
            let rows = [&r];
            insert_builder(&rows).build().execute(pool).await.map_err(|e| store.error(e))?;
            Ok(())
        });
        task.await.map_err(|e| Error::Internal(format!("ledger task failed: {e}")))?
    }

    async fn totals(&self, q: &UsageQuery) -> Result<Vec<UsageTotals>> {
        let pool = self.pool().await?;
        let rows = sqlx::query(TOTALS)
            .bind(&q.caller)
            .bind(q.from_ms)
            .bind(q.to_ms)
            .fetch_all(pool)
            .await
            .map_err(|e| self.error(e))?;
        rows.iter().map(totals_row).collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))
    }

    async fn grouped(&self, q: &UsageQuery, by: GroupBy) -> Result<Vec<UsageGroup>> {
        let pool = self.pool().await?;
        let rows = sqlx::query(&grouped_sql(by))
            .bind(&q.caller)
            .bind(q.from_ms)
            .bind(q.to_ms)
            .fetch_all(pool)
            .await
            .map_err(|e| self.error(e))?;
        let groups = rows
            .iter()
            .map(|row| group_row(row, by))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))?;
        Ok(groups.into_iter().map(UsageGroup::finish).collect())
    }

    async fn records(&self, q: &UsageQuery, limit: u32) -> Result<Vec<UsageRecord>> {
        let pool = self.pool().await?;
        let rows = sqlx::query(RECORDS)
            .bind(&q.caller)
            .bind(q.from_ms)
            .bind(q.to_ms)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(|e| self.error(e))?;
        rows.iter().map(record_row).collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))
    }
}
