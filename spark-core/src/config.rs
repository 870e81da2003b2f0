//! `SparkConfig`: every setting, from a TOML file, JSON, and `SPARK_*` environment variables,
//! validated at load with an error that names the bad field.
//!
//! Environment overrides use a double underscore between section and field:
//! `SPARK_OPENAI__BASE_URL=http://127.0.0.1:11434/v1`, `SPARK_CACHE__ENABLED=false`,
//! `SPARK_PROVIDERS__ORDER=openai,offline`. Values are read as TOML (numbers, booleans, arrays)
//! and fall back to plain strings.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::ApiKey;

/// The whole configuration. `SparkConfig::default()` is safe for production.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SparkConfig {
    /// Which providers to use, in fallback order.
    pub providers: ProvidersConfig,
    /// Anthropic Messages API settings.
    pub anthropic: AnthropicConfig,
    /// OpenAI (and OpenAI-compatible) Chat Completions settings.
    pub openai: OpenAiConfig,
    /// Prompt and generation settings shared by all providers.
    pub generation: GenerationConfig,
    /// Input size limits.
    pub limits: LimitsConfig,
    /// Per-caller rate limits and admission control.
    pub rate_limit: RateLimitConfig,
    /// Validation policy (which severities block, which rules are off).
    pub validation: crate::validate::ValidationConfig,
    /// The repair loop.
    pub repair: crate::repair::RepairConfig,
    /// Retries with capped exponential backoff.
    pub retry: crate::resilience::RetryConfig,
    /// Circuit breaker per provider.
    pub breaker: crate::resilience::BreakerConfig,
    /// Connect, first-token, idle and total deadlines.
    pub timeouts: crate::resilience::TimeoutConfig,
    /// Response cache.
    pub cache: crate::cache::CacheConfig,
    /// Export defaults.
    pub export: crate::export::ExportConfig,
    /// Prices per model in USD per million tokens, added to the built-in table.
    pub pricing: BTreeMap<String, ModelPrice>,
}

/// Provider selection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvidersConfig {
    /// Provider names in fallback order: `anthropic`, `openai`, `offline`.
    ///
    /// Empty (the default) means: every provider whose key is set (Anthropic first), and the
    /// offline scaffold when none is. A listed provider without a key is a configuration error.
    #[serde(deserialize_with = "one_or_many")]
    pub order: Vec<String>,
}

/// Anthropic Messages API settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnthropicConfig {
    /// API key; when absent, `ANTHROPIC_API_KEY` is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// Base URL without `/v1/messages`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// `max_tokens` sent with each request.
    pub max_tokens: u32,
    /// Sampling temperature (0–1); `None` leaves the provider default.
    pub temperature: Option<f32>,
    /// `anthropic-version` header.
    pub version: String,
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        AnthropicConfig {
            api_key: None,
            base_url: "https://api.anthropic.com".into(),
            model: "claude-sonnet-4-5".into(),
            max_tokens: 8192,
            temperature: Some(0.2),
            version: "2023-06-01".into(),
        }
    }
}

/// OpenAI Chat Completions settings; any OpenAI-compatible server works through `base_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAiConfig {
    /// API key; when absent, `OPENAI_API_KEY` is read. Optional for servers other than
    /// api.openai.com (Ollama, vLLM and LM Studio accept requests without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// Base URL including `/v1` (`http://127.0.0.1:11434/v1` for Ollama).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Token limit sent as `max_completion_tokens` or `max_tokens` (see `legacy_max_tokens`).
    pub max_tokens: u32,
    /// `true`: send the limit as `max_tokens` (what Ollama, LM Studio, llama.cpp and vLLM read);
    /// `false`: as `max_completion_tokens` (what OpenAI's reasoning models require). Unset (the
    /// default): `max_completion_tokens` for api.openai.com, `max_tokens` for any other server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_max_tokens: Option<bool>,
    /// Sampling temperature (0–2); `None` leaves the provider default. Not sent to reasoning
    /// models (o1, o3, o4-mini, gpt-5), which reject any but their own.
    pub temperature: Option<f32>,
    /// `OpenAI-Organization` header.
    pub organization: Option<String>,
    /// `OpenAI-Project` header.
    pub project: Option<String>,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            api_key: None,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            max_tokens: 8192,
            legacy_max_tokens: None,
            temperature: Some(0.2),
            organization: None,
            project: None,
        }
    }
}

/// Settings shared by every generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationConfig {
    /// Replaces the built-in system prompt when set.
    pub system_prompt: Option<String>,
    /// Unity version the code must target, named in the system prompt.
    pub unity_version: String,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        GenerationConfig { system_prompt: None, unity_version: "2022.3".into() }
    }
}

