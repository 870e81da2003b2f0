//! OpenAI Chat Completions provider.
// PLACEHOLDER: implemented by the providers work (see issue 2).

use async_trait::async_trait;

use super::{Completion, CompletionRequest, Provider, ProviderStream};
use crate::config::OpenAiConfig;
use crate::error::{Error, Result};
use crate::resilience::TimeoutConfig;
use crate::secret::ApiKey;

/// OpenAI Chat Completions (`POST {base_url}/chat/completions`), or any compatible server.
#[derive(Debug, Clone)]
pub struct OpenAi {
    config: OpenAiConfig,
    key: ApiKey,
}

impl OpenAi {
    /// Builds from configuration; the key comes from `config.api_key` or `OPENAI_API_KEY`.
    pub fn new(config: OpenAiConfig, _timeouts: &TimeoutConfig) -> Result<Self> {
        let key =
            config.api_key.clone().or_else(|| ApiKey::from_env("OPENAI_API_KEY")).ok_or(
                Error::MissingApiKey { provider: "openai".into(), env_var: "OPENAI_API_KEY".into() },
            )?;
        Ok(OpenAi { config, key })
    }

    /// Default configuration with the key from `OPENAI_API_KEY`.
    pub fn from_env() -> Result<Self> {
        Self::new(OpenAiConfig::default(), &TimeoutConfig::default())
    }
}

#[async_trait]
impl Provider for OpenAi {
    fn name(&self) -> &str {
        "openai"
    }
    fn default_model(&self) -> &str {
        &self.config.model
    }
    async fn complete(&self, _request: &CompletionRequest) -> Result<Completion> {
        let _ = &self.key;
        Err(Error::Internal("openai provider not implemented yet".into()))
    }
    async fn stream(&self, _request: &CompletionRequest) -> Result<ProviderStream> {
        Err(Error::Internal("openai provider not implemented yet".into()))
    }
}
