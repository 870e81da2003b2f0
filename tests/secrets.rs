//! Secrets never print: every public config, client, error, result and event type is formatted
//! (`Debug`, pretty `Debug`, `Display` where it exists, JSON where it serializes) with every secret
//! set, on the success path and on the failure paths that are most tempted to echo a key (an
//! upstream that repeats the key in its error body, a URL with a password), and with every
//! `tracing` event of the request captured at TRACE level. None of the secrets' text may appear.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use spark_core::guard::signing::{MemoryNonceStore, RequestSigner, RequestVerifier};
use spark_core::{Anthropic, ApiKey, GenerateRequest, KeySpec, OpenAi, Period, Spark, SparkConfig};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OPENAI_KEY: &str = "sk-proj-SECRET0penai0key0000000000001";
const ANTHROPIC_KEY: &str = "sk-ant-api03-SECRETanthropic0key000002";
const SIGNING_KEY: &str = "SECRET-signing-key-at-least-32-bytes-0003";
const URL_PASSWORD: &str = "SECRETurlPassw0rd0004";
const SENTRY_KEY: &str = "SECRETsentry0key0005";
/// A fragment every secret above shares, so one search finds any of them, even cut short.
const MARK: &str = "SECRET";

fn assert_clean(what: &str, text: &str) {
    for s in [OPENAI_KEY, ANTHROPIC_KEY, SIGNING_KEY, URL_PASSWORD, SENTRY_KEY, MARK] {
        assert!(!text.contains(s), "{what} shows secret text {s:?}:\n{text}");
    }
}

/// Formats `value` every way a host might print it and checks the text.
fn check<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_json<T: serde::Serialize + std::fmt::Debug>(what: &str, value: &T) {
    check(what, value);
    assert_clean(what, &serde_json::to_string(value).unwrap());
}

fn config_text(openai_url: &str, anthropic_url: &str, ledger: &std::path::Path) -> String {
    format!(
        r#"
[providers]
order = ["openai", "anthropic"]
[openai]
api_key = "{OPENAI_KEY}"
base_url = "{openai_url}/v1"
model = "gpt-test"
[anthropic]
api_key = "{ANTHROPIC_KEY}"
base_url = "{anthropic_url}"
model = "claude-test"
[repair]
max_rounds = 0
[retry]
max_attempts = 1
[ledger]
path = "{}"
[budget]
global_daily_usd = 100.0
[telemetry]
sentry_dsn = "http://{SENTRY_KEY}@127.0.0.1:9/1"
"#,
        ledger.display()
    )
}

fn openai_reply(text: &str) -> serde_json::Value {
    json!({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-test",
        "choices":[{"index":0,"message":{"role":"assistant","content":text},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}})
}

const SCRIPT: &str = "```csharp\n// File: Spinner.cs\nusing UnityEngine;\n\npublic class Spinner : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```";

/// A `tracing` writer that keeps everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[test]
fn no_secret_in_any_printed_form() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // Current-thread runtime: every task of the request runs on this thread, under this subscriber.
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run())
    });
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The failing providers log their fallback with the upstream's error: the capture must have
    // seen SPARK's own events, or the check below proves nothing.
    assert!(logs.contains("spark_core::"), "the capture saw no SPARK event:\n{logs}");
    assert_clean("tracing output", &logs);
}

