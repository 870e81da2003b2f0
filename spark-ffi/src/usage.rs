//! `spark_client_usage`: usage analytics over the ledger, one JSON query in, JSON out.
//!
//! One entry point with a `query` kind keeps the ABI small, as the request JSON does for
//! generation; the kinds mirror the Rust, Python and Node methods of the same names.

use serde::Deserialize;
use spark_core::Period;
use spark_core::ledger::{GroupBy, RankBy};

use crate::error::invalid;
use crate::{block_on, out_buf, spark_buf_t, spark_client_t, spark_error_t, text, to_json};

/// The query JSON of `spark_client_usage`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageRequest {
    query: String,
    #[serde(default)]
    caller: Option<String>,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    group_by: Option<String>,
    #[serde(default)]
    rank_by: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

/// Queries the usage ledger and writes the answer to `*out` as JSON. Free it with
/// `spark_buf_free`.
///
/// `query_json` is `{"query": KIND, "caller"?: "...", "period"?: "day"|"month"|"all",
/// "group_by"?: "caller"|"provider"|"day"|"hour", "rank_by"?: "cost"|"requests"|"tokens"|"errors",
/// "limit"?: n}` (`period` defaults to `day`, UTC; unknown fields are rejected). KIND is
/// - `totals`: per caller `[{"caller", "requests", "errors", "cached", "input_tokens",
///   "output_tokens", ..., "cost_usd"}]`;
/// - `by`: totals grouped by `group_by` (default `caller`), each `{"key", ..., "error_rate"}`;
/// - `top`: the `limit` (default 10) callers ranking highest by `rank_by` (default `cost`);
/// - `report`: `{"by_caller", "by_provider", "by_day", "top_callers", ...}`;
/// - `export`: the totals and every record, `{"caller", "from", "to", "totals", "records"}`.
///
/// `caller` narrows every kind but `top` to one caller. Fails with `SPARK_ERROR_INVALID_CONFIG` when
/// the client's ledger is off, `SPARK_ERROR_INVALID_REQUEST` for an unknown kind or name, and
/// `SPARK_ERROR_INVALID_ARGUMENT` for JSON that does not read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_usage(
    client: *const spark_client_t,
    query_json: *const u8,
    len: usize,
    out: *mut spark_buf_t,
) -> *mut spark_error_t {
    crate::guard(|| {
        // SAFETY: the caller promises a writable `out` when non-NULL.
        let out = unsafe { out_buf(out, "out") }?;
        let c = crate::client(client)?;
        // SAFETY: the caller promises `len` readable bytes.
        let json = unsafe { text(query_json, len, "query_json") }?;
        let q: UsageRequest = serde_json::from_str(json).map_err(|e| invalid(format!("query_json: {e}")))?;
        let period = Period::parse(q.period.as_deref().unwrap_or("day"))?;
        let caller = q.caller.as_deref();
        let spark = &c.spark;
        let answer = block_on(&c, "spark_client_usage", async {
            match q.query.as_str() {
                "totals" => to_json(&spark.usage(caller, period).await?),
                "by" => {
                    let by = GroupBy::parse(q.group_by.as_deref().unwrap_or("caller"))?;
                    to_json(&spark.usage_by(caller, period, by).await?)
                }
                "top" => {
                    let rank = RankBy::parse(q.rank_by.as_deref().unwrap_or("cost"))?;
                    let limit = q.limit.unwrap_or(10) as usize;
                    to_json(&spark.top_callers(period, rank, limit).await?)
                }
                "report" => to_json(&spark.usage_report(caller, period).await?),
                "export" => to_json(&spark.export_usage(caller, period).await?),
                other => Err(spark_core::Error::InvalidRequest(format!(
                    "query must be `totals`, `by`, `top`, `report` or `export`, got `{}`",
                    other.chars().take(32).collect::<String>()
                ))),
            }
        })?;
        // SAFETY: checked by `out_buf`.
        unsafe { crate::buf::write_buf(out, answer) };
        Ok(())
    })
}
