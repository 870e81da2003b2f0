//! Operations at scale: the restore drill (`scripts/restore-drill.sh`) on SQLite and PostgreSQL,
//! and four instances sharing one Redis and one PostgreSQL (cargo features `redis` and
//! `postgres`: `cargo test -p spark-server --features redis,postgres --test server scale`).

use std::path::{Path, PathBuf};
use std::process::Command;

use spark_core::{UsageRecord, UsageStore};

#[cfg(feature = "postgres")]
#[path = "../../tests/common/pg_server.rs"]
#[allow(dead_code)]
mod pg_server;

#[cfg(all(feature = "redis", feature = "postgres"))]
#[path = "../../tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn record(i: usize) -> UsageRecord {
    UsageRecord {
        request_id: format!("req-{i}"),
        caller: format!("caller-{}", i % 3),
        ts_ms: 1_700_000_000_000 + i as i64,
        provider: Some("openai".into()),
        model: Some("gpt-4o-mini".into()),
        input_tokens: 10 + i as u64,
        output_tokens: 20,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: 0.001 * i as f64,
        outcome: "ok".into(),
        cached: false,
    }
}

/// Two keys (one revoked) through the command line, and usage records through `store`.
async fn seed(dir: &Path, store: &dyn UsageStore, envs: &[(&str, String)]) {
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_spark-server"))
            .arg("--config")
            .arg(dir.join("spark.toml"))
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["keys", "create", "--caller", "alice", "--name", "drill"]);
    let id = cli(&["keys", "list"]).lines().next().map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["id"].as_str().unwrap().to_string()
    });
    cli(&["keys", "create", "--caller", "bob", "--scope", "generate"]);
    cli(&["keys", "revoke", &id.unwrap()]);
    for i in 0..50 {
        store.record(&record(i)).await.unwrap();
    }
}

/// Runs the drill; its last line.
fn drill(dir: &Path, args: &[&str], envs: &[(&str, String)]) -> String {
    let out = Command::new("bash")
        .arg(repo().join("scripts/restore-drill.sh"))
        .arg("--config")
        .arg(dir.join("spark.toml"))
        .args(args)
        .env("SPARK_SERVER", env!("CARGO_BIN_EXE_spark-server"))
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "drill failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    stdout.lines().last().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_restore_drill_brings_back_keys_and_ledger_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db");
    std::fs::write(
        dir.path().join("spark.toml"),
        format!("[server]\ndatabase = {:?}\n", db.display().to_string()),
    )
    .unwrap();
    let store = spark_core::SqliteStore::open(&spark_core::config::LedgerConfig {
        path: Some(db.clone()),
        ..Default::default()
    })
    .unwrap();
    seed(dir.path(), &store, &[]).await;
    drop(store);
    let last = drill(dir.path(), &["sqlite", db.to_str().unwrap()], &[]);
    assert!(last.starts_with("restore drill passed (sqlite): 2 keys and 50 usage records intact"), "{last}");
    // A backup that is not a database is refused, and the database is left as it was.
    std::fs::write(dir.path().join("junk"), b"not a database").unwrap();
    let (ok, _, err) =
        crate::common::run_cli(dir.path(), &["restore", dir.path().join("junk").to_str().unwrap()]);
    assert!(!ok && err.contains("not a usable backup"), "{err}");
    let (ok, keys, _) = crate::common::run_cli(dir.path(), &["keys", "list"]);
    assert!(ok && keys.lines().count() == 2, "{keys}");
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn the_restore_drill_brings_back_keys_and_ledger_on_postgres() {
    let Some(pg) = pg_server::PgServer::start("the_restore_drill_brings_back_keys_and_ledger_on_postgres")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The password stays out of the config file: libpq's PGPASSWORD serves spark-server, pg_dump
    // and psql alike.
    let url = format!("postgres://spark@127.0.0.1:{}/postgres", pg.port);
    std::fs::write(dir.path().join("spark.toml"), format!("[server]\ndatabase = {url:?}\n")).unwrap();
    let path = format!("{}:{}", pg.bin().display(), std::env::var("PATH").unwrap_or_default());
    let envs = [
        ("PGPASSWORD", pg_server::PASSWORD.to_string()),
        ("PGHOST", "127.0.0.1".to_string()),
        ("PGPORT", pg.port.to_string()),
        ("PGUSER", "spark".to_string()),
        ("PGDATABASE", "postgres".to_string()),
        ("PATH", path),
    ];
    let store = spark_core::PgStore::open(&spark_core::ledger::DatabaseUrl::new(pg.url())).unwrap();
    seed(dir.path(), &store, &envs).await;
    let last = drill(dir.path(), &["postgres"], &envs);
    assert!(
        last.starts_with("restore drill passed (postgres): 2 keys and 50 usage records intact"),
        "{last}"
    );
    // The restored tables serve a running store too (its pool reconnects to the new tables).
    let again = spark_core::PgStore::open(&spark_core::ledger::DatabaseUrl::new(pg.url())).unwrap();
    let all = spark_core::UsageQuery::new(None, spark_core::Period::All);
    assert_eq!(again.records(&all, 1000).await.unwrap().len(), 50);
}

