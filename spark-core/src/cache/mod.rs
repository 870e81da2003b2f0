//! Response cache.
// PLACEHOLDER: implemented by the caching work (issue 5).

use serde::{Deserialize, Serialize};

use crate::config::check_range;
use crate::error::Result;

/// Cache settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Whether replies are cached.
    pub enabled: bool,
    /// Upper bound of cached bytes.
    pub max_bytes: u64,
    /// Time to live, in seconds.
    pub ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, max_bytes: 64 * 1024 * 1024, ttl_secs: 3600 }
    }
}

impl CacheConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("cache.ttl_secs", self.ttl_secs as f64, 1.0, 3.2e7)
    }
}

use crate::provider::{Completion, CompletionRequest, Provider, ProviderStream};

/// The response cache in front of the provider chain.
#[derive(Debug)]
pub struct ResponseCache {
    config: CacheConfig,
}

impl ResponseCache {
    /// A cache with these settings.
    pub fn new(config: &CacheConfig) -> Self {
        ResponseCache { config: config.clone() }
    }

    /// A completion from the cache, or from `provider` (then stored). The flag tells a hit.
    pub async fn complete(
        &self,
        provider: &dyn Provider,
        request: &CompletionRequest,
    ) -> Result<(Completion, bool)> {
        let _ = self.config.enabled;
        Ok((provider.complete(request).await?, false))
    }

    /// A stream replayed from the cache, or from `provider`. The flag tells a hit.
    pub async fn stream(
        &self,
        provider: &dyn Provider,
        request: &CompletionRequest,
    ) -> Result<(ProviderStream, bool)> {
        Ok((provider.stream(request).await?, false))
    }
}
