//! Model prices and the cost of a call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::provider::Usage;

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

/// Price of `model`: `overrides` first, then the built-in table (longest matching prefix, so
/// dated names like `claude-sonnet-4-5-20250929` are priced).
pub fn price_of(overrides: &BTreeMap<String, ModelPrice>, model: &str) -> Option<ModelPrice> {
    if let Some(p) = overrides.get(model) {
        return Some(*p);
    }
    BUILTIN_PRICES
        .iter()
        .filter(|(name, _, _)| model.starts_with(name))
        .max_by_key(|(name, _, _)| name.len())
        .map(|&(_, i, o)| ModelPrice { input_per_mtok: i, output_per_mtok: o })
}

/// Cost in USD of `usage` on `model`, when its price is known.
pub fn cost_of(overrides: &BTreeMap<String, ModelPrice>, model: &str, usage: &Usage) -> Option<f64> {
    price_of(overrides, model).map(|p| {
        (usage.input_tokens as f64 * p.input_per_mtok + usage.output_tokens as f64 * p.output_per_mtok) / 1e6
    })
}

/// Checks a `[pricing]` table: every price finite and not negative.
pub(crate) fn validate(prices: &BTreeMap<String, ModelPrice>) -> Result<()> {
    for (model, p) in prices {
        for (what, v) in [("input_per_mtok", p.input_per_mtok), ("output_per_mtok", p.output_per_mtok)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::config(format!("pricing.{model}.{what}"), "must be a finite number ≥ 0"));
            }
        }
    }
    Ok(())
}