/// Input size limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted prompt, in bytes.
    pub max_prompt_bytes: usize,
    /// Largest C# source accepted by `validate`, in bytes.
    pub max_source_bytes: usize,
    /// Largest model reply kept, in bytes; a longer reply is an error, not a silent cut.
    pub max_reply_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_prompt_bytes: 32 * 1024,
            max_source_bytes: 2 * 1024 * 1024,
            max_reply_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Per-caller rate limit (token bucket) and admission control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether per-caller limits apply.
    pub enabled: bool,
    /// Sustained requests per minute per caller.
    pub requests_per_minute: u32,
    /// Requests a caller may make at once before the sustained rate applies.
    pub burst: u32,
    /// Requests running at once across all callers.
    pub max_concurrent: usize,
    /// Requests waiting for a slot before new ones get `QueueFull`.
    pub max_queue: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            requests_per_minute: 60,
            burst: 10,
            max_concurrent: 64,
            max_queue: 1024,
        }
    }
}

/// Price of a model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// USD per million input tokens.
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
}

/// Built-in prices (USD per million tokens), overridable through `[pricing]`.
const BUILTIN_PRICES: &[(&str, f64, f64)] = &[
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.4, 1.6),
    ("gpt-4o", 2.5, 10.0),
    ("gpt-4o-mini", 0.15, 0.6),
    ("offline-scaffold", 0.0, 0.0),
];

impl SparkConfig {
    /// Reads a TOML file, applies `SPARK_*` environment overrides, validates.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(path.display().to_string(), format!("cannot read: {e}")))?;
        Self::build(parse_toml(&text)?, std::env::vars())
    }

    /// Defaults plus `SPARK_*` environment overrides, validated.
    pub fn from_env() -> Result<Self> {
        Self::build(serde_json::Value::Object(Default::default()), std::env::vars())
    }

    /// Parses TOML text (no environment overrides), validated.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::build(parse_toml(text)?, std::iter::empty())
    }

    /// Parses JSON text (no environment overrides), validated. Used by the bindings.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::config("<json>", e.to_string()))?;
        Self::build(value, std::iter::empty())
    }

    /// Builds from an already-parsed JSON value plus explicit `SPARK_*` variables, validated.
    pub fn from_value_with_env(
        value: serde_json::Value,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        Self::build(value, env)
    }

    fn build(mut value: serde_json::Value, env: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        if value.is_null() {
            value = serde_json::Value::Object(Default::default());
        }
        let Some(root) = value.as_object_mut() else {
            return Err(Error::config("<root>", "expected a table of sections"));
        };
        let mut env: Vec<_> = env.into_iter().collect();
        env.sort();
        for (name, raw) in env {
            let Some(rest) = name.strip_prefix("SPARK_") else { continue };
            let Some((section, field)) = rest.split_once("__") else { continue };
            let (section, field) = (section.to_ascii_lowercase(), field.to_ascii_lowercase());
            let table =
                root.entry(section.clone()).or_insert_with(|| serde_json::Value::Object(Default::default()));
            let Some(table) = table.as_object_mut() else {
                return Err(Error::config(section, "expected a table"));
            };
            table.insert(field, env_value(&raw));
        }
        let config: SparkConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            Error::config(if path == "." { "<root>".into() } else { path }, e.into_inner().to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        for name in &self.providers.order {
            if !matches!(name.as_str(), "anthropic" | "openai" | "offline") {
                return Err(Error::config(
                    "providers.order",
                    format!("unknown provider `{name}` (expected anthropic, openai or offline)"),
                ));
            }
        }
        check_url("anthropic.base_url", &self.anthropic.base_url)?;
        check_url("openai.base_url", &self.openai.base_url)?;
        check_nonempty("anthropic.model", &self.anthropic.model)?;
        check_nonempty("openai.model", &self.openai.model)?;
        check_nonempty("anthropic.version", &self.anthropic.version)?;
        check_range("anthropic.max_tokens", self.anthropic.max_tokens as f64, 1.0, 1_000_000.0)?;
        check_range("openai.max_tokens", self.openai.max_tokens as f64, 1.0, 1_000_000.0)?;
        if let Some(t) = self.anthropic.temperature {
            check_range("anthropic.temperature", t as f64, 0.0, 1.0)?;
        }
        if let Some(t) = self.openai.temperature {
            check_range("openai.temperature", t as f64, 0.0, 2.0)?;
        }
        check_range("limits.max_prompt_bytes", self.limits.max_prompt_bytes as f64, 1.0, 64e6)?;
        check_range("limits.max_source_bytes", self.limits.max_source_bytes as f64, 1.0, 256e6)?;
        check_range("limits.max_reply_bytes", self.limits.max_reply_bytes as f64, 1.0, 256e6)?;
        if self.rate_limit.enabled {
            check_range(
                "rate_limit.requests_per_minute",
                self.rate_limit.requests_per_minute as f64,
                1.0,
                1e9,
            )?;
            check_range("rate_limit.burst", self.rate_limit.burst as f64, 1.0, 1e9)?;
        }
        check_range("rate_limit.max_concurrent", self.rate_limit.max_concurrent as f64, 1.0, 1e6)?;
        for (model, p) in &self.pricing {
            for (what, v) in [("input_per_mtok", p.input_per_mtok), ("output_per_mtok", p.output_per_mtok)] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::config(
                        format!("pricing.{model}.{what}"),
                        "must be a finite number ≥ 0",
                    ));
                }
            }
        }
        self.validation.validate()?;
        self.repair.validate()?;
        self.retry.validate()?;
        self.breaker.validate()?;
        self.timeouts.validate()?;
        self.cache.validate()?;
        self.export.validate()?;
        Ok(())
    }

    /// Price of `model`: `[pricing]` first, then the built-in table (longest matching prefix, so
    /// dated names like `claude-sonnet-4-5-20250929` are priced).
    pub fn price_of(&self, model: &str) -> Option<ModelPrice> {
        if let Some(p) = self.pricing.get(model) {
            return Some(*p);
        }
        BUILTIN_PRICES
            .iter()
            .filter(|(name, _, _)| model.starts_with(name))
            .max_by_key(|(name, _, _)| name.len())
            .map(|&(_, i, o)| ModelPrice { input_per_mtok: i, output_per_mtok: o })
    }

    /// Cost in USD of `usage` on `model`, when its price is known.
    pub fn cost_of(&self, model: &str, usage: &crate::provider::Usage) -> Option<f64> {
        self.price_of(model).map(|p| {
            (usage.input_tokens as f64 * p.input_per_mtok + usage.output_tokens as f64 * p.output_per_mtok)
                / 1e6
        })
    }
}

