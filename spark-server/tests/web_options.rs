//! The web app's request options (provider, Unity version) and its messages for a spent budget
//! and a busy server, in a real Chromium (the harness is in `web.rs`).

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::common::TestServer;
use crate::web::{Browser, ENTER, ONE_BROWSER, SlowProvider, type_prompt};

async fn wait_done(b: &Browser) {
    b.until("done", Duration::from_secs(15), "document.getElementById('status').dataset.state === 'done'")
        .await;
}

async fn choose(b: &Browser, id: &str, value: &str) {
    let select = b.client.find(Locator::Id(id)).await.unwrap();
    select.select_by_value(value).await.unwrap();
}

#[tokio::test]
async fn the_provider_and_unity_version_chosen_reach_the_server_and_are_remembered() {
    let _one = ONE_BROWSER.lock().await;
    let provider = SlowProvider::start(Duration::ZERO).await;
    let toml = provider.toml("").replace("order = [\"openai\"]", "order = [\"openai\", \"offline\"]");
    let s = TestServer::start(&toml).await;
    let Some(b) = Browser::start().await else { return };
    b.sign_in(&s.base, &s.admin).await;
    // The choices come from GET /v1/options: the chain in order, the Unity versions offered.
    let providers = b
        .until(
            "the provider choices",
            Duration::from_secs(10),
            "document.getElementById('provider').options.length === 3 && [...document.getElementById('provider').options].map(o => o.value)",
        )
        .await;
    assert_eq!(providers, json!(["", "openai", "offline"]));
    let versions = b.js("return [...document.getElementById('unity').options].map(o => o.value)").await;
    assert!(versions.as_array().unwrap().contains(&json!("6000.0")), "{versions}");
    let default_label = b.js("return document.getElementById('unity').options[0].textContent").await;
    assert_eq!(default_label, "Server default (2022.3)");

    // The offline scaffold, chosen: the OpenAI-compatible server is not asked.
    choose(&b, "provider", "offline").await;
    type_prompt(&b, "a rotating pickup").await;
    b.keys(ENTER).await;
    wait_done(&b).await;
    assert_eq!(provider.calls.load(std::sync::atomic::Ordering::SeqCst), 0);

    // The OpenAI-compatible server and Unity 6: the model is told which Unity to write for.
    choose(&b, "provider", "openai").await;
    choose(&b, "unity", "6000.0").await;
    b.client.find(Locator::Id("generate")).await.unwrap().click().await.unwrap();
    wait_done(&b).await;
    let systems = provider.systems.lock().unwrap().clone();
    assert_eq!(systems.len(), 1, "{systems:?}");
    assert!(systems[0].contains("Unity 6000.0"), "{}", systems[0]);

    // A reload keeps both choices; a history entry brings its options back.
    b.client.refresh().await.unwrap();
    b.until(
        "the choices again",
        Duration::from_secs(10),
        "document.getElementById('provider').options.length === 3",
    )
    .await;
    let kept = b
        .js("return [document.getElementById('provider').value, document.getElementById('unity').value]")
        .await;
    assert_eq!(kept, json!(["openai", "6000.0"]));
    choose(&b, "provider", "").await;
    choose(&b, "unity", "").await;
    let entries = b.js("return document.querySelectorAll('#history button').length").await;
    assert_eq!(entries, 1, "one prompt, asked twice, is one history entry");
    b.client.find(Locator::Css("#history button")).await.unwrap().click().await.unwrap();
    let restored = b
        .js("return [document.getElementById('prompt').value, document.getElementById('provider').value, document.getElementById('unity').value]")
        .await;
    assert_eq!(restored, json!(["a rotating pickup", "openai", "6000.0"]));
    b.assert_clean().await;
    b.close().await;
}

#[tokio::test]
async fn a_spent_budget_and_a_busy_server_are_explained() {
    let _one = ONE_BROWSER.lock().await;
    // Streams a line every 150 ms: one generation holds the server's only slot for ~2.5 s.
    let provider = SlowProvider::start(Duration::from_millis(150)).await;
    // Output at $10,000 per million tokens and at most 50 of them: a call may cost $0.50 and
    // this one costs $0.40 (40 tokens). A $0.60 day admits one call, not two. (The estimate takes
    // the larger of the providers' limits, so Anthropic's is lowered too.)
    let toml = provider
        .toml(
            "[pricing.\"gpt-4o-mini\"]\ninput_per_mtok = 0.0\noutput_per_mtok = 10000.0\n\
             [anthropic]\nmax_tokens = 50\n[tiers.tiny]\ndaily_usd = 0.6\n[cache]\nenabled = false\n\
             [server.limits]\nmax_concurrent = 1\nretry_after_s = 7\n",
        )
        .replace("model = \"gpt-4o-mini\"", "model = \"gpt-4o-mini\"\nmax_tokens = 50");
    let s = TestServer::start(&toml).await;
    let key = s.tier_key("jam-team", "tiny", &["generate", "export"]).await;
    let Some(b) = Browser::start().await else { return };
    b.sign_in(&s.base, &key).await;

    // The first generation spends more than the day's budget; the next is refused.
    type_prompt(&b, "a door that opens").await;
    b.keys(ENTER).await;
    wait_done(&b).await;
    b.client.find(Locator::Id("generate")).await.unwrap().click().await.unwrap();
    let code = b
        .until(
            "the budget message",
            Duration::from_secs(10),
            "document.getElementById('message').dataset.code",
        )
        .await;
    assert_eq!(code, "quota_exceeded");
    let text = b.js("return document.getElementById('message').textContent").await;
    assert!(text.as_str().unwrap().contains("budget is used up"), "{text}");

    // Another client holds the only slot: the page says the server is busy and when to retry.
    let hold = {
        let (client, url, admin) = (s.client.clone(), s.url("/v1/generate"), s.admin.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(admin)
                .json(&json!({"prompt": "a slow one"}))
                .send()
                .await
                .map(|r| r.status())
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    b.js("document.getElementById('message').dataset.code = ''; return 1").await;
    b.client.find(Locator::Id("generate")).await.unwrap().click().await.unwrap();
    let code = b
        .until("the busy message", Duration::from_secs(10), "document.getElementById('message').dataset.code")
        .await;
    assert_eq!(code, "overloaded");
    let text = b.js("return document.getElementById('message').textContent").await;
    assert!(text.as_str().unwrap().contains("busy or restarting. Try again in 7 seconds."), "{text}");
    assert_eq!(hold.await.unwrap().unwrap(), 200);
    b.assert_clean().await;
    b.close().await;
}
