//! Usage analytics over the ledger: totals grouped by caller, provider, day or hour; top
//! callers; error rate per provider; one JSON report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{UsageQuery, UsageRecord, UsageStore};
use crate::error::{Error, Result};

/// How [`UsageStore::grouped`] groups records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Per caller id.
    Caller,
    /// Per provider that answered (`none` when no provider was called).
    Provider,
    /// Per UTC day (key: `YYYY-MM-DD`).
    Day,
    /// Per UTC hour (key: `YYYY-MM-DDTHH:00Z`).
    Hour,
}

impl GroupBy {
    /// `caller`, `provider`, `day` or `hour` (what bindings accept).
    pub fn parse(name: &str) -> Result<GroupBy> {
        match name {
            "caller" => Ok(GroupBy::Caller),
            "provider" => Ok(GroupBy::Provider),
            "day" => Ok(GroupBy::Day),
            "hour" => Ok(GroupBy::Hour),
            other => Err(Error::InvalidRequest(format!(
                "group_by must be `caller`, `provider`, `day` or `hour`, got `{other}`"
            ))),
        }
    }

    /// Width of a time bucket in milliseconds.
    pub(crate) fn bucket_ms(self) -> Option<i64> {
        match self {
            GroupBy::Day => Some(86_400_000),
            GroupBy::Hour => Some(3_600_000),
            _ => None,
        }
    }

    /// The group key of a time bucket starting at `start_ms`.
    pub(crate) fn bucket_key(self, start_ms: i64) -> String {
        let iso = super::iso8601(start_ms);
        match self {
            GroupBy::Day => iso.get(..10).unwrap_or(&iso).to_string(),
            GroupBy::Hour => format!("{}:00Z", iso.get(..13).unwrap_or(&iso)),
            _ => iso,
        }
    }
}

/// Totals of one group (a caller, a provider, a day or an hour).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageGroup {
    /// The group's key: caller id, provider name, `YYYY-MM-DD` or `YYYY-MM-DDTHH:00Z`.
    pub key: String,
    /// Requests recorded (every outcome).
    pub requests: u64,
    /// Requests that failed.
    pub errors: u64,
    /// `errors / requests` (0 without requests).
    pub error_rate: f64,
    /// Requests answered from SPARK's cache.
    pub cached: u64,
    /// Prompt tokens billed.
    pub input_tokens: u64,
    /// Generated tokens billed.
    pub output_tokens: u64,
    /// USD spent.
    pub cost_usd: f64,
}

impl UsageGroup {
    pub(crate) fn finish(mut self) -> Self {
        self.error_rate = if self.requests == 0 { 0.0 } else { self.errors as f64 / self.requests as f64 };
        self
    }
}

/// Groups `records` in memory: the default of [`UsageStore::grouped`] for stores without a
/// query language of their own.
pub fn group_records(records: &[UsageRecord], by: GroupBy) -> Vec<UsageGroup> {
    let mut groups: BTreeMap<String, UsageGroup> = BTreeMap::new();
    for r in records {
        let key = match by {
            GroupBy::Caller => r.caller.clone(),
            GroupBy::Provider => r.provider.clone().unwrap_or_else(|| "none".into()),
            GroupBy::Day | GroupBy::Hour => {
                let width = by.bucket_ms().unwrap_or(1);
                by.bucket_key(r.ts_ms.div_euclid(width) * width)
            }
        };
        let g = groups.entry(key.clone()).or_insert_with(|| UsageGroup { key, ..Default::default() });
        g.requests += 1;
        g.errors += u64::from(r.outcome != "ok");
        g.cached += u64::from(r.cached);
        g.input_tokens += r.input_tokens;
        g.output_tokens += r.output_tokens;
        g.cost_usd += r.cost_usd;
    }
    groups.into_values().map(UsageGroup::finish).collect()
}

/// What [`top_callers`] ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// USD spent.
    Cost,
    /// Requests made.
    Requests,
    /// Tokens (input and output).
    Tokens,
    /// Failed requests.
    Errors,
}

impl RankBy {
    /// `cost`, `requests`, `tokens` or `errors`.
    pub fn parse(name: &str) -> Result<RankBy> {
        match name {
            "cost" => Ok(RankBy::Cost),
            "requests" => Ok(RankBy::Requests),
            "tokens" => Ok(RankBy::Tokens),
            "errors" => Ok(RankBy::Errors),
            other => Err(Error::InvalidRequest(format!(
                "rank_by must be `cost`, `requests`, `tokens` or `errors`, got `{other}`"
            ))),
        }
    }
}

/// The `limit` callers that rank highest over `query`, highest first (ties by caller id).
pub async fn top_callers(
    store: &dyn UsageStore,
    query: &UsageQuery,
    rank: RankBy,
    limit: usize,
) -> Result<Vec<UsageGroup>> {
    let mut groups = store.grouped(query, GroupBy::Caller).await?;
    let score = |g: &UsageGroup| match rank {
        RankBy::Cost => g.cost_usd,
        RankBy::Requests => g.requests as f64,
        RankBy::Tokens => (g.input_tokens + g.output_tokens) as f64,
        RankBy::Errors => g.errors as f64,
    };
    groups.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| a.key.cmp(&b.key)));
    groups.truncate(limit);
    Ok(groups)
}

/// One JSON report over `query`: totals per caller, per provider (with error rates) and per
/// day, and the ten callers that spent most.
pub async fn report_json(store: &dyn UsageStore, query: &UsageQuery) -> Result<serde_json::Value> {
    let by_caller = store.grouped(query, GroupBy::Caller).await?;
    let by_provider = store.grouped(query, GroupBy::Provider).await?;
    let by_day = store.grouped(query, GroupBy::Day).await?;
    let top = top_callers(store, query, RankBy::Cost, 10).await?;
    let bound = |ms: i64| {
        if ms == i64::MIN || ms == i64::MAX { serde_json::Value::Null } else { super::iso8601(ms).into() }
    };
    Ok(serde_json::json!({
        "caller": query.caller,
        "from": bound(query.from_ms),
        "to": bound(query.to_ms),
        "by_caller": by_caller,
        "by_provider": by_provider,
        "by_day": by_day,
        "top_callers": top,
    }))
}