fn parse_toml(text: &str) -> Result<serde_json::Value> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let field = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].lines().count().max(1);
                format!("<toml line {line}>")
            })
            .unwrap_or_else(|| "<toml>".into());
        Error::config(field, e.message().to_string())
    })?;
    serde_json::to_value(table).map_err(|e| Error::config("<toml>", e.to_string()))
}

fn env_value(raw: &str) -> serde_json::Value {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .and_then(|v| serde_json::to_value(v).ok());
    parsed.unwrap_or_else(|| serde_json::Value::String(raw.to_string()))
}

fn check_url(field: &str, value: &str) -> Result<()> {
    let url = url::Url::parse(value).map_err(|e| Error::config(field, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(field, "must be an http:// or https:// URL"));
    }
    Ok(())
}

fn check_nonempty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::config(field, "must not be empty"));
    }
    Ok(())
}

/// Checks `lo <= value <= hi`; shared by every section's `validate`.
pub(crate) fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if !(value.is_finite() && value >= lo && value <= hi) {
        return Err(Error::config(field, format!("must be between {lo} and {hi}, got {value}")));
    }
    Ok(())
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        SparkConfig::default().validate().unwrap();
    }

    #[test]
    fn bad_field_is_named() {
        let e = SparkConfig::from_toml_str("[anthropic]\ntemperature = 3.0\n").unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "anthropic.temperature"), "{e}");
        let e = SparkConfig::from_toml_str("[limits]\nmax_prompt_bytes = \"big\"\n").unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "limits.max_prompt_bytes"), "{e}");
        let e = SparkConfig::from_toml_str("[cache]\nnot_a_field = 1\n").unwrap_err();
        assert!(e.to_string().contains("not_a_field"), "{e}");
        let e = SparkConfig::from_toml_str("[openai]\nbase_url = \"ftp://x\"\n").unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "openai.base_url"), "{e}");
    }

    #[test]
    fn env_overrides_typed_values() {
        let env = vec![
            ("SPARK_OPENAI__BASE_URL".to_string(), "http://127.0.0.1:11434/v1".to_string()),
            ("SPARK_OPENAI__MAX_TOKENS".to_string(), "512".to_string()),
            ("SPARK_PROVIDERS__ORDER".to_string(), "openai, offline".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let c = SparkConfig::from_value_with_env(serde_json::json!({}), env).unwrap();
        assert_eq!(c.openai.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(c.openai.max_tokens, 512);
        assert_eq!(c.providers.order, vec!["openai", "offline"]);
        let bad = vec![("SPARK_OPENAI__MAX_TOKENS".to_string(), "lots".to_string())];
        let e = SparkConfig::from_value_with_env(serde_json::json!({}), bad).unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "openai.max_tokens"), "{e}");
    }

    #[test]
    fn api_key_in_config_never_prints() {
        let c = SparkConfig::from_toml_str("[openai]\napi_key = \"sk-secret-xyz\"\n").unwrap();
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap());
        assert!(!shown.contains("sk-secret-xyz"));
    }

    #[test]
    fn prices_match_dated_model_names() {
        let c = SparkConfig::default();
        let p = c.price_of("claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(p.input_per_mtok, 3.0);
        assert!(c.price_of("gpt-4o-mini-2024-07-18").unwrap().input_per_mtok < 1.0);
        assert!(c.price_of("llama3").is_none());
    }
}
