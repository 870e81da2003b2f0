//! The ledger's SQL and row mapping, shared by every sqlx backend (SQLite, PostgreSQL): the
//! statements are the portable subset both run unchanged (`$n` placeholders, `BIGINT`,
//! `DOUBLE PRECISION`, `BOOLEAN`, sums cast to `BIGINT`). Row mapping is a macro because sqlx's
//! row types share no trait that carries the decode bounds.

use super::GroupBy;

/// The schema, every statement idempotent; SQLite and PostgreSQL run it unchanged. Each change
/// is additive (a new table, column or index, never a drop or rename) and bumps
/// [`SCHEMA_VERSION`], so the previous release still runs on it: a rollback needs no down
/// migration.
pub(crate) const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS spark_usage (
        request_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        ts_ms BIGINT NOT NULL,
        provider TEXT,
        model TEXT,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        outcome TEXT NOT NULL,
        cached BOOLEAN NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS spark_usage_caller_ts ON spark_usage (caller, ts_ms)",
    "CREATE INDEX IF NOT EXISTS spark_usage_ts ON spark_usage (ts_ms)",
    // Caller keys (crate::keys) share the ledger's database: one file to back up. Never a secret:
    // `hash` is HMAC-SHA256 under the per-key `salt`; `scopes` are space-separated.
    "CREATE TABLE IF NOT EXISTS spark_keys (
        id TEXT PRIMARY KEY,
        caller TEXT NOT NULL,
        name TEXT,
        scopes TEXT NOT NULL,
        tier TEXT,
        salt TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT,
        revoked_ms BIGINT,
        last_used_ms BIGINT
    )",
    // Which schema versions were applied: a build refuses a database more than one version
    // ahead of it (see `SCHEMA_VERSION`).
    "CREATE TABLE IF NOT EXISTS spark_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
];

/// The schema version this build writes. A build runs on a database of its own version or one
/// version newer (the rollback window), never further.
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// Marks [`SCHEMA_VERSION`] applied (`$1` = version, `$2` = now in ms).
pub(crate) const MARK_VERSION: &str =
    "INSERT INTO spark_migrations (version, applied_ms) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING";

/// The newest applied version.
pub(crate) const NEWEST_VERSION: &str =
    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM spark_migrations";

pub(crate) const INSERT_HEAD: &str = "INSERT INTO spark_usage (request_id, caller, ts_ms, provider, model, input_tokens, \
     output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, outcome, cached) ";

// `$1 IS NULL` lets one statement serve one caller or all of them.
pub(crate) const TOTALS: &str = "SELECT caller, COUNT(*) AS requests, \
     CAST(COALESCE(SUM(CASE WHEN outcome <> 'ok' THEN 1 ELSE 0 END), 0) AS BIGINT) AS errors, \
     CAST(COALESCE(SUM(CASE WHEN cached THEN 1 ELSE 0 END), 0) AS BIGINT) AS cached, \
     CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
     CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
     CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT) AS cache_read_tokens, \
     CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens, \
     COALESCE(SUM(cost_usd), 0.0) AS cost_usd \
     FROM spark_usage WHERE ($1 IS NULL OR caller = $1) AND ts_ms >= $2 AND ts_ms < $3 \
     GROUP BY caller ORDER BY caller";

pub(crate) const RECORDS: &str = "SELECT request_id, caller, ts_ms, provider, model, input_tokens, output_tokens, \
     cache_read_tokens, cache_write_tokens, cost_usd, outcome, cached \
     FROM spark_usage WHERE ($1 IS NULL OR caller = $1) AND ts_ms >= $2 AND ts_ms < $3 \
     ORDER BY ts_ms, request_id LIMIT $4";

/// [`UsageStore::grouped`] in SQL; `{key}` is the group expression.
pub(crate) const GROUPED: &str = "SELECT {key} AS key, COUNT(*) AS requests, \
     CAST(COALESCE(SUM(CASE WHEN outcome <> 'ok' THEN 1 ELSE 0 END), 0) AS BIGINT) AS errors, \
     CAST(COALESCE(SUM(CASE WHEN cached THEN 1 ELSE 0 END), 0) AS BIGINT) AS cached, \
     CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
     CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
     COALESCE(SUM(cost_usd), 0.0) AS cost_usd \
     FROM spark_usage WHERE ($1 IS NULL OR caller = $1) AND ts_ms >= $2 AND ts_ms < $3 \
     GROUP BY 1 ORDER BY 1";

/// Refuses a database whose schema is more than one version ahead of this build: one version
/// ahead is the rollback window (the schema only ever grows); further, columns this build does
/// not know may already be required.
pub(crate) fn check_version(newest: i64) -> crate::error::Result<()> {
    if newest > SCHEMA_VERSION + 1 {
        return Err(crate::error::Error::Internal(format!(
            "the database schema is version {newest}; this build knows {SCHEMA_VERSION} and runs on at most \
             one version newer: upgrade SPARK"
        )));
    }
    Ok(())
}

