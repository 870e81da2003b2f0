//! Token usage of one call: low in the layer stack, since providers report it and the observer's
//! events carry it.

use serde::{Deserialize, Serialize};

/// Token usage of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Prompt tokens, all of them: cache reads and cache writes included.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache (billed at the cache-read
    /// price). A subset, never added to `input_tokens` again.
    #[serde(default)]
    pub cache_read_tokens: u64,
    /// Of `input_tokens`, those written to the provider's prompt cache (billed at the
    /// cache-write price). A subset, never added to `input_tokens` again.
    #[serde(default)]
    pub cache_write_tokens: u64,
}

impl Usage {
    /// `input` prompt tokens and `output` generated tokens.
    pub fn new(input: u64, output: u64) -> Self {
        Usage { input_tokens: input, output_tokens: output, cache_read_tokens: 0, cache_write_tokens: 0 }
    }

    /// The same usage with `read` and `write` of its input tokens served from or written to the
    /// provider's prompt cache (each clamped so the parts never exceed `input_tokens`).
    pub fn with_cache(mut self, read: u64, write: u64) -> Self {
        self.cache_read_tokens = read.min(self.input_tokens);
        self.cache_write_tokens = write.min(self.input_tokens - self.cache_read_tokens);
        self
    }

    /// Input tokens billed at the plain input price: neither read from nor written to a cache.
    pub fn uncached_input_tokens(&self) -> u64 {
        self.input_tokens.saturating_sub(self.cache_read_tokens).saturating_sub(self.cache_write_tokens)
    }

    /// Sum of input and output.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
        self.cache_read_tokens += rhs.cache_read_tokens;
        self.cache_write_tokens += rhs.cache_write_tokens;
    }
}
