//! Usage analytics over the SQLite ledger: grouped totals, error rates, top callers and the
//! JSON report, checked against hand-computed figures and against the in-memory grouping.

use spark_core::ledger::{GroupBy, RankBy, SqliteStore, UsageStore, group_records, top_callers};
use spark_core::{GenerateRequest, Period, Spark, SparkConfig, UsageQuery, UsageRecord};

const DAY: i64 = 86_400_000;
/// 2026-01-05T00:00:00Z.
const T0: i64 = 1_767_571_200_000;

fn rec(id: u32, caller: &str, ts_ms: i64, provider: Option<&str>, cost: f64, outcome: &str) -> UsageRecord {
    UsageRecord {
        request_id: format!("r{id}"),
        caller: caller.into(),
        ts_ms,
        provider: provider.map(str::to_string),
        model: provider.map(|_| "m".to_string()),
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: cost,
        outcome: outcome.into(),
        cached: false,
    }
}

fn records() -> Vec<UsageRecord> {
    vec![
        rec(1, "alice", T0 + 1_000, Some("anthropic"), 0.5, "ok"),
        rec(2, "alice", T0 + 3_600_000 + 5, Some("anthropic"), 0.25, "provider_failed"),
        rec(3, "bob", T0 + DAY + 7, Some("openai"), 2.0, "ok"),
        rec(4, "bob", T0 + DAY + 9, Some("openai"), 0.0, "timeout"),
        rec(5, "carol", T0 + DAY + 11, None, 0.0, "rate_limited"),
        rec(6, "bob", T0 + 2 * DAY, Some("anthropic"), 1.0, "ok"),
    ]
}

async fn store() -> SqliteStore {
    let s = SqliteStore::open(&Default::default()).unwrap();
    for r in records() {
        s.record(&r).await.unwrap();
    }
    s
}

fn all() -> UsageQuery {
    UsageQuery::new(None, Period::All)
}

#[tokio::test]
async fn grouped_totals_and_error_rates_are_exact() {
    let s = store().await;
    let by_provider = s.grouped(&all(), GroupBy::Provider).await.unwrap();
    let keys: Vec<&str> = by_provider.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["anthropic", "none", "openai"]);
    let anthropic = &by_provider[0];
    assert_eq!((anthropic.requests, anthropic.errors), (3, 1));
    assert!((anthropic.error_rate - 1.0 / 3.0).abs() < 1e-12);
    assert!((anthropic.cost_usd - 1.75).abs() < 1e-12);
    assert_eq!(by_provider[2].error_rate, 0.5);

    let by_day = s.grouped(&all(), GroupBy::Day).await.unwrap();
    let days: Vec<(&str, u64)> = by_day.iter().map(|g| (g.key.as_str(), g.requests)).collect();
    assert_eq!(days, [("2026-01-05", 2), ("2026-01-06", 3), ("2026-01-07", 1)]);

    let by_hour = s.grouped(&all(), GroupBy::Hour).await.unwrap();
    assert_eq!(by_hour[0].key, "2026-01-05T00:00Z");
    assert_eq!(by_hour[1].key, "2026-01-05T01:00Z");
    assert_eq!(by_hour.iter().map(|g| g.requests).sum::<u64>(), 6);

    // SQL and the in-memory default agree on every grouping.
    for by in [GroupBy::Caller, GroupBy::Provider, GroupBy::Day, GroupBy::Hour] {
        assert_eq!(s.grouped(&all(), by).await.unwrap(), group_records(&records(), by), "{by:?}");
    }

    // One caller, one range.
    let q = UsageQuery { caller: Some("bob".into()), from_ms: T0 + DAY, to_ms: T0 + 2 * DAY };
    let bob = s.grouped(&q, GroupBy::Caller).await.unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!((bob[0].requests, bob[0].errors, bob[0].input_tokens), (2, 1, 20));
}

#[tokio::test]
async fn top_callers_rank_by_what_was_asked() {
    let s = store().await;
    let by_cost = top_callers(&s, &all(), RankBy::Cost, 2).await.unwrap();
    assert_eq!(by_cost.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["bob", "alice"]);
    assert!((by_cost[0].cost_usd - 3.0).abs() < 1e-12);
    let by_errors = top_callers(&s, &all(), RankBy::Errors, 10).await.unwrap();
    // Ties (alice and carol, one error each) fall back to the caller id.
    assert_eq!(by_errors.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["alice", "bob", "carol"]);
    assert_eq!(top_callers(&s, &all(), RankBy::Requests, 0).await.unwrap(), vec![]);
}

#[tokio::test]
async fn the_client_reports_usage_from_its_ledger() {
    let mut cfg = SparkConfig::default();
    cfg.ledger.enabled = Some(true);
    let s = Spark::from_config(cfg).unwrap();
    for caller in ["alice", "alice", "bob"] {
        s.generate(GenerateRequest::new(format!("a door for {caller}")).caller(caller)).await.unwrap();
    }
    let by_caller = s.usage_by(None, Period::Day, GroupBy::Caller).await.unwrap();
    assert_eq!(
        by_caller.iter().map(|g| (g.key.as_str(), g.requests)).collect::<Vec<_>>(),
        [("alice", 2), ("bob", 1)]
    );
    let top = s.top_callers(Period::Day, RankBy::Requests, 1).await.unwrap();
    assert_eq!(top[0].key, "alice");
    let report = s.usage_report(None, Period::Day).await.unwrap();
    assert_eq!(report["by_provider"][0]["key"], "offline");
    assert_eq!(report["by_provider"][0]["requests"], 3);
    assert_eq!(report["by_provider"][0]["error_rate"], 0.0);
    assert_eq!(report["top_callers"][0]["key"], "alice");
    assert_eq!(report["by_day"].as_array().unwrap().len(), 1);
}