/// The [`GROUPED`] statement for `by`: only fixed expressions reach the SQL text; values are
/// bound.
pub(crate) fn grouped_sql(by: GroupBy) -> String {
    let key = match by {
        GroupBy::Caller => "caller".to_string(),
        GroupBy::Provider => "COALESCE(provider, 'none')".to_string(),
        GroupBy::Day | GroupBy::Hour => {
            let w = by.bucket_ms().unwrap_or(1);
            format!("((ts_ms - (((ts_ms % {w}) + {w}) % {w})))")
        }
    };
    GROUPED.replace("{key}", &key)
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Defines `totals_row`, `record_row` and `group_row` for one sqlx row type.
macro_rules! usage_rows {
    ($row:ty) => {
        fn totals_row(row: &$row) -> std::result::Result<$crate::ledger::UsageTotals, sqlx::Error> {
            Ok($crate::ledger::UsageTotals {
                caller: row.try_get("caller")?,
                requests: $crate::ledger::sql::to_u64(row.try_get("requests")?),
                errors: $crate::ledger::sql::to_u64(row.try_get("errors")?),
                cached: $crate::ledger::sql::to_u64(row.try_get("cached")?),
                input_tokens: $crate::ledger::sql::to_u64(row.try_get("input_tokens")?),
                output_tokens: $crate::ledger::sql::to_u64(row.try_get("output_tokens")?),
                cache_read_tokens: $crate::ledger::sql::to_u64(row.try_get("cache_read_tokens")?),
                cache_write_tokens: $crate::ledger::sql::to_u64(row.try_get("cache_write_tokens")?),
                cost_usd: row.try_get("cost_usd")?,
            })
        }

        fn record_row(row: &$row) -> std::result::Result<$crate::ledger::UsageRecord, sqlx::Error> {
            Ok($crate::ledger::UsageRecord {
                request_id: row.try_get("request_id")?,
                caller: row.try_get("caller")?,
                ts_ms: row.try_get("ts_ms")?,
                provider: row.try_get("provider")?,
                model: row.try_get("model")?,
                input_tokens: $crate::ledger::sql::to_u64(row.try_get("input_tokens")?),
                output_tokens: $crate::ledger::sql::to_u64(row.try_get("output_tokens")?),
                cache_read_tokens: $crate::ledger::sql::to_u64(row.try_get("cache_read_tokens")?),
                cache_write_tokens: $crate::ledger::sql::to_u64(row.try_get("cache_write_tokens")?),
                cost_usd: row.try_get("cost_usd")?,
                outcome: row.try_get("outcome")?,
                cached: row.try_get("cached")?,
            })
        }

        fn group_row(
            row: &$row,
            by: $crate::ledger::GroupBy,
        ) -> std::result::Result<$crate::ledger::UsageGroup, sqlx::Error> {
            use $crate::ledger::sql::to_u64;
            let key = match by.bucket_ms() {
                Some(_) => by.bucket_key(row.try_get::<i64, _>("key")?),
                None => row.try_get("key")?,
            };
            Ok($crate::ledger::UsageGroup {
                key,
                requests: to_u64(row.try_get("requests")?),
                errors: to_u64(row.try_get("errors")?),
                error_rate: 0.0,
                cached: to_u64(row.try_get("cached")?),
                input_tokens: to_u64(row.try_get("input_tokens")?),
                output_tokens: to_u64(row.try_get("output_tokens")?),
                cost_usd: row.try_get("cost_usd")?,
            })
        }

        /// One multi-row INSERT of `records` (`INSERT_HEAD`) for this backend.
        fn insert_builder<'a>(
            records: &'a [&'a $crate::ledger::UsageRecord],
        ) -> sqlx::QueryBuilder<'a, <$row as sqlx::Row>::Database> {
            use $crate::ledger::sql::to_i64;
            let mut b = sqlx::QueryBuilder::new($crate::ledger::sql::INSERT_HEAD);
            b.push_values(records, |mut row, r| {
                row.push_bind(&r.request_id)
                    .push_bind(&r.caller)
                    .push_bind(r.ts_ms)
                    .push_bind(&r.provider)
                    .push_bind(&r.model)
                    .push_bind(to_i64(r.input_tokens))
                    .push_bind(to_i64(r.output_tokens))
                    .push_bind(to_i64(r.cache_read_tokens))
                    .push_bind(to_i64(r.cache_write_tokens))
                    .push_bind(r.cost_usd)
                    .push_bind(&r.outcome)
                    .push_bind(r.cached);
            });
            b
        }
    };
}
pub(crate) use usage_rows;
