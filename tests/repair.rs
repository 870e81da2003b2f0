//! The generate → validate → repair loop, driven through `Spark::generate` by a scripted provider
//! that answers from a queue, counts its calls and records the messages it received.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use spark_core::provider::{Completion, CompletionRequest, Message, ProviderStream, Role, StopReason, Usage};
use spark_core::{
    Error, ErrorCode, GenerateRequest, Provider, ProviderError, ProviderErrorKind, Spark, SparkConfig,
};

enum Reply {
    Text(&'static str, Usage),
    Fail(ProviderErrorKind),
}

#[derive(Clone, Default)]
struct Scripted {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Vec<Message>>>>,
}

impl Scripted {
    fn new(replies: Vec<Reply>) -> Self {
        Scripted { replies: Arc::new(Mutex::new(replies.into())), received: Arc::default() }
    }

    fn calls(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn request(&self, i: usize) -> Vec<Message> {
        self.received.lock().unwrap()[i].clone()
    }
}

#[async_trait]
impl Provider for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn default_model(&self) -> &str {
        "scripted-1"
    }

    async fn complete(&self, request: &CompletionRequest) -> spark_core::Result<Completion> {
        self.received.lock().unwrap().push(request.messages.clone());
        let next = self.replies.lock().unwrap().pop_front();
        match next {
            Some(Reply::Text(text, usage)) => Ok(Completion {
                text: text.to_string(),
                usage,
                stop_reason: Some(StopReason::EndTurn),
                provider: "scripted".into(),
                model: "scripted-1".into(),
                request_id: None,
                cached: false,
            }),
            Some(Reply::Fail(kind)) => {
                Err(Error::Provider(Box::new(ProviderError::new("scripted", kind, "scripted failure"))))
            }
            None => panic!("scripted provider called more often than scripted"),
        }
    }

    async fn stream(&self, request: &CompletionRequest) -> spark_core::Result<ProviderStream> {
        Ok(self.complete(request).await?.into_stream())
    }
}

fn u(input: u64, output: u64) -> Usage {
    Usage::new(input, output)
}

/// Two blocking errors: a missing `;` and an unclosed method.
const BROKEN_TWO: &str = "### Mover.cs\n```csharp\nusing UnityEngine;\n\npublic class Mover : MonoBehaviour\n{\n    private void Update()\n    {\n        transform.Translate(0f, 0f, Time.deltaTime)\n    }\n\n    private void Stop()\n    {\n        enabled = false;\n\n}\n```\n";
/// One blocking error: the class name does not match the file.
const BROKEN_ONE: &str = "### Mover.cs\n```csharp\nusing UnityEngine;\n\npublic class Mover2 : MonoBehaviour\n{\n    private void Update()\n    {\n        transform.Translate(0f, 0f, Time.deltaTime);\n    }\n}\n```\n";
const FIXED: &str = "### Mover.cs\n```csharp\nusing UnityEngine;\n\npublic class Mover : MonoBehaviour\n{\n    private void Update()\n    {\n        transform.Translate(0f, 0f, Time.deltaTime);\n    }\n}\n```\n";
/// One (different) blocking error: a security finding.
const OTHER_ONE: &str = "### Mover.cs\n```csharp\nusing UnityEngine;\n\npublic class Mover : MonoBehaviour\n{\n    private void Start()\n    {\n        System.Diagnostics.Process.Start(\"calc\");\n    }\n}\n```\n";

fn spark(p: &Scripted, rounds: u32) -> Spark {
    let mut cfg = SparkConfig::default();
    cfg.repair.max_rounds = rounds;
    Spark::builder().provider(p.clone()).config(cfg).build().unwrap()
}

fn req() -> GenerateRequest {
    GenerateRequest::new("a mover").no_cache()
}

#[tokio::test]
async fn broken_then_fixed_by_the_first_repair() {
    let p = Scripted::new(vec![Reply::Text(BROKEN_TWO, u(100, 50)), Reply::Text(FIXED, u(180, 40))]);
    let out = spark(&p, 3).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 2, "stops as soon as the code is clean");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(out.files[0].content, FIXED.split("```csharp\n").nth(1).unwrap().trim_end_matches("```\n"));
    assert_eq!(out.rounds.len(), 2);
    let (r0, r1) = (&out.rounds[0], &out.rounds[1]);
    assert_eq!((r0.round, r0.blocking, r0.usage, r0.kept), (0, 2, u(100, 50), false));
    assert!(r0.diagnostics_before.is_empty());
    let rules: Vec<&str> = r0.diagnostics_after.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(rules, vec!["SPK0002", "SPK0003"], "{:#?}", r0.diagnostics_after);
    assert_eq!(r1.diagnostics_before, r0.diagnostics_after);
    assert!(r1.diagnostics_after.is_empty());
    assert_eq!(
        (r1.round, r1.blocking, r1.usage, r1.kept, r1.error.as_deref()),
        (1, 0, u(180, 40), true, None)
    );
    assert_eq!(out.usage, u(280, 90));

