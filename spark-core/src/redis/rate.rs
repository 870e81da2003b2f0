//! The per-caller rate limiter on Redis: the GCRA of
//! [`LocalRateLimiter`](crate::guard::LocalRateLimiter), as one atomic Lua script per call on
//! Redis's own clock (so instances with skewed clocks agree).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::RedisClient;
use crate::error::Result;
use crate::guard::{LocalRateLimiter, RateLimitStore, RateQuota};

/// Takes `cost` units: KEYS[1] holds the theoretical arrival time in µs of Redis time.
/// ARGV: µs per unit, burst, cost. Returns 0 when admitted, else the wait in µs.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local unit = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + unit * tonumber(ARGV[3])
local wait = new_tat - unit * tonumber(ARGV[2]) - now
if wait > 0 then return math.max(1000, math.ceil(wait)) end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
";

/// Settles: ARGV µs per unit, delta units (negative gives back, positive takes more, into debt).
const ADJUST: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local step = tonumber(ARGV[1]) * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if step >= 0 then
  if tat < now then tat = now end
  tat = tat + step
else
  tat = tat + step
  if tat < now then tat = now end
end
if tat <= now then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return 0
";

/// A [`RateLimitStore`] on Redis; under `on_error = "open"` it falls back to an in-process GCRA.
#[derive(Debug)]
pub struct RedisRateLimiter {
    client: Arc<RedisClient>,
    local: LocalRateLimiter,
    acquire: ::redis::Script,
    adjust: ::redis::Script,
}

impl RedisRateLimiter {
    /// A limiter over `client`.
    pub fn new(client: Arc<RedisClient>) -> Self {
        RedisRateLimiter {
            client,
            local: LocalRateLimiter::default(),
            acquire: ::redis::Script::new(ACQUIRE),
            adjust: ::redis::Script::new(ADJUST),
        }
    }

    fn bucket(&self, key: &str, quota: RateQuota) -> String {
        self.client.key("rl", &format!("{}:{}:{key}", quota.per_minute, quota.burst))
    }
}

/// Microseconds one unit takes to come back under `quota`.
fn unit_us(quota: RateQuota) -> u64 {
    60_000_000 / u64::from(quota.per_minute.max(1))
}

#[async_trait]
impl RateLimitStore for RedisRateLimiter {
    async fn acquire(&self, key: &str, quota: RateQuota, cost: u32) -> Result<Option<Duration>> {
        let cost = cost.max(1);
        // Like the local limiter: more than the burst at once never passes.
        if cost > quota.burst.max(1) {
            return Ok(Some(Duration::from_secs(60)));
        }
        let bucket = self.bucket(key, quota);
        let script = &self.acquire;
        let run = self
            .client
            .call("rate_limit", |mut c| async move {
                script
                    .key(bucket)
                    .arg(unit_us(quota))
                    .arg(quota.burst.max(1))
                    .arg(cost)
                    .invoke_async::<u64>(&mut c)
                    .await
            })
            .await;
        match run {
            Ok(0) => Ok(None),
            Ok(wait_us) => Ok(Some(Duration::from_micros(wait_us))),
            Err(f) => {
                self.client.fallback(f)?;
                self.local.acquire(key, quota, cost).await
            }
        }
    }

    async fn adjust(&self, key: &str, quota: RateQuota, delta: i64) -> Result<()> {
        let bucket = self.bucket(key, quota);
        let script = &self.adjust;
        let run = self
            .client
            .call("rate_limit_adjust", |mut c| async move {
                script.key(bucket).arg(unit_us(quota)).arg(delta).invoke_async::<i64>(&mut c).await
            })
            .await;
        match run {
            Ok(_) => Ok(()),
            Err(f) => {
                self.client.fallback(f)?;
                self.local.adjust(key, quota, delta).await
            }
        }
    }
}
