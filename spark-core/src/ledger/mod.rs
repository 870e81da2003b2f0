//! Usage accounting: a durable ledger of every request, cost metering below the cache, and
//! budgets checked before any provider call.
//!
//! - [`UsageStore`] is the seam: [`SqliteStore`] (embedded; in memory without a path) is the
//!   default; `PgStore` (cargo feature `postgres`, selected by `[ledger] url`) runs the same
//!   statements on PostgreSQL for many instances.
//! - Every request is recorded before its result is handed to the caller: a result the caller
//!   saw is a row in the store ("acknowledged" means "recorded").
//! - When the store fails to record: with budgets configured the request fails (`internal`),
//!   since spend that is not recorded cannot be held to a budget after a restart; without
//!   budgets the failure is logged and the result delivered (accounting must not take the
//!   feature down).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

mod analytics;
mod budget;
mod meter;
#[cfg(feature = "postgres")]
mod postgres;
mod sql;
mod sqlite;
mod time;
mod url;

pub use analytics::{GroupBy, RankBy, UsageGroup, group_records, report_json, top_callers};
pub(crate) use budget::Budgets;
pub use budget::{BudgetConfig, BudgetCounters, BudgetSlot, CallerBudget, SharedVerdict};
pub(crate) use meter::{Meter, MeterLayer};
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use time::{iso8601, now_ms};
pub use url::{Database, DatabaseUrl};

/// How hard SQLite pushes each commit to disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Every commit is on disk before it returns: nothing recorded is lost to a process crash,
    /// an OS crash or a power cut.
    #[default]
    Full,
    /// In WAL mode, commits are not synced one by one: nothing is lost when the process is
    /// killed (the OS holds the WAL), but an OS crash or power cut may lose the last commits,
    /// acknowledged ones included. Faster on slow disks.
    Normal,
}

/// `[ledger]`: where usage records go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LedgerConfig {
    /// Record usage at all. Unset: on when `path` or a budget is set (budgets need the spend so
    /// far), off otherwise, since an in-memory ledger of a long-running process only grows and
    /// every request pays for its write. `true` without a path keeps it in memory.
    pub enabled: Option<bool>,
    /// SQLite database file, created when missing; unset keeps the ledger in memory (lost when
    /// the client is dropped).
    pub path: Option<PathBuf>,
    /// `PRAGMA synchronous` for the file (WAL mode always).
    pub synchronous: Synchronous,
    /// A PostgreSQL server (`postgres://user:password@host:port/db`) instead of the SQLite
    /// file, for many instances sharing one ledger and one set of caller keys (cargo feature
    /// `postgres`). Never prints with its password; give it by `SPARK_LEDGER__URL_FILE` to keep
    /// the password out of the config file.
    pub url: Option<DatabaseUrl>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig { enabled: None, path: None, synchronous: Synchronous::Full, url: None }
    }
}

impl LedgerConfig {
    /// Whether requests are recorded, given whether budgets are configured.
    pub fn is_on(&self, budgets: bool) -> bool {
        self.enabled.unwrap_or(self.path.is_some() || self.url.is_some() || budgets)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(p) = &self.path
            && p.as_os_str().is_empty()
        {
            return Err(Error::config("ledger.path", "must not be empty (leave it unset for memory)"));
        }
        if let Some(url) = &self.url {
            if self.path.is_some() {
                return Err(Error::config(
                    "ledger.url",
                    "set either `path` (SQLite) or `url` (PostgreSQL), not both",
                ));
            }
            url.validate("ledger.url")?;
        }
        Ok(())
    }
}

/// One request, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// SPARK's request id.
    pub request_id: String,
    /// Who asked (`anonymous` when nobody said).
    pub caller: String,
    /// When the request started, in milliseconds since the Unix epoch (UTC).
    pub ts_ms: i64,
    /// The provider that answered last, when one was called.
    pub provider: Option<String>,
    /// The model that answered last, when one was called.
    pub model: Option<String>,
    /// Prompt tokens billed (cache reads and writes included).
    pub input_tokens: u64,
    /// Generated tokens billed.
    pub output_tokens: u64,
    /// Of `input_tokens`, read from a prompt cache.
    pub cache_read_tokens: u64,
    /// Of `input_tokens`, written to a prompt cache.
    pub cache_write_tokens: u64,
    /// What the provider calls cost, in USD (0 when nothing was billed or the price is unknown).
    pub cost_usd: f64,
    /// `ok`, or the error's code.
    pub outcome: String,
    /// Whether the answer came from SPARK's cache without a billed provider call.
    pub cached: bool,
}

/// A calendar period in UTC, or an explicit range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The current UTC day.
    Day,
    /// The current UTC calendar month.
    Month,
    /// `from_ms` (included) to `to_ms` (excluded), milliseconds since the Unix epoch.
    Range {
        /// Start, included.
        from_ms: i64,
        /// End, excluded.
        to_ms: i64,
    },
    /// Everything recorded.
    All,
}

impl Period {
    /// The `[from, to)` bounds in milliseconds at time `now_ms`.
    pub fn bounds(&self, now_ms: i64) -> (i64, i64) {
        match *self {
            Period::Day => time::day_bounds(now_ms),
            Period::Month => time::month_bounds(now_ms),
            Period::Range { from_ms, to_ms } => (from_ms, to_ms),
            Period::All => (i64::MIN, i64::MAX),
        }
    }

    /// `day`, `month` or `all` (what bindings accept).
    pub fn parse(name: &str) -> Result<Period> {
        match name {
            "day" => Ok(Period::Day),
            "month" => Ok(Period::Month),
            "all" => Ok(Period::All),
            other => {
                Err(Error::InvalidRequest(format!("period must be `day`, `month` or `all`, got `{other}`")))
            }
        }
    }
}