    // The repair request: the original turn, the broken reply as the assistant, then the prompt
    // listing every blocking diagnostic like a compiler.
    let sent = p.request(1);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0], p.request(0)[0]);
    assert_eq!((sent[1].role, sent[1].content.as_str()), (Role::Assistant, BROKEN_TWO));
    assert_eq!(sent[2].role, Role::User);
    for d in &r0.diagnostics_after {
        assert!(sent[2].content.contains(&d.to_string()), "{}", sent[2].content);
    }
    assert!(sent[2].content.contains("Mover.cs:7:52: error[SPK0002]: expected `;`"), "{}", sent[2].content);
}

#[tokio::test]
async fn broken_then_fixed_in_round_two() {
    let p = Scripted::new(vec![
        Reply::Text(BROKEN_TWO, u(100, 50)),
        Reply::Text(BROKEN_ONE, u(150, 45)),
        Reply::Text(FIXED, u(170, 40)),
    ]);
    let out = spark(&p, 5).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 3);
    assert!(out.diagnostics.is_empty());
    let summary: Vec<(u32, usize, usize, bool)> =
        out.rounds.iter().map(|r| (r.round, r.diagnostics_before.len(), r.blocking, r.kept)).collect();
    assert_eq!(summary, vec![(0, 0, 2, false), (1, 2, 1, false), (2, 1, 0, true)]);
    assert_eq!(out.rounds[2].diagnostics_before[0].rule, "SPK1001");
    assert_eq!(
        out.rounds.iter().map(|r| r.usage).collect::<Vec<_>>(),
        vec![u(100, 50), u(150, 45), u(170, 40)]
    );
    assert_eq!(out.usage, u(420, 135));
    // Round 2 repairs round 1's code, not the first reply's.
    assert_eq!(p.request(2)[1].content, BROKEN_ONE);
}

#[tokio::test]
async fn improving_but_never_clean_stops_at_the_bound() {
    let p = Scripted::new(vec![
        Reply::Text(BROKEN_TWO, u(10, 10)),
        Reply::Text(BROKEN_ONE, u(20, 10)),
        Reply::Text(FIXED, u(30, 10)),
    ]);
    let out = spark(&p, 1).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 2, "max_rounds = 1 allows one repair");
    assert_eq!(out.rounds.len(), 2);
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].rule, "SPK1001");
    assert!(out.rounds[1].kept);
    assert_eq!(out.usage, u(30, 20));
}

#[tokio::test]
async fn never_improving_stops_and_keeps_the_best_round() {
    // Round 1 is not better (same count), so the loop stops although rounds are left; the first
    // reply, the best, is returned.
    let p = Scripted::new(vec![
        Reply::Text(BROKEN_ONE, u(100, 10)),
        Reply::Text(OTHER_ONE, u(120, 11)),
        Reply::Text(FIXED, u(1, 1)),
    ]);
    let out = spark(&p, 4).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 2);
    assert_eq!(out.rounds.len(), 2);
    assert!(out.rounds[0].kept && !out.rounds[1].kept);
    assert_eq!(out.rounds[1].blocking, 1);
    assert_eq!(out.rounds[1].diagnostics_after[0].rule, "SPK2001");
    assert_eq!(out.diagnostics[0].rule, "SPK1001");
    assert!(out.raw.contains("Mover2"));
    assert_eq!(out.usage, u(220, 21), "usage counts the discarded round too");

    // Worse replies are never kept either.
    let p = Scripted::new(vec![Reply::Text(BROKEN_ONE, u(1, 1)), Reply::Text(BROKEN_TWO, u(1, 1))]);
    let out = spark(&p, 4).generate(req()).await.unwrap();
    assert_eq!((p.calls(), out.rounds[0].kept, out.rounds[1].blocking), (2, true, 2));
    assert_eq!(out.diagnostics.len(), 1);
}