/// Four spark-server processes on one Redis and one PostgreSQL, all on loopback.
#[cfg(all(feature = "redis", feature = "postgres"))]
mod fleet {
    use std::time::{Duration, Instant};

    use spark_core::ApiKey;
    use spark_core::guard::signing::RequestSigner;

    use super::pg_server::{PASSWORD, PgServer};
    use crate::common::{MockOpenAi, Process};

    use super::redis_server::RedisServer;

    const SIGNING_SECRET: &str = "fleet-signing-secret-0123456789";

    struct Fleet {
        procs: Vec<Process>,
        keys: std::collections::HashMap<String, String>,
        client: reqwest::Client,
        mock: MockOpenAi,
        redis: RedisServer,
        _pg: PgServer,
        dir: tempfile::TempDir,
    }

    impl Fleet {
        /// Keys for `callers` (made through the command line, in PostgreSQL), then four instances.
        async fn start(test: &str, callers: &[&str], extra: &str) -> Option<Fleet> {
            let pg = PgServer::start(test)?;
            let redis = RedisServer::start();
            // No delay between pieces: the rate-limit burst must land within a second or two (the bucket
            // refills 1.7 requests a second), and coalescing needs no slow reply to show, since a
            // late request hits the cache instead.
            let mock = MockOpenAi::start(Duration::ZERO).await;
            let dir = tempfile::tempdir().unwrap();
            let base = format!(
                "[server]\nlisten = \"127.0.0.1:0\"\naccess_log = false\ndatabase = {:?}\n",
                pg.url()
            );
            std::fs::write(dir.path().join("spark.toml"), &base).unwrap();
            let mut keys = std::collections::HashMap::new();
            for c in callers {
                let (ok, out, err) = crate::common::run_cli(dir.path(), &["keys", "create", "--caller", c]);
                assert!(ok, "{err}");
                keys.insert(c.to_string(), out.trim().to_string());
            }
            // Signing: the key of `erin` must sign, with the secret in a file.
            let secret = dir.path().join("signing");
            std::fs::write(&secret, SIGNING_SECRET).unwrap();
            let erin_id = keys.get("erin").map(|k| k[4..20].to_string()).unwrap_or_else(|| "none".into());
            let toml = format!(
                "{base}[server.signing.keys.{erin_id}]\nfile = {:?}\n\
                 [providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}\"\napi_key = \"sk-fleet-provider\"\n\
                 model = \"gpt-4o-mini\"\nmax_tokens = 64\n[anthropic]\nmax_tokens = 64\n[retry]\nmax_attempts = 1\n[repair]\nmax_rounds = 0\n\
                 [redis]\nurl = \"{}\"\ntimeout_ms = 300\nlock_ms = 5000\non_error = \"open\"\n\
                 [cache]\nenabled = true\n[rate_limit]\nrequests_per_minute = 100\nburst = 100\n\
                 max_concurrent = 256\nmax_queue = 512\n\
                 [pricing.gpt-4o-mini]\ninput_per_mtok = 0.0\noutput_per_mtok = 1000.0\n{extra}",
                secret.display().to_string(),
                mock.base_url,
                redis.url()
            );
            std::fs::write(dir.path().join("spark.toml"), toml).unwrap();
            let procs: Vec<Process> = (0..4).map(|_| Process::start_in(dir.path())).collect();
            assert!(procs.iter().all(|p| p.dev_key.is_none()), "keys are shared: no instance made its own");
            let client =
                reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap();
            Some(Fleet { procs, keys, client, mock, redis, _pg: pg, dir })
        }

