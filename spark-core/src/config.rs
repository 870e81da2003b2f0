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

pub use crate::cache::CacheConfig;
use crate::error::{Error, Result};
pub use crate::export::ExportConfig;
pub use crate::guard::{
    CallerTiersConfig, LimitsConfig, OutputConfig, RateLimitConfig, ScreenConfig, TierConfig,
};
pub use crate::ledger::{BudgetConfig, LedgerConfig};
pub use crate::observe::TelemetryConfig;
pub use crate::pricing::ModelPrice;
pub use crate::prompt::GenerationConfig;
use crate::provider::Usage;
pub use crate::provider::{AnthropicConfig, OpenAiConfig, ProvidersConfig, TimeoutConfig};
pub use crate::redis::RedisConfig;
pub use crate::repair::RepairConfig;
pub use crate::resilience::{BreakerConfig, RetryConfig};
pub use crate::validate::ValidationConfig;

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
    /// Prompt screening: Unicode clean-up, injection detectors, content filter.
    pub screen: ScreenConfig,
    /// Per-caller rate limits and admission control.
    pub rate_limit: RateLimitConfig,
    /// Validation policy (which severities block, which rules are off).
    pub validation: ValidationConfig,
    /// The repair loop.
    pub repair: RepairConfig,
    /// Retries with capped exponential backoff.
    pub retry: RetryConfig,
    /// Circuit breaker per provider.
    pub breaker: BreakerConfig,
    /// Connect, first-token, idle and total deadlines.
    pub timeouts: TimeoutConfig,
    /// Response cache.
    pub cache: CacheConfig,
    /// Export defaults.
    pub export: ExportConfig,
    /// The output policy: which findings hold generated code back; secrets are always redacted.
    pub output: OutputConfig,
    /// Prices in USD per million tokens, keyed `model` or `provider/model`, added to the
    /// built-in table.
    pub pricing: BTreeMap<String, ModelPrice>,
    /// The usage ledger.
    pub ledger: LedgerConfig,
    /// Spending limits.
    pub budget: BudgetConfig,
    /// Named sets of per-caller limits (`[tiers.NAME]`).
    pub tiers: BTreeMap<String, TierConfig>,
    /// Which caller is on which tier.
    pub caller_tiers: CallerTiersConfig,
    /// Prometheus metrics (on by default).
    pub metrics: crate::observe::MetricsConfig,
    /// Tracing, OpenTelemetry export and error reports.
    pub telemetry: TelemetryConfig,
    /// State shared by many instances through Redis (needs the cargo feature `redis`).
    pub redis: RedisConfig,
}

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
        self.providers.validate()?;
        self.anthropic.validate()?;
        self.openai.validate()?;
        self.generation.validate()?;
        self.limits.validate()?;
        self.screen.validate()?;
        self.rate_limit.validate()?;
        crate::pricing::validate(&self.pricing)?;
        self.ledger.validate()?;
        self.budget.validate()?;
        crate::guard::Tiers::validate(&self.tiers, &self.caller_tiers)?;
        if self.budgets_configured() && self.ledger.enabled == Some(false) {
            return Err(Error::config("ledger.enabled", "budgets need the ledger"));
        }
        self.validation.validate()?;
        self.repair.validate()?;
        self.retry.validate()?;
        self.breaker.validate()?;
        self.timeouts.validate()?;
        self.cache.validate()?;
        self.export.validate()?;
        self.output.validate()?;
        self.telemetry.validate()?;
        self.redis.validate()?;
        Ok(())
    }

    /// Whether any budget applies: `[budget]`'s, or a tier's.
    pub fn budgets_configured(&self) -> bool {
        self.budget.is_configured() || self.tiers.values().any(TierConfig::has_budget)
    }

    /// Price of `model`: `[pricing]` first, then the built-in table (longest matching prefix, so
    /// dated names like `claude-sonnet-4-5-20250929` are priced).
    pub fn price_of(&self, model: &str) -> Option<ModelPrice> {
        crate::pricing::price_of(&self.pricing, model)
    }

    /// Cost in USD of `usage` on `model`, when its price is known.
    pub fn cost_of(&self, model: &str, usage: &Usage) -> Option<f64> {
        crate::pricing::cost_of(&self.pricing, model, usage)
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
    fn credentials_in_urls_are_refused() {
        let e = SparkConfig::from_toml_str("[openai]\nbase_url = \"http://user:pass-9876@host/v1\"\n")
            .unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "openai.base_url"), "{e}");
        assert!(!format!("{e} {e:?}").contains("pass-9876"));
        let e = SparkConfig::from_toml_str("[anthropic]\nbase_url = \"https://k@host\"\n").unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "anthropic.base_url"), "{e}");
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