#[tokio::test]
async fn no_repair_when_clean_or_disabled() {
    let p = Scripted::new(vec![Reply::Text(FIXED, u(5, 5))]);
    let out = spark(&p, 3).generate(req()).await.unwrap();
    assert_eq!((p.calls(), out.rounds.len()), (1, 1));
    assert!(out.rounds[0].kept);

    let p = Scripted::new(vec![Reply::Text(BROKEN_TWO, u(5, 5))]);
    let out = spark(&p, 0).generate(req()).await.unwrap();
    assert_eq!((p.calls(), out.rounds.len(), out.diagnostics.len()), (1, 1, 2));
    // The per-request override wins over the configuration.
    let p = Scripted::new(vec![Reply::Text(BROKEN_TWO, u(5, 5)), Reply::Text(FIXED, u(5, 5))]);
    let out = spark(&p, 0).generate(req().repair_rounds(1)).await.unwrap();
    assert_eq!((p.calls(), out.diagnostics.len()), (2, 0));
}

#[tokio::test]
async fn warnings_do_not_trigger_repair_unless_the_policy_says_so() {
    const WARN: &str = "### Mover.cs\n```csharp\nusing UnityEngine;\n\npublic class Mover : MonoBehaviour\n{\n    private void Update()\n    {\n        if (tag == \"Enemy\") enabled = false;\n    }\n}\n```\n";
    let p = Scripted::new(vec![Reply::Text(WARN, u(1, 1))]);
    let out = spark(&p, 3).generate(req()).await.unwrap();
    assert_eq!((p.calls(), out.diagnostics.len()), (1, 1));

    let p = Scripted::new(vec![Reply::Text(WARN, u(1, 1)), Reply::Text(FIXED, u(1, 1))]);
    let mut cfg = SparkConfig::default();
    cfg.validation.block_on = spark_core::Severity::Warning;
    let s = Spark::builder().provider(p.clone()).config(cfg).build().unwrap();
    let out = s.generate(req()).await.unwrap();
    assert_eq!((p.calls(), out.diagnostics.len()), (2, 0));
    assert!(p.request(1)[2].content.contains("warning[SPK1005]"));
}

#[tokio::test]
async fn missing_code_is_asked_for_again() {
    let p = Scripted::new(vec![
        Reply::Text("Sure! Here is how you could do it in words.", u(3, 3)),
        Reply::Text(FIXED, u(4, 4)),
    ]);
    let out = spark(&p, 2).generate(req()).await.unwrap();
    assert_eq!(out.rounds[0].files, 0);
    assert!(p.request(1)[2].content.contains("no C# code block"));
    assert!(out.diagnostics.is_empty());

    let p = Scripted::new(vec![Reply::Text("no code", u(1, 1)), Reply::Text("still none", u(1, 1))]);
    let e = spark(&p, 2).generate(req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoCode);
}

