//! Test servers on 127.0.0.1 free ports: SPARK's server (in process, or as the real binary),
//! a loopback OpenAI Chat Completions server speaking the streaming wire format, and signing
//! and JWT helpers.

#![allow(dead_code)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use futures::StreamExt;
use spark_server::Server;
use spark_server::config;
use tokio::sync::oneshot;

/// A reply of valid Unity code the mock streams back.
pub const REPLY: &str = "```csharp\nusing UnityEngine;\n\npublic class Spinner : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```\n";

/// The provider key the tests configure; it must never come back to a caller.
pub const PROVIDER_KEY: &str = "sk-test-provider-key-0123456789abcdef";

/// A port on 127.0.0.1 that was free a moment ago (nothing listens on it now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Serves `app` on a free 127.0.0.1 port until the returned task is dropped with its owner;
/// the address (`127.0.0.1:PORT`).
pub async fn serve_loopback(app: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

/// The library configuration of an OpenAI provider nothing answers for (connection refused).
pub fn unreachable_provider_toml() -> String {
    format!(
        "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"http://127.0.0.1:{}/v1\"\napi_key = \"sk-x\"\n[retry]\nmax_attempts = 1\n",
        free_port()
    )
}

/// An in-process server.
pub struct TestServer {
    pub base: String,
    /// An admin key (the dev key, or one created for the test).
    pub admin: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts with `toml` (its `[server]` table gets a temporary database unless it names one).
    pub async fn start(toml: &str) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("spark.db");
        let text = if toml.contains("database") {
            toml.to_string()
        } else if toml.contains("[server]") {
            toml.replacen("[server]", &format!("[server]\ndatabase = {:?}", db.display().to_string()), 1)
        } else {
            format!("[server]\ndatabase = {:?}\naccess_log = false\n{toml}", db.display().to_string())
        };
        let loaded = config::load_str(&text, std::iter::empty()).expect("config");
        let mut server = Server::new(loaded).await.expect("server");
        let admin = match server.take_dev_key() {
            Some(k) => k.secret.expose().to_string(),
            None => String::new(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            admin,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a key with `scopes` through the admin API: (the key, its id).
    pub async fn key(&self, caller: &str, scopes: &[&str]) -> (String, String) {
        self.create_key(serde_json::json!({"caller": caller, "scopes": scopes})).await
    }

    /// Creates a key of `tier` with `scopes` through the admin API: the key.
    pub async fn tier_key(&self, caller: &str, tier: &str, scopes: &[&str]) -> String {
        self.create_key(serde_json::json!({"caller": caller, "tier": tier, "scopes": scopes})).await.0
    }

    async fn create_key(&self, spec: serde_json::Value) -> (String, String) {
        let res = self
            .client
            .post(self.url("/v1/admin/keys"))
            .bearer_auth(&self.admin)
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let v: serde_json::Value = res.json().await.unwrap();
        (v["key"].as_str().unwrap().to_string(), v["info"]["id"].as_str().unwrap().to_string())
    }

    /// POSTs JSON with a bearer key.
    pub async fn post(&self, path: &str, key: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(key).json(&body).send().await.unwrap()
    }

    /// Stops serving and waits for the drain to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// The problem body of a response, checking its media type.
pub async fn problem(res: reqwest::Response) -> serde_json::Value {
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(ct.as_deref(), Some("application/problem+json"), "status {}", res.status());
    res.json().await.unwrap()
}

/// A loopback OpenAI-compatible server streaming [`REPLY`] in pieces, `delay` apart.
pub struct MockOpenAi {
    pub base_url: String,
    pub calls: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct MockState {
    delay: Duration,
    status: u16,
    calls: Arc<AtomicUsize>,
}

impl MockOpenAi {
    /// Answers every call with a stream of `pieces` chunks, `delay` apart.
    pub async fn start(delay: Duration) -> MockOpenAi {
        Self::start_with(delay, 200).await
    }

    /// Answers every call with `status` (an error body repeating the key when not 200).
    pub async fn start_with(delay: Duration, status: u16) -> MockOpenAi {
        let calls = Arc::new(AtomicUsize::new(0));
        let state = MockState { delay, status, calls: calls.clone() };
        let app =
            axum::Router::new().route("/v1/chat/completions", axum::routing::post(chat)).with_state(state);
        let (addr, task) = serve_loopback(app).await;
        MockOpenAi { base_url: format!("http://{addr}/v1"), calls, _task: task }
    }

    /// The library configuration pointing at this mock.
    pub fn toml(&self) -> String {
        format!(
            "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}\"\napi_key = \"{PROVIDER_KEY}\"\nmodel = \"gpt-4o-mini\"\n[retry]\nmax_attempts = 1\n",
            self.base_url
        )
    }
}

async fn chat(State(s): State<MockState>) -> axum::response::Response {
    s.calls.fetch_add(1, Ordering::SeqCst);
    if s.status != 200 {
        let body = serde_json::json!({"error": {"message": format!("Incorrect API key provided: {PROVIDER_KEY}"), "type": "invalid_request_error", "code": "invalid_api_key"}});
        return (axum::http::StatusCode::from_u16(s.status).unwrap(), axum::Json(body)).into_response();
    }
    let pieces: Vec<String> = REPLY.split_inclusive('\n').map(str::to_string).collect();
    let n = pieces.len();
    let delay = s.delay;
    let chunks = futures::stream::iter(pieces.into_iter().enumerate()).then(move |(i, text)| async move {
        if i > 0 {
            tokio::time::sleep(delay).await;
        }
        let finish = if i + 1 == n { serde_json::json!("stop") } else { serde_json::Value::Null };
        let chunk = serde_json::json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]});
        Ok::<_, Infallible>(Event::default().data(chunk.to_string()))
    });
    let usage = serde_json::json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
        "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 40, "total_tokens": 60}});
    let tail = futures::stream::iter([
        Ok::<_, Infallible>(Event::default().data(usage.to_string())),
        Ok(Event::default().data("[DONE]")),
    ]);
    Sse::new(chunks.chain(tail)).into_response()
}

/// The real binary, started with a config file in a temporary directory.
pub struct Process {
    pub child: Child,
    pub base: String,
    pub dev_key: Option<String>,
    pub dir: Option<tempfile::TempDir>,
    pub stderr: Arc<std::sync::Mutex<String>>,
}

impl Process {
    /// Starts `spark-server --config <dir>/spark.toml` with `toml` (listening on a free port).
    pub fn start(toml: &str) -> Process {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("spark.db");
        let text =
            format!("[server]\nlisten = \"127.0.0.1:0\"\ndatabase = {:?}\n{toml}", db.display().to_string());
        std::fs::write(dir.path().join("spark.toml"), text).unwrap();
        let mut p = Self::start_in(dir.path());
        p.dir = Some(dir);
        p
    }

    /// Starts with the `spark.toml` already in `dir`.
    pub fn start_in(dir: &std::path::Path) -> Process {
        let path = dir.join("spark.toml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_spark-server"))
            .arg("--config")
            .arg(&path)
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut dev_key, mut base) = (None, None);
        let mut line = String::new();
        while base.is_none() {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("spark-server exited early: {}", stderr.lock().unwrap());
            }
            let l = line.trim();
            if l.starts_with("spk_") {
                dev_key = Some(l.to_string());
            } else if let Some(addr) = l.strip_prefix("listening on ") {
                base = Some(addr.to_string());
            }
        }
        std::thread::spawn(move || {
            let mut sink = String::new();
            while out.read_line(&mut sink).unwrap_or(0) > 0 {}
        });
        Process { child, base: base.unwrap(), dev_key, dir: None, stderr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok =
            Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap().success();
        assert!(ok);
    }

    /// Waits (bounded) for the process to exit; its exit status.
    pub fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let end = std::time::Instant::now() + within;
        while std::time::Instant::now() < end {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `args` against `dir/spark.toml`; (status ok, stdout, stderr).
pub fn run_cli(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spark-server"))
        .arg("--config")
        .arg(dir.join("spark.toml"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads Server-Sent Events from a response: (event name, data) pairs.
pub async fn sse_events(res: reqwest::Response) -> Vec<(String, serde_json::Value)> {
    let text = res.text().await.unwrap();
    parse_sse(&text)
}

pub fn parse_sse(text: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut name = String::from("message");
        let mut data = String::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            out.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    out
}
