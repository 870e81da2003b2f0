//! The binary: draining on SIGTERM, the command line, profiles and access logs.

use std::time::Duration;

use futures::StreamExt;

use crate::common::{MockOpenAi, PROVIDER_KEY, Process, run_cli};

#[tokio::test]
async fn sigterm_drains_an_in_flight_stream_while_new_requests_get_503() {
    // A slow provider: the stream takes about 2 s.
    let mock = MockOpenAi::start(Duration::from_millis(200)).await;
    let mut p = Process::start(&format!("[server.limits]\ndrain_timeout_ms = 20000\n{}", mock.toml()));
    let key = p.dev_key.clone().expect("dev key printed");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = client
        .post(p.url("/v1/generate/stream"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"prompt": "a spinner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut text = String::new();
    // Wait for the first delta: the stream is in flight.
    while !text.contains("event: delta") {
        text.push_str(&String::from_utf8_lossy(&body.next().await.unwrap().unwrap()));
    }
    p.terminate();
    // Readiness turns false and new requests are refused, on a fresh connection each.
    let fresh = || reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    let mut ready = 200;
    for _ in 0..50 {
        ready = fresh().get(p.url("/readyz")).send().await.unwrap().status().as_u16();
        if ready == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ready, 503);
    let refused = fresh()
        .post(p.url("/v1/validate"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"source": "class A {}", "file_name": "A.cs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "draining");
    assert!(problem["request_id"].is_string());
    assert!(p.child.try_wait().unwrap().is_none(), "exited before the stream finished");
    // The stream still completes with its result.
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    let events = crate::common::parse_sse(&text);
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("done"), "{text}");
    // Then the process exits cleanly.
    let status = p.wait(Duration::from_secs(10)).expect("exited after draining");
    assert!(status.success(), "{status:?}");
    let logs = p.logs();
    assert!(logs.contains("drained"), "{logs}");
    // Access logs are JSON lines with the request id and key id, never the key or provider key.
    let line =
        logs.lines().find(|l| l.contains("\"path\":\"/v1/generate/stream\"")).expect("access log line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["fields"]["status"], 200);
    assert_eq!(v["fields"]["key_id"].as_str().unwrap().len(), 16);
    assert!(v["fields"]["latency_ms"].as_f64().is_some());
    assert!(!logs.contains(&key[21..]) && !logs.contains(PROVIDER_KEY));
}

#[test]
fn keys_migrate_and_backup_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db");
    std::fs::write(
        dir.path().join("spark.toml"),
        format!("[server]\ndatabase = {:?}\n", db.display().to_string()),
    )
    .unwrap();
    let (ok, out, err) = run_cli(dir.path(), &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    let (ok, key, err) = run_cli(
        dir.path(),
        &["keys", "create", "--caller", "ci", "--scope", "validate", "--name", "ci runner"],
    );
    assert!(ok, "{err}");
    let key = key.trim().to_string();
    assert!(key.starts_with("spk_") && key.len() == spark_core::keys::KEY_LEN);
    let id = &key[4..20];
    assert!(!err.contains(&key[21..]), "the secret goes to stdout only");
    let (ok, list, _) = run_cli(dir.path(), &["keys", "list"]);
    assert!(ok);
    let infos: Vec<serde_json::Value> = list.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0]["id"], id);
    assert_eq!(infos[0]["caller"], "ci");
    assert!(!list.contains(&key[21..]));
    let backup = dir.path().join("backup.db");
    let (ok, _, err) = run_cli(dir.path(), &["backup", backup.to_str().unwrap()]);
    assert!(ok, "{err}");
    // Refuses to overwrite.
    let (ok, _, err) = run_cli(dir.path(), &["backup", backup.to_str().unwrap()]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, revoked, _) = run_cli(dir.path(), &["keys", "revoke", id]);
    assert!(ok);
    assert!(revoked.contains("revoked_ms"));
    // The backup holds the key as it was (not revoked), and is a working database.
    let (ok, list, _) = {
        std::fs::write(
            dir.path().join("spark.toml"),
            format!("[server]\ndatabase = {:?}\n", backup.display().to_string()),
        )
        .unwrap();
        run_cli(dir.path(), &["keys", "list"])
    };
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(list.trim()).unwrap();
    assert_eq!(v["id"], id);
    assert!(v["revoked_ms"].is_null());
}

#[test]
fn the_prod_profile_refuses_unsafe_settings() {
    let cases = [
        ("[server.auth]\nmode = \"none\"\n", "server.auth.mode"),
        ("[server.browser]\ncors_origins = [\"*\"]\n", "server.browser.cors_origins"),
        ("[openai]\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key = \"sk-x\"\n", "openai.base_url"),
    ];
    for (extra, field) in cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("spark.db");
        let text =
            format!("[server]\nprofile = \"prod\"\ndatabase = {:?}\n{extra}", db.display().to_string());
        std::fs::write(dir.path().join("spark.toml"), text).unwrap();
        let (ok, _, err) = run_cli(dir.path(), &["serve"]);
        assert!(!ok, "{field}: started");
        assert!(err.contains(field) && err.contains("prod profile refuses"), "{field}: {err}");
    }
    // A development key left active.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db");
    let dev = format!("[server]\nlisten = \"127.0.0.1:0\"\ndatabase = {:?}\n", db.display().to_string());
    std::fs::write(dir.path().join("spark.toml"), &dev).unwrap();
    let mut p = Process::start_in(dir.path());
    assert!(p.dev_key.is_some());
    p.terminate();
    p.wait(Duration::from_secs(10)).unwrap();
    std::fs::write(
        dir.path().join("spark.toml"),
        dev.replace("[server]\n", "[server]\nprofile = \"prod\"\n"),
    )
    .unwrap();
    let (ok, _, err) = run_cli(dir.path(), &["serve"]);
    assert!(!ok && err.contains("development key"), "{err}");
    // Staging warns and starts.
    std::fs::write(
        dir.path().join("spark.toml"),
        dev.replace("[server]\n", "[server]\nprofile = \"staging\"\n"),
    )
    .unwrap();
    let mut p = Process::start_in(dir.path());
    assert!(p.dev_key.is_none(), "keys exist: no new development key");
    p.terminate();
    assert!(p.wait(Duration::from_secs(10)).unwrap().success());
    assert!(p.logs().contains("development key is active"));
}

#[test]
fn secrets_come_from_files_never_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("openai.key");
    std::fs::write(&secret, "sk-from-a-file-0123456789\n").unwrap();
    let loaded = spark_server::config::load_str(
        "[providers]\norder = [\"openai\"]\n",
        [("OPENAI_API_KEY_FILE".to_string(), secret.display().to_string())],
    )
    .unwrap();
    let key = loaded.spark.openai.api_key.as_ref().expect("key read from the file");
    assert_eq!(key.expose(), "sk-from-a-file-0123456789");
    assert!(!format!("{loaded:?}").contains("sk-from-a-file"));
    // A missing file names the variable, not a value.
    let e = spark_server::config::load_str(
        "",
        [("OPENAI_API_KEY_FILE".to_string(), "/nonexistent/key".to_string())],
    )
    .unwrap_err();
    assert_eq!(e.field, "OPENAI_API_KEY_FILE");
    // There is no command-line flag for a key.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spark-server")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(!help.contains("api-key") && !help.contains("api_key"), "{help}");
}
