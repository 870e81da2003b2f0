//! Anthropic Messages API provider.
// PLACEHOLDER: implemented by the providers work (see issue 2).

use async_trait::async_trait;

use super::{Completion, CompletionRequest, Provider, ProviderStream};
use crate::config::AnthropicConfig;
use crate::error::{Error, Result};
use crate::resilience::TimeoutConfig;
use crate::secret::ApiKey;

/// Claude through the Anthropic Messages API (`POST /v1/messages`).
#[derive(Debug, Clone)]
pub struct Anthropic {
    config: AnthropicConfig,
    key: ApiKey,
}

impl Anthropic {
    /// Builds from configuration; the key comes from `config.api_key` or `ANTHROPIC_API_KEY`.
    pub fn new(config: AnthropicConfig, _timeouts: &TimeoutConfig) -> Result<Self> {
        let key = config.api_key.clone().or_else(|| ApiKey::from_env("ANTHROPIC_API_KEY")).ok_or(
            Error::MissingApiKey { provider: "anthropic".into(), env_var: "ANTHROPIC_API_KEY".into() },
        )?;
        Ok(Anthropic { config, key })
    }

    /// Default configuration with the key from `ANTHROPIC_API_KEY`.
    pub fn from_env() -> Result<Self> {
        Self::new(AnthropicConfig::default(), &TimeoutConfig::default())
    }
}

#[async_trait]
impl Provider for Anthropic {
    fn name(&self) -> &str {
        "anthropic"
    }
    fn default_model(&self) -> &str {
        &self.config.model
    }
    async fn complete(&self, _request: &CompletionRequest) -> Result<Completion> {
        let _ = &self.key;
        Err(Error::Internal("anthropic provider not implemented yet".into()))
    }
    async fn stream(&self, _request: &CompletionRequest) -> Result<ProviderStream> {
        Err(Error::Internal("anthropic provider not implemented yet".into()))
    }
}