        /// POST /v1/generate on instance `i` as `caller`: (status, seconds taken).
        async fn generate(&self, i: usize, caller: &str, prompt: &str) -> (u16, f64) {
            let t = Instant::now();
            let res = self
                .client
                .post(self.procs[i % 4].url("/v1/generate"))
                .bearer_auth(&self.keys[caller])
                .json(&serde_json::json!({ "prompt": prompt }))
                .send()
                .await
                .expect("an answer within the client deadline");
            let status = res.status().as_u16();
            let _ = res.bytes().await;
            (status, t.elapsed().as_secs_f64())
        }

        fn calls(&self) -> usize {
            self.mock.calls.load(std::sync::atomic::Ordering::SeqCst)
        }

        fn logs(&self) -> String {
            self.procs.iter().map(Process::logs).collect()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn four_instances_share_one_limit_one_budget_one_nonce_set_and_one_cache() {
        let callers = ["alice", "carol", "dave", "erin"];
        let extra = "[budget.callers.carol]\ndaily_usd = 0.2\n";
        let Some(f) = Fleet::start("four_instances_share_…", &callers, extra).await else { return };
        let f = std::sync::Arc::new(f);

        // 100 requests a minute for alice, across all four instances.
        let started = Instant::now();
        let tasks: Vec<_> = (0..160)
            .map(|i| {
                let f = f.clone();
                tokio::spawn(async move { f.generate(i, "alice", &format!("cube number {i}")).await.0 })
            })
            .collect();
        let mut statuses = std::collections::BTreeMap::new();
        for t in tasks {
            *statuses.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        let ok = statuses.get(&200).copied().unwrap_or(0);
        println!("rate limit across 4 instances: {statuses:?} in {:.2} s", started.elapsed().as_secs_f64());
        // The bucket refills while the burst is served (100 a minute: 1.7 a second), which a loaded
        // machine stretches: that refill is allowed on top of the ±2.
        let refill = (started.elapsed().as_secs_f64() * 100.0 / 60.0).floor() as usize;
        assert!((98..=102 + refill).contains(&ok), "admitted {ok} of 160 at 100/min: {statuses:?}");
        assert_eq!(ok + statuses.get(&429).copied().unwrap_or(0), 160, "{statuses:?}");

        // carol's $0.20 a day: each call reserves $0.064 (64 tokens) and costs $0.04 (40), so
        // four calls pass in all, not four per instance.
        let before = f.calls();
        let mut passed = 0;
        for i in 0..16 {
            let (status, _) = f.generate(i, "carol", &format!("sphere number {i}")).await;
            match status {
                200 => passed += 1,
                429 => {}
                other => panic!("status {other}"),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(passed, 4, "calls within the shared budget");
        assert_eq!(f.calls() - before, 4);

        // A signed request's nonce, used on instance 0, is refused on instance 1.
        let signer = RequestSigner::new(&f.keys["erin"][4..20], ApiKey::new(SIGNING_SECRET)).unwrap();
        let body = r#"{"prompt":"a signed cube"}"#;
        let headers = signer.sign("POST", "/v1/generate", body.as_bytes()).unwrap().to_pairs().to_vec();
        let post = |i: usize| {
            let mut req = f
                .client
                .post(f.procs[i].url("/v1/generate"))
                .bearer_auth(&f.keys["erin"])
                .header("content-type", "application/json")
                .body(body);
            for (k, v) in &headers {
                req = req.header(*k, v.clone());
            }
            req.send()
        };
        let first = post(0).await.unwrap();
        let status = first.status();
        assert_eq!(status, 200, "{}", first.text().await.unwrap());
        let replay = post(1).await.unwrap();
        assert_eq!(replay.status(), 401, "a nonce used on one instance is refused on another");
        let problem: serde_json::Value = replay.json().await.unwrap();
        assert_eq!(problem["reason"], "replayed", "{problem}");

        // A reply cached by one instance is a hit on another.
        let before = f.calls();
        assert_eq!(f.generate(0, "dave", "a spinning cube").await.0, 200);
        assert_eq!(f.generate(1, "dave", "a spinning cube").await.0, 200);
        assert_eq!(f.calls() - before, 1, "the second instance answered from the shared cache");
        // 64 identical requests at once, 16 per instance: one provider call.
        let before = f.calls();
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let f = f.clone();
                tokio::spawn(async move { f.generate(i, "dave", "a bouncing ball").await.0 })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        assert_eq!(f.calls() - before, 1, "64 identical requests over 4 instances");
        // The endpoints deploy/compose.yaml and Prometheus probe answer on every instance.
        for p in &f.procs {
            for path in ["/healthz", "/readyz", "/metrics"] {
                let res = f.client.get(p.url(path)).send().await.unwrap();
                assert_eq!(res.status(), 200, "{path}");
            }
        }
        let logs = f.logs();
        assert!(!logs.contains(PASSWORD), "the database password reached a log");
        let _ = &f.dir;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redis_stopped_mid_run_fails_open_within_deadlines_and_instances_recover() {
        let Some(mut f) = Fleet::start("redis_stopped_mid_run_…", &["alice"], "").await else { return };
        assert_eq!(f.generate(0, "alice", "warm up").await.0, 200);
        f.redis.stop();
        // Redis down, policy `open`: every request is served (local limits and cache), and none
        // waits much past the 300 ms Redis deadline on top of the provider's time.
        let mut slowest: f64 = 0.0;
        let down = Instant::now();
        for i in 0..6 {
            let (status, took) = f.generate(i, "alice", &format!("while redis is down {i}")).await;
            assert_eq!(status, 200, "fail open serves requests");
            slowest = slowest.max(took);
        }
        println!("redis down: 6 requests in {:.2} s, slowest {slowest:.3} s", down.elapsed().as_secs_f64());
        assert!(slowest < 5.0, "a request took {slowest} s with Redis down");
        f.redis.restart();
        // The instances reconnect by themselves: a reply cached by one is a hit on another again.
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut n = 0;
        loop {
            n += 1;
            let prompt = format!("after redis is back {n}");
            let before = f.calls();
            assert_eq!(f.generate(0, "alice", &prompt).await.0, 200);
            assert_eq!(f.generate(1, "alice", &prompt).await.0, 200);
            if f.calls() - before == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "the instances did not share the cache again");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `deploy/compose.yaml` cannot run here (no containers): what it runs must be what the tests
/// run. Same nginx files, the instance ports of `upstream.conf` everywhere (listen addresses,
/// health checks, Prometheus targets), a `spark.toml` that loads, and a Prometheus config that
/// `promtool` accepts with the alert rules.
#[cfg(all(feature = "redis", feature = "postgres"))]
#[test]
fn compose_agrees_with_what_the_tests_run() {
    let deploy = repo().join("deploy");
    let read = |p: &str| std::fs::read_to_string(deploy.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let compose = read("compose.yaml");
    let ports: Vec<String> = read("nginx/upstream.conf")
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("server 127.0.0.1:"))
        .map(|rest| rest.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(ports.len(), 3, "three instances");
    let prometheus = read("prometheus/prometheus.yml");
    for p in &ports {
        assert!(compose.contains(&format!("SPARK_SERVER_LISTEN: 127.0.0.1:{p}")), "instance on {p}");
        assert!(compose.contains(&format!("http://127.0.0.1:{p}/readyz")), "health check of {p}");
        assert!(prometheus.contains(&format!("\"127.0.0.1:{p}\"")), "scrape target {p}");
    }
    assert!(prometheus.contains("metrics_path: /metrics"));
    for file in [
        "./nginx/upstream.conf",
        "./nginx/spark-proxy.conf",
        "./compose/nginx-site.conf",
        "./compose/spark.toml",
        "./prometheus/prometheus.yml",
        "./prometheus/alerts.yml",
    ] {
        assert!(compose.contains(file), "compose.yaml mounts {file}");
        assert!(deploy.join(file).is_file(), "{file} exists");
    }
    // The instances' config loads as compose runs it, and names the Redis and PostgreSQL that
    // compose starts.
    let env = [("PGPASSWORD", "x"), ("SPARK_SERVER_LISTEN", "127.0.0.1:8081")];
    let loaded = spark_server::config::load_str(
        &read("compose/spark.toml"),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .unwrap();
    assert_eq!(loaded.server.listen.to_string(), "127.0.0.1:8081");
    let url = loaded.spark.ledger.url.expect("PostgreSQL").redacted();
    assert!(url.contains("127.0.0.1:5432") && compose.contains("port=5432"), "{url}");
    let redis = loaded.spark.redis.url.expect("Redis").redacted();
    assert!(redis.contains("127.0.0.1:6379") && compose.contains("\"--port\", \"6379\""), "{redis}");
    // The front listens where the site says, through the same proxy rules.
    assert!(read("compose/nginx-site.conf").contains("include /etc/nginx/conf.d/spark/spark-proxy.conf;"));
    let Some(promtool) =
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].into_iter().find(|p| Path::new(p).is_file())
    else {
        println!("SKIPPED promtool check: promtool not installed (Debian package prometheus)");
        return;
    };
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(deploy.join("prometheus/prometheus.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 rule files found"));
}