async fn run() {
    let ok = MockServer::start().await;
    // The mock answers only when the real key was sent: the key must reach the wire, nowhere else.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {OPENAI_KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_reply(SCRIPT)))
        .mount(&ok)
        .await;
    // An upstream that repeats the key it was given in its error bodies.
    let echo = MockServer::start().await;
    for (route, key) in [("/v1/messages", ANTHROPIC_KEY), ("/v1/chat/completions", OPENAI_KEY)] {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "type": "error",
                "error": {"type": "authentication_error", "message": format!("Incorrect API key provided: {key}")}
            })))
            .mount(&echo)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.db");

    // Config: every way of printing it, and the client built from it.
    let config = SparkConfig::from_toml_str(&config_text(&ok.uri(), &echo.uri(), &ledger)).unwrap();
    check_json("SparkConfig", &config);
    let spark = Spark::from_config(config.clone()).unwrap();
    check("Spark", &spark);
    check_json("Spark::config", spark.config());
    check("OpenAi", &OpenAi::new(config.openai.clone(), &config.timeouts).unwrap());
    check("Anthropic", &Anthropic::new(config.anthropic.clone(), &config.timeouts).unwrap());
    check("provider_status", &spark.provider_status());

    // Success: the result, its JSON, every stream event, the ledger and its export.
    let result = spark.generate(GenerateRequest::new("a spinning cube").caller("studio-a")).await.unwrap();
    assert_eq!(result.files.len(), 1, "the mock was not reached with the key: {result:?}");
    check_json("GeneratedScripts", &result);
    let mut stream = spark.generate_stream(GenerateRequest::new("a spinning cube").no_cache());
    while let Some(event) = stream.next().await {
        match event {
            Ok(e) => check_json("StreamEvent", &e),
            Err(e) => panic!("stream failed: {e}"),
        }
    }
    let usage = spark.usage(None, Period::Day).await.unwrap();
    check_json("UsageTotals", &usage);
    assert_clean("export_usage", &spark.export_usage(None, Period::Day).await.unwrap().to_string());

    // Failure: both providers answer 401 and repeat the key in the body.
    let mut failing = config.clone();
    failing.openai.base_url = format!("{}/v1", echo.uri());
    failing.ledger.path = None;
    failing.ledger.enabled = Some(false);
    failing.budget = Default::default();
    for order in [["openai", "anthropic"], ["anthropic", "openai"]] {
        failing.providers.order = order.iter().map(|s| s.to_string()).collect();
        let spark = Spark::from_config(failing.clone()).unwrap();
        let err = spark.generate(GenerateRequest::new("a spinning cube")).await.unwrap_err();
        check("Error", &err);
        assert_clean("Error (Display)", &err.to_string());
        let mut stream = spark.generate_stream(GenerateRequest::new("a spinning cube"));
        while let Some(event) = stream.next().await {
            match event {
                Ok(e) => check_json("StreamEvent", &e),
                Err(e) => {
                    check("stream Error", &e);
                    assert_clean("stream Error (Display)", &e.to_string());
                }
            }
        }
    }
    assert!(!echo.received_requests().await.unwrap().is_empty(), "the echoing upstream was never called");

    // A password in a provider URL is refused at load, and the refusal does not repeat it.
    let bad = config_text(&ok.uri(), &format!("http://user:{URL_PASSWORD}@127.0.0.1:9"), &ledger);
    let err = SparkConfig::from_toml_str(&bad).unwrap_err();
    check("config Error", &err);
    assert_clean("config Error (Display)", &err.to_string());
    // A key the HTTP header cannot carry is refused without being repeated.
    let mut bad = config.clone();
    bad.openai.api_key = Some(ApiKey::new(format!("{OPENAI_KEY}\n")));
    if let Err(err) = Spark::from_config(bad) {
        assert_clean("key Error (Display)", &format!("{err} {err:?}"));
    }

    // An OTLP endpoint with a password is refused without repeating it.
    let mut bad = config.clone();
    bad.telemetry.otlp_endpoint = Some(format!("http://user:{URL_PASSWORD}@127.0.0.1:4318"));
    let err = bad.validate().unwrap_err();
    assert_clean("otlp Error", &format!("{err} {err:?}"));

    // Caller keys: the created key is shown once, by `secret.expose()`, and nowhere else.
    let created = spark.keys().create(KeySpec::new("studio-a").scopes(["generate"])).await.unwrap();
    let key = created.secret.expose().to_string();
    let info = spark.verify_key(&key).await.unwrap();
    // The last digit changed (never to itself: 1 key in 16 ends in `0`).
    let forged = format!("{}{}", &key[..key.len() - 1], if key.ends_with('0') { '1' } else { '0' });
    let wrong = spark.verify_key(&forged).await.unwrap_err();
    let listed = spark.keys().list().await.unwrap();
    let secret_part = key.rsplit('_').next().unwrap().to_string();
    for (what, text) in [
        ("CreatedKey", format!("{created:?} {created:#?}")),
        ("KeyInfo", format!("{info:?} {}", serde_json::to_string(&info).unwrap())),
        ("key list", format!("{listed:?}")),
        ("key Error", format!("{wrong} {wrong:?}")),
    ] {
        assert!(!text.contains(&secret_part), "{what} shows the caller key's secret:\n{text}");
        assert_clean(what, &text);
    }

    // Signing keys.
    let signer = RequestSigner::new("k1", ApiKey::new(SIGNING_KEY)).unwrap();
    check("RequestSigner", &signer);
    let headers = signer.sign("POST", "/v1/generate", b"{}").unwrap();
    check("SignedHeaders", &headers);
    let verifier = RequestVerifier::with_store(
        [("k1".to_string(), ApiKey::new(SIGNING_KEY))],
        Duration::from_secs(60),
        Arc::new(MemoryNonceStore::new(16)),
    );
    check("RequestVerifier", &verifier);
    let forged = RequestSigner::new("k1", ApiKey::new(format!("{SIGNING_KEY}-wrong"))).unwrap();
    let bad = forged.sign("POST", "/v1/generate", b"{}").unwrap();
    let err = verifier.verify("POST", "/v1/generate", &bad, b"{}").await.unwrap_err();
    check("SignatureError", &err);
    assert_clean("SignatureError (Display)", &err.to_string());
}
