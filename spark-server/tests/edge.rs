//! What every response carries and every request is held to: security headers, CORS, problem
//! details, body, depth, header-time and concurrency limits, security.txt, the OpenAPI document.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::common::{MockOpenAi, TestServer, problem};

const SECURITY_HEADERS: [(&str, &str); 7] = [
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("strict-transport-security", "max-age="),
    ("permissions-policy", "camera=()"),
    ("content-security-policy", "frame-ancestors 'none'"),
];

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    for (name, want) in SECURITY_HEADERS {
        let got = res.headers().get(name).unwrap_or_else(|| panic!("{what}: no {name}")).to_str().unwrap();
        assert!(got.contains(want), "{what}: {name}: {got}");
    }
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(res.headers().contains_key("x-request-id"), "{what}");
}

#[tokio::test]
async fn every_response_has_the_security_headers_200_4xx_5xx_404() {
    // The provider is a closed port: generation fails with a 5xx.
    let s = TestServer::start(&crate::common::unreachable_provider_toml()).await;
    let ok = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok, "200");
    let index = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_security_headers(&index, "index");
    let unauth = s.client.post(s.url("/v1/generate")).send().await.unwrap();
    assert_eq!(unauth.status(), 401);
    assert_security_headers(&unauth, "401");
    let missing = s.client.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing, "404");
    assert_eq!(problem(missing).await["code"], "not_found");
    let failed = s.post("/v1/generate", &s.admin, serde_json::json!({"prompt": "a door"})).await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    assert_security_headers(&failed, "5xx");
    let p = problem(failed).await;
    assert_eq!(p["code"], "connection");
    // Authenticated first (an anonymous client learns nothing about methods), then 405.
    let wrong_method = s.client.get(s.url("/v1/generate")).bearer_auth(&s.admin).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_security_headers(&wrong_method, "405");
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let s = TestServer::start("[server.browser]\ncors_origins = [\"https://tools.example.test\"]\n").await;
    let preflight = |origin: &'static str| {
        s.client
            .request(reqwest::Method::OPTIONS, s.url("/v1/generate"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let ok = preflight("https://tools.example.test").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://tools.example.test");
    assert!(ok.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(!ok.headers().contains_key("access-control-allow-credentials"));
    let evil = preflight("https://evil.example.test").await.unwrap();
    assert!(!evil.headers().contains_key("access-control-allow-origin"));
    // Simple requests too, error responses included.
    let res =
        s.client.get(s.url("/healthz")).header("origin", "https://evil.example.test").send().await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    let res = s
        .client
        .post(s.url("/v1/generate"))
        .header("origin", "https://tools.example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["access-control-allow-origin"], "https://tools.example.test");
}

#[tokio::test]
async fn wildcard_origins_never_come_with_credentials() {
    let cfg = "[server.browser]\ncors_origins = [\"*\"]\ncors_credentials = true\n";
    let e = spark_server::config::load_str(cfg, std::iter::empty()).map(|_| ()).unwrap_err();
    assert_eq!(e.field, "server.browser.cors_credentials");
    let e = spark_server::config::load_str(
        "[server.browser]\ncors_origins = [\"https://x.test/path\"]\n",
        std::iter::empty(),
    )
    .unwrap_err();
    assert_eq!(e.field, "server.browser.cors_origins");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_deep_json_400() {
    let s = TestServer::start("[server.limits]\nmax_body_bytes = 1024\nmax_json_depth = 8\n").await;
    let big = serde_json::json!({"prompt": "x".repeat(4096)});
    let res = s.post("/v1/generate", &s.admin, big.clone()).await;
    assert_eq!(res.status(), 413);
    assert_eq!(problem(res).await["code"], "input_too_large");
    // Without a Content-Length (chunked), the limit holds while reading.
    let chunks = futures::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 512])));
    let res = s
        .client
        .post(s.url("/v1/generate"))
        .bearer_auth(&s.admin)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let deep = format!("{{\"prompt\":\"x\",\"model\":{}{}}}", "[".repeat(20), "]".repeat(20));
    let res = s
        .client
        .post(s.url("/v1/generate"))
        .bearer_auth(&s.admin)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("nested deeper"));
    // Unknown fields and wrong types name the field.
    let res = s.post("/v1/generate", &s.admin, serde_json::json!({"prompt": "x", "caller": "mallory"})).await;
    assert_eq!(res.status(), 400);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("caller"));
    let res = s.client.post(s.url("/v1/generate")).bearer_auth(&s.admin).body("{}").send().await.unwrap();
    assert_eq!(res.status(), 415);
}

