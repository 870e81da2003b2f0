//! Model prices and the cost of a call.
//!
//! A price has four parts (USD per million tokens): plain input, output, prompt-cache reads and
//! prompt-cache writes. [`Usage`] keeps cache reads and writes as parts of `input_tokens`, so each
//! input token is billed exactly once at exactly one of the three input prices.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::provider::Usage;

/// Price of a model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// USD per million input tokens (neither read from nor written to a prompt cache).
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
    /// USD per million input tokens read from the provider's prompt cache; the input price when
    /// unset (no discount assumed, so a cost is never under-reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_per_mtok: Option<f64>,
    /// USD per million input tokens written to the provider's prompt cache; the input price
    /// when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_per_mtok: Option<f64>,
}

impl ModelPrice {
    /// A price without cache prices (cache tokens then cost the input price).
    pub fn new(input_per_mtok: f64, output_per_mtok: f64) -> Self {
        ModelPrice { input_per_mtok, output_per_mtok, cache_read_per_mtok: None, cache_write_per_mtok: None }
    }

    /// The same price with cache-read and cache-write prices.
    pub fn with_cache(mut self, read_per_mtok: f64, write_per_mtok: f64) -> Self {
        self.cache_read_per_mtok = Some(read_per_mtok);
        self.cache_write_per_mtok = Some(write_per_mtok);
        self
    }

    /// Cost in USD of `usage` at this price.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let read = self.cache_read_per_mtok.unwrap_or(self.input_per_mtok);
        let write = self.cache_write_per_mtok.unwrap_or(self.input_per_mtok);
        (usage.uncached_input_tokens() as f64 * self.input_per_mtok
            + usage.cache_read_tokens as f64 * read
            + usage.cache_write_tokens as f64 * write
            + usage.output_tokens as f64 * self.output_per_mtok)
            / 1e6
    }
}

/// Built-in prices: model prefix, input, output, cache read, cache write (USD per million).
/// Anthropic: reads 0.1×, writes (5-minute cache) 1.25× the input price. OpenAI: cached input
/// at its discount, no write surcharge (writes are billed as plain input).
const BUILTIN_PRICES: &[(&str, f64, f64, f64, f64)] = &[
    ("claude-opus-4-1", 15.0, 75.0, 1.5, 18.75),
    ("claude-sonnet-4-5", 3.0, 15.0, 0.3, 3.75),
    ("claude-haiku-4-5", 1.0, 5.0, 0.1, 1.25),
    ("gpt-4.1", 2.0, 8.0, 0.5, 2.0),
    ("gpt-4.1-mini", 0.4, 1.6, 0.1, 0.4),
    ("gpt-4o", 2.5, 10.0, 1.25, 2.5),
    ("gpt-4o-mini", 0.15, 0.6, 0.075, 0.15),
    ("offline-scaffold", 0.0, 0.0, 0.0, 0.0),
];

/// Price of `model`: `overrides` first, then the built-in table (longest matching prefix, so
/// dated names like `claude-sonnet-4-5-20250929` are priced).
pub fn price_of(overrides: &BTreeMap<String, ModelPrice>, model: &str) -> Option<ModelPrice> {
    price_for(overrides, "", model)
}

/// Price of `model` served by `provider`: an override keyed `provider/model` first (the same
/// model may cost differently through another host), then one keyed `model`, then the
/// built-in table.
pub fn price_for(
    overrides: &BTreeMap<String, ModelPrice>,
    provider: &str,
    model: &str,
) -> Option<ModelPrice> {
    if !provider.is_empty()
        && let Some(p) = overrides.get(&format!("{provider}/{model}"))
    {
        return Some(*p);
    }
    if let Some(p) = overrides.get(model) {
        return Some(*p);
    }
    BUILTIN_PRICES
        .iter()
        .filter(|(name, ..)| model.starts_with(name))
        .max_by_key(|(name, ..)| name.len())
        .map(|&(_, i, o, r, w)| ModelPrice::new(i, o).with_cache(r, w))
}

/// Cost in USD of `usage` on `model`, when its price is known.
pub fn cost_of(overrides: &BTreeMap<String, ModelPrice>, model: &str, usage: &Usage) -> Option<f64> {
    price_of(overrides, model).map(|p| p.cost(usage))
}

/// Cost in USD of `usage` on `model` served by `provider`, when its price is known.
pub fn cost_for(
    overrides: &BTreeMap<String, ModelPrice>,
    provider: &str,
    model: &str,
    usage: &Usage,
) -> Option<f64> {
    price_for(overrides, provider, model).map(|p| p.cost(usage))
}

/// Checks a `[pricing]` table: every price finite and not negative.
pub(crate) fn validate(prices: &BTreeMap<String, ModelPrice>) -> Result<()> {
    for (model, p) in prices {
        let parts = [
            ("input_per_mtok", Some(p.input_per_mtok)),
            ("output_per_mtok", Some(p.output_per_mtok)),
            ("cache_read_per_mtok", p.cache_read_per_mtok),
            ("cache_write_per_mtok", p.cache_write_per_mtok),
        ];
        for (what, v) in parts {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(Error::config(format!("pricing.{model}.{what}"), "must be a finite number ≥ 0"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_cache_tokens_are_billed_once_at_their_own_price() {
        // 1M prompt tokens of which 600k read from cache and 100k written: 300k plain.
        let u = Usage::new(1_000_000, 0).with_cache(600_000, 100_000);
        let cost = cost_of(&BTreeMap::new(), "claude-sonnet-4-5-20250929", &u).unwrap();
        let expected = 0.3 * 3.0 + 0.6 * 0.3 + 0.1 * 3.75;
        assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
    }

    #[test]
    fn openai_cached_tokens_are_a_discounted_part_of_the_prompt() {
        let u = Usage::new(1_000_000, 1_000_000).with_cache(400_000, 0);
        let cost = cost_of(&BTreeMap::new(), "gpt-4o-2024-08-06", &u).unwrap();
        let expected = 0.6 * 2.5 + 0.4 * 1.25 + 10.0;
        assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
    }

    #[test]
    fn provider_keyed_override_wins_and_unset_cache_prices_cost_the_input_price() {
        let mut o = BTreeMap::new();
        o.insert("gpt-4o".to_string(), ModelPrice::new(1.0, 1.0));
        o.insert("azure/gpt-4o".to_string(), ModelPrice::new(2.0, 2.0));
        let u = Usage::new(1_000_000, 0).with_cache(500_000, 0);
        assert_eq!(cost_for(&o, "openai", "gpt-4o", &u), Some(1.0));
        assert_eq!(cost_for(&o, "azure", "gpt-4o", &u), Some(2.0));
        assert_eq!(cost_for(&o, "x", "llama3", &u), None);
    }

    #[test]
    fn cache_parts_never_exceed_the_prompt() {
        let u = Usage::new(10, 0).with_cache(8, 8);
        assert_eq!((u.cache_read_tokens, u.cache_write_tokens, u.uncached_input_tokens()), (8, 2, 0));
    }
}