#[tokio::test]
async fn fail_on_blocking_returns_the_remaining_diagnostics() {
    let p = Scripted::new(vec![Reply::Text(BROKEN_ONE, u(1, 1)), Reply::Text(BROKEN_ONE, u(1, 1))]);
    let mut cfg = SparkConfig::default();
    cfg.validation.fail_on_blocking = true;
    let s = Spark::builder().provider(p.clone()).config(cfg).build().unwrap();
    match s.generate(req()).await.unwrap_err() {
        Error::ValidationFailed { diagnostics } => {
            assert_eq!(diagnostics.len(), 1);
            assert_eq!(diagnostics[0].rule, "SPK1001");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failing_repair_call_keeps_the_best_round() {
    let p = Scripted::new(vec![Reply::Text(BROKEN_ONE, u(7, 7)), Reply::Fail(ProviderErrorKind::BadRequest)]);
    let out = spark(&p, 3).generate(req()).await.unwrap();
    assert_eq!(out.rounds.len(), 2);
    assert!(out.rounds[0].kept);
    assert!(
        out.rounds[1].error.as_deref().is_some_and(|e| e.contains("scripted failure")),
        "{:?}",
        out.rounds[1]
    );
    assert_eq!(out.usage, u(7, 7));
    assert_eq!(out.diagnostics.len(), 1);
}

#[tokio::test]
async fn streaming_reports_repair_rounds() {
    use futures::StreamExt;
    let p = Scripted::new(vec![Reply::Text(BROKEN_TWO, u(1, 1)), Reply::Text(FIXED, u(1, 1))]);
    let events: Vec<_> = spark(&p, 2).generate_stream(req()).collect().await;
    let events: Vec<spark_core::StreamEvent> = events.into_iter().map(Result::unwrap).collect();
    assert!(events.iter().any(|e| matches!(e, spark_core::StreamEvent::Repairing { round: 1 })));
    let Some(spark_core::StreamEvent::Done { result }) = events.last() else { panic!("no Done") };
    assert!(result.diagnostics.is_empty());
    assert_eq!(result.rounds.len(), 2);
}

#[test]
fn repair_prompt_is_bounded() {
    let d = spark_core::validate::validate_source(
        &"class A { void M() { int x = 1 int y = 2 } }\n".repeat(100),
        "A.cs",
        &Default::default(),
    );
    assert!(d.len() > spark_core::repair::MAX_PROMPT_DIAGNOSTICS);
    let files = vec![spark_core::ScriptFile { path: "A.cs".into(), content: String::new(), raw_path: None }];
    let c = Completion {
        text: String::new(),
        usage: Usage::default(),
        stop_reason: Some(StopReason::MaxTokens),
        provider: "x".into(),
        model: "y".into(),
        request_id: None,
        cached: false,
    };
    let prompt = spark_core::repair::repair_prompt(&files, &d, &c);
    assert_eq!(prompt.matches("error[SPK").count(), spark_core::repair::MAX_PROMPT_DIAGNOSTICS);
    assert!(prompt.contains("more"));
    assert!(prompt.contains("cut off"));
}

/// Two files that both declare `Inventory`: the generated set is validated as one project.
const DUPLICATE_TYPE: &str = "### Inventory.cs\n```csharp\nusing System.Collections.Generic;\n\npublic class Inventory\n{\n    public List<string> items = new List<string>();\n}\n```\n\n### Shop.cs\n```csharp\npublic class Inventory\n{\n}\n\npublic class Shop\n{\n}\n```\n";
const DEDUPLICATED: &str = "### Inventory.cs\n```csharp\nusing System.Collections.Generic;\n\npublic class Inventory\n{\n    public List<string> items = new List<string>();\n}\n```\n\n### Shop.cs\n```csharp\npublic class Shop\n{\n    public Inventory stock = new Inventory();\n}\n```\n";

#[tokio::test]
async fn a_type_two_generated_files_declare_is_repaired() {
    let p = Scripted::new(vec![Reply::Text(DUPLICATE_TYPE, u(10, 5)), Reply::Text(DEDUPLICATED, u(20, 5))]);
    let out = spark(&p, 2).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 2);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let first = &out.rounds[0].diagnostics_after;
    let at: Vec<(&str, &str, u32, u32)> =
        first.iter().map(|d| (d.rule.as_str(), d.file.as_str(), d.line, d.column)).collect();
    assert_eq!(at, [("SPK1027", "Shop.cs", 1, 14)], "{first:#?}");
    assert!(p.request(1)[2].content.contains("Shop.cs:1:14: error[SPK1027]"), "{}", p.request(1)[2].content);
}