// Multi-threaded: the test's blocking socket must not stall the server it talks to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_headers_slowly_is_cut_off() {
    let s = TestServer::start("[server.limits]\nheader_timeout_ms = 300\n").await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    // Headers never finish: the server closes the connection (EOF or reset), long before 5 s.
    let closed = match slow.read(&mut buf) {
        Ok(n) => n == 0 || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed && started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    // A normal client on the same server is served.
    assert_eq!(s.client.get(s.url("/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn over_the_concurrency_limit_requests_are_shed_with_retry_after() {
    let mock = MockOpenAi::start(Duration::from_millis(150)).await;
    let s = TestServer::start(&format!(
        "[server.limits]\nmax_concurrent = 1\nretry_after_s = 2\n{}",
        mock.toml()
    ))
    .await;
    // A stream holds the only slot until its last byte.
    let stream = s.post("/v1/generate/stream", &s.admin, serde_json::json!({"prompt": "a spinner"})).await;
    assert_eq!(stream.status(), 200);
    let shed = s
        .post("/v1/validate", &s.admin, serde_json::json!({"source": "class A {}", "file_name": "A.cs"}))
        .await;
    assert_eq!(shed.status(), 503);
    assert_eq!(shed.headers()["retry-after"], "2");
    let p = problem(shed).await;
    assert_eq!(p["code"], "overloaded");
    assert!(p["request_id"].is_string());
    // Probes are never shed.
    assert_eq!(s.client.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    let _ = stream.text().await.unwrap();
    let after = s
        .post("/v1/validate", &s.admin, serde_json::json!({"source": "class A {}", "file_name": "A.cs"}))
        .await;
    assert_eq!(after.status(), 200);
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "spark_http_shed_total 1"), "{metrics}");
}

#[tokio::test]
async fn security_txt_follows_rfc_9116() {
    let s = TestServer::start(
        "[server.security_txt]\ncontact = [\"mailto:security@example.test\"]\npolicy = \"https://example.test/policy\"\n",
    )
    .await;
    let res = s.client.get(s.url("/.well-known/security.txt")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let fields: Vec<(&str, &str)> = text.lines().filter_map(|l| l.split_once(": ")).collect();
    assert_eq!(fields.iter().filter(|(k, _)| *k == "Contact").count(), 1);
    let expires: Vec<&str> = fields.iter().filter(|(k, _)| *k == "Expires").map(|(_, v)| *v).collect();
    assert_eq!(expires.len(), 1, "{text}");
    let when = humantime::parse_rfc3339(expires[0]).unwrap();
    let ahead = when.duration_since(std::time::SystemTime::now()).unwrap();
    // In the future, and no more than a year away (RFC 9116 §2.5.5 recommends less than a year).
    assert!(ahead > Duration::from_secs(300 * 86_400) && ahead <= Duration::from_secs(366 * 86_400));
    // Without a contact there is no file.
    let bare = TestServer::start("").await;
    assert_eq!(bare.client.get(bare.url("/.well-known/security.txt")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let s = TestServer::start("").await;
    let doc: serde_json::Value =
        s.client.get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    // Every documented operation exists: without credentials it is 401, never 404 or 405.
    for (method, path) in &documented {
        let url = s.url(&path.replace("{id}", "0000000000000000"));
        let res = s.client.request(method.parse().unwrap(), url).send().await.unwrap();
        assert!(
            ![404, 405].contains(&res.status().as_u16()) || path.contains("security.txt"),
            "{method} {path}: {}",
            res.status()
        );
    }
    // And every route of the API is documented: this list is what the server answers.
    let served = [
        ("DELETE", "/v1/admin/keys/{id}"),
        ("GET", "/.well-known/security.txt"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
        ("GET", "/v1/admin/keys"),
        ("GET", "/v1/admin/usage"),
        ("GET", "/v1/options"),
        ("GET", "/v1/usage"),
        ("POST", "/v1/admin/keys"),
        ("POST", "/v1/export"),
        ("POST", "/v1/generate"),
        ("POST", "/v1/generate/stream"),
        ("POST", "/v1/validate"),
    ];
    let served: Vec<(String, String)> = served.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, served);
    // An undocumented path is 404.
    assert_eq!(s.client.get(s.url("/v1/secret-admin")).send().await.unwrap().status(), 404);
    // Every operation under /v1 declares the bearer scheme.
    for (method, path) in &documented {
        if path.starts_with("/v1/") {
            let op = &paths[path][method.to_lowercase()];
            assert!(op["security"][0]["bearer"].is_array(), "{method} {path}");
        }
    }
}

/// A program from the workspace's venv or PATH, or `None` with the reason printed (setup.sh
/// installs both in CI).
fn tool(venv_python_module: Option<&str>, binary: &str) -> Option<std::process::Command> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    if let Some(module) = venv_python_module {
        let py = root.join(".venv/bin/python");
        let ok = py.is_file()
            && std::process::Command::new(&py)
                .args(["-c", &format!("import {module}")])
                .status()
                .is_ok_and(|s| s.success());
        if ok {
            let mut c = std::process::Command::new(py);
            c.args(["-m", module]);
            return Some(c);
        }
    } else if let Some(p) = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(binary)).find(|p| p.is_file()))
    {
        return Some(std::process::Command::new(p));
    }
    eprintln!("SKIPPED: {binary} not found (scripts/setup.sh installs it)");
    None
}

#[tokio::test]
async fn the_openapi_document_passes_a_real_validator() {
    let s = TestServer::start("").await;
    let doc = s.client.get(s.url("/openapi.json")).send().await.unwrap().text().await.unwrap();
    let Some(mut cmd) = tool(Some("openapi_spec_validator"), "openapi-spec-validator") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, doc).unwrap();
    let out = cmd.arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_metrics_text_passes_promtool() {
    let s = TestServer::start("").await;
    assert_eq!(s.post("/v1/generate", &s.admin, serde_json::json!({"prompt": "a door"})).await.status(), 200);
    let _ = s.client.get(s.url("/nope")).send().await.unwrap();
    let text = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains("spark_http_requests_total{route=\"/v1/generate\",method=\"POST\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\",method=\"GET\",status=\"404\"} 1"));
    assert!(text.contains("spark_requests_total"));
    let Some(mut cmd) = tool(None, "promtool") else { return };
    let mut child = cmd
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    // promtool exits 0 on lint-clean text; 3 means lint warnings only, 1 a parse error.
    assert!(out.status.code() != Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let lint = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!lint.contains("spark_http"), "{lint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start("[server.limits]\nbody_timeout_ms = 300\n").await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"source\":",
        s.admin
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = conn.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if String::from_utf8_lossy(&buf).contains("\"code\"") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 5 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json") && text.contains("\"code\":\"timeout\""), "{text}");
}