/// Which records a query covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// One caller, or all of them.
    pub caller: Option<String>,
    /// Start, included (ms since the epoch).
    pub from_ms: i64,
    /// End, excluded (ms since the epoch).
    pub to_ms: i64,
}

impl UsageQuery {
    /// Records of `caller` (all callers when `None`) in `period` as of now.
    pub fn new(caller: Option<&str>, period: Period) -> Self {
        let (from_ms, to_ms) = period.bounds(now_ms());
        UsageQuery { caller: caller.map(str::to_string), from_ms, to_ms }
    }
}

/// Totals of one caller over a query's range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageTotals {
    /// The caller.
    pub caller: String,
    /// Requests recorded (every outcome).
    pub requests: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Requests answered from SPARK's cache.
    pub cached: u64,
    /// Prompt tokens billed.
    pub input_tokens: u64,
    /// Generated tokens billed.
    pub output_tokens: u64,
    /// Prompt tokens read from a prompt cache.
    pub cache_read_tokens: u64,
    /// Prompt tokens written to a prompt cache.
    pub cache_write_tokens: u64,
    /// USD spent.
    pub cost_usd: f64,
}

/// Where usage records live. Async and fallible: a store may be a server database.
#[async_trait]
pub trait UsageStore: Send + Sync + std::fmt::Debug + 'static {
    /// Records one request durably: when this returns `Ok`, the record survives a crash of the
    /// process (and, with [`Synchronous::Full`], of the machine).
    async fn record(&self, record: &UsageRecord) -> Result<()>;

    /// Totals per caller over `query`, ordered by caller.
    async fn totals(&self, query: &UsageQuery) -> Result<Vec<UsageTotals>>;

    /// The records of `query`, oldest first, at most `limit`.
    async fn records(&self, query: &UsageQuery, limit: u32) -> Result<Vec<UsageRecord>>;

    /// Totals over `query` grouped `by` caller, provider, day or hour, ordered by key. The
    /// default groups every record in memory; a store with a query language overrides it.
    async fn grouped(&self, query: &UsageQuery, by: GroupBy) -> Result<Vec<UsageGroup>> {
        Ok(group_records(&self.records(query, u32::MAX).await?, by))
    }

    /// USD spent by `caller` (everyone when `None`) in `[from_ms, to_ms)`.
    async fn spent_usd(&self, caller: Option<&str>, from_ms: i64, to_ms: i64) -> Result<f64> {
        let q = UsageQuery { caller: caller.map(str::to_string), from_ms, to_ms };
        Ok(self.totals(&q).await?.iter().fold(0.0, |sum, t| sum + t.cost_usd))
    }
}

/// How a request ended, as the request path knows it.
pub(crate) enum Finished<'a> {
    /// A result: who answered, and whether the finished-result memo served it.
    Ok { provider: &'a str, model: &'a str, memo_hit: bool },
    /// An error, by code.
    Err(ErrorCode),
}

/// The ledger's hook in the request path: the store, and the meter that tallied the calls.
#[derive(Debug)]
pub(crate) struct Recorder {
    pub store: Arc<dyn UsageStore>,
    pub meter: Arc<Meter>,
}

impl Recorder {
    /// Records one finished request with what its provider calls cost. A failed write fails
    /// the request only when budgets are configured (unrecorded spend would escape them after a
    /// restart); otherwise it is logged and the request goes on.
    pub async fn record(
        &self,
        request_id: &str,
        caller: &str,
        ts_ms: i64,
        finished: Finished<'_>,
    ) -> Result<()> {
        let tally = self.meter.take(request_id);
        let (provider, model, outcome, cached) = match finished {
            // No billed call (a hit of the result memo or of the response cache): cached.
            Finished::Ok { provider, model, memo_hit } => {
                (Some(provider.to_string()), Some(model.to_string()), "ok", memo_hit || tally.calls == 0)
            }
            Finished::Err(code) => (tally.provider, tally.model, code.as_str(), false),
        };
        let record = UsageRecord {
            request_id: request_id.to_string(),
            caller: caller.to_string(),
            ts_ms,
            provider,
            model,
            input_tokens: tally.usage.input_tokens,
            output_tokens: tally.usage.output_tokens,
            cache_read_tokens: tally.usage.cache_read_tokens,
            cache_write_tokens: tally.usage.cache_write_tokens,
            cost_usd: tally.cost_usd,
            outcome: outcome.to_string(),
            cached,
        };
        match self.store.record(&record).await {
            Ok(()) => Ok(()),
            Err(e) if self.meter.has_budgets() => Err(e),
            Err(e) => {
                tracing::warn!(request_id, error = %e, "usage not recorded in the ledger");
                Ok(())
            }
        }
    }
}

/// Most records one JSON export holds.
pub const MAX_EXPORT_RECORDS: u32 = 100_000;

/// `query`'s totals and records as JSON: `{from, to, caller, totals: [...], records: [...]}`,
/// times as ISO 8601 UTC beside the raw milliseconds.
pub async fn export_json(store: &dyn UsageStore, query: &UsageQuery) -> Result<serde_json::Value> {
    let totals = store.totals(query).await?;
    let records = store.records(query, MAX_EXPORT_RECORDS).await?;
    let records: Vec<serde_json::Value> = records
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("time".into(), iso8601(r.ts_ms).into());
            }
            v
        })
        .collect();
    let bound =
        |ms: i64| if ms == i64::MIN || ms == i64::MAX { serde_json::Value::Null } else { iso8601(ms).into() };
    Ok(serde_json::json!({
        "caller": query.caller,
        "from": bound(query.from_ms),
        "to": bound(query.to_ms),
        "totals": totals,
        "records": records,
    }))
}
