//! Budget counters on Redis: spend plus reservations per (scope, period), checked and raised by
//! one Lua script so that no two instances can both take the last dollar.

use std::sync::Arc;

use async_trait::async_trait;

use super::RedisClient;
use crate::error::Result;
use crate::ledger::{BudgetCounters, BudgetSlot, SharedVerdict};

/// ARGV[1] the estimate, then per key: seed, limit, expiry (Unix ms). Returns {0, ''} when
/// reserved, {i, committed} when slot i refuses.
const RESERVE: &str = r"
local est = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local b = 1 + (i - 1) * 3
  local cur = tonumber(redis.call('GET', k) or ARGV[b + 1])
  if cur + est > tonumber(ARGV[b + 2]) then return {i, tostring(cur)} end
end
for i, k in ipairs(KEYS) do
  local b = 1 + (i - 1) * 3
  if redis.call('EXISTS', k) == 0 then
    redis.call('SET', k, ARGV[b + 1])
    redis.call('PEXPIREAT', k, ARGV[b + 3])
  end
  redis.call('INCRBYFLOAT', k, ARGV[1])
end
return {0, ''}
";

/// ARGV[1] the delta; a counter whose period ended (and expired) is not created again.
const SETTLE: &str = r"
for _, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then redis.call('INCRBYFLOAT', k, ARGV[1]) end
end
return 0
";

/// [`BudgetCounters`] on Redis.
#[derive(Debug)]
pub struct RedisBudgets {
    client: Arc<RedisClient>,
    reserve: ::redis::Script,
    settle: ::redis::Script,
}

impl RedisBudgets {
    /// Counters over `client`.
    pub fn new(client: Arc<RedisClient>) -> Self {
        RedisBudgets { client, reserve: ::redis::Script::new(RESERVE), settle: ::redis::Script::new(SETTLE) }
    }
}

#[async_trait]
impl BudgetCounters for RedisBudgets {
    async fn reserve(&self, slots: &[BudgetSlot], estimate: f64) -> Result<SharedVerdict> {
        if slots.is_empty() {
            return Ok(SharedVerdict::Reserved);
        }
        let mut inv = self.reserve.prepare_invoke();
        inv.arg(estimate);
        for s in slots {
            inv.key(self.client.key("budget", &s.key)).arg(s.seed).arg(s.limit).arg(s.expires_at_ms);
        }
        let inv = &inv;
        let run = self
            .client
            .call("budget", |mut c| async move { inv.invoke_async::<(i64, String)>(&mut c).await })
            .await;
        match run {
            Ok((0, _)) => Ok(SharedVerdict::Reserved),
            Ok((i, committed)) => Ok(SharedVerdict::Refused {
                index: usize::try_from(i - 1).unwrap_or(0),
                committed: committed.parse().unwrap_or(f64::NAN),
            }),
            Err(f) => {
                self.client.fallback(f)?;
                Ok(SharedVerdict::Unavailable)
            }
        }
    }

    async fn settle(&self, slots: &[BudgetSlot], delta: f64) -> Result<()> {
        if slots.is_empty() || delta == 0.0 || !delta.is_finite() {
            return Ok(());
        }
        let mut inv = self.settle.prepare_invoke();
        inv.arg(delta);
        for s in slots {
            inv.key(self.client.key("budget", &s.key));
        }
        let inv = &inv;
        let run = self
            .client
            .call("budget_settle", |mut c| async move { inv.invoke_async::<i64>(&mut c).await })
            .await;
        // An unsettled reservation overstates spend until the period ends: safe, never lenient.
        run.map(|_| ()).or_else(|f| self.client.fallback(f))
    }
}
