//! What Redis adds to a request: one rate-limit acquire plus one cache lookup, against the
//! in-process stores in the same run.
//!
//! - `local/*`: [`LocalRateLimiter`] + [`MokaStore`] (the defaults).
//! - `redis/*`: [`RedisRateLimiter`] (the GCRA Lua script) + [`RedisCacheStore`] on a
//!   `redis-server` started on a free 127.0.0.1 port. `miss` goes to Redis (the front store
//!   misses: the cost on every request that is not a local hit); `front_hit` is answered by the
//!   in-process front store.
//!
//! After criterion, a fixed run of `SPARK_BENCH_REQUESTS` (default 5 000) sequential requests
//! prints p50/p99 of each, so the added latency can be read off.
//!
//! Run: `cargo bench -p spark-core --features redis --bench redis`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use spark_core::cache::{CacheKey, CacheStore, MokaStore};
use spark_core::guard::{LocalRateLimiter, RateLimitStore, RateQuota};
use spark_core::provider::Completion;
use spark_core::redis::{RedisCacheStore, RedisClient, RedisConfig, RedisRateLimiter, RedisUrl};

#[path = "../tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

const QUOTA: RateQuota = RateQuota { per_minute: 100_000_000, burst: 1_000_000 };

struct Stores {
    limiter: Arc<dyn RateLimitStore>,
    cache: Arc<dyn CacheStore>,
}

/// One request's worth of shared-state work: admit, then look the reply up.
async fn request(s: &Stores, key: &CacheKey) -> bool {
    let admitted = s.limiter.acquire("bench-caller", QUOTA, 1).await.expect("acquire").is_none();
    let hit = s.cache.get(key).await.expect("get").is_some();
    admitted && !hit
}

fn key(i: u64) -> CacheKey {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&i.to_le_bytes());
    CacheKey(k)
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

fn main() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = redis_server::RedisServer::start();
    let config = RedisConfig { url: Some(RedisUrl::new(server.url())), ..Default::default() };
    let client = Arc::new(RedisClient::from_config(&config).expect("config").expect("url"));
    let local =
        Stores { limiter: Arc::new(LocalRateLimiter::default()), cache: Arc::new(MokaStore::new(1 << 26)) };
    let redis = Stores {
        limiter: Arc::new(RedisRateLimiter::new(client.clone())),
        cache: Arc::new(RedisCacheStore::new(client.clone(), 1 << 26)),
    };
    let stored = key(u64::MAX);
    rt.block_on(async {
        let c = Arc::new(Completion::empty("bench", "bench-model"));
        local.cache.put(stored, c.clone(), Duration::from_secs(3600)).await.expect("put");
        redis.cache.put(stored, c, Duration::from_secs(3600)).await.expect("put");
        // Warm the connection and load the scripts.
        assert!(request(&redis, &key(0)).await);
    });

    let mut crit = Criterion::default().configure_from_args().measurement_time(Duration::from_secs(3));
    let mut n = 0u64;
    crit.bench_function("local/miss", |b| {
        b.iter(|| {
            rt.block_on(request(
                &local,
                &key({
                    n += 1;
                    n
                }),
            ))
        })
    });
    crit.bench_function("redis/miss", |b| {
        b.iter(|| {
            rt.block_on(request(
                &redis,
                &key({
                    n += 1;
                    n
                }),
            ))
        })
    });
    crit.bench_function("local/hit", |b| b.iter(|| black_box(rt.block_on(request(&local, &stored)))));
    crit.bench_function("redis/front_hit", |b| b.iter(|| black_box(rt.block_on(request(&redis, &stored)))));
    crit.final_summary();

    let requests: usize =
        std::env::var("SPARK_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    for (name, stores) in [("local", &local), ("redis", &redis)] {
        let times: Vec<Duration> = (0..requests)
            .map(|_| {
                n += 1;
                let k = key(n);
                let t = Instant::now();
                assert!(rt.block_on(request(stores, &k)));
                t.elapsed()
            })
            .collect();
        let (p50, p99) = percentiles(times);
        println!("{name:>5}: rate limit + cache miss, {requests} requests: p50 {p50:?}, p99 {p99:?}");
    }
    assert_eq!(client.stats().errors, 0, "every Redis call answered");
}
