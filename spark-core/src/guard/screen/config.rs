//! Settings of prompt screening (`[screen]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::error::{Error, Result};
use crate::result::GuardAction;

use super::rules::{CATEGORIES, DETECTORS};

/// Most entries of each word list.
const MAX_WORDS: usize = 10_000;
/// Longest word-list entry, in bytes.
const MAX_WORD_BYTES: usize = 256;

/// Prompt screening before any provider call: Unicode clean-up, prompt-injection detectors and
/// a content filter. Each detector and category has an action; findings scoring below their
/// threshold are dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenConfig {
    /// Whether the screening guard runs at all.
    pub enabled: bool,
    /// NFKC-normalise the prompt and remove control, bidi, zero-width and tag characters; the
    /// cleaned prompt is what the model sees.
    pub normalize: bool,
    /// Findings scoring below this (0–1) are dropped.
    pub threshold: f32,
    /// Per-detector or per-category threshold overrides, by name.
    pub thresholds: BTreeMap<String, f32>,
    /// Per-detector or per-category action overrides, by name (`block`, `warn`, `allow`);
    /// `allow` turns the detector off. Names: see [`ScreenConfig::names`].
    pub actions: BTreeMap<String, GuardAction>,
    /// Whole words or phrases (any case) that refuse the request.
    pub block_words: Vec<String>,
    /// Whole words or phrases (any case) that add a warning to the result.
    pub warn_words: Vec<String>,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            enabled: true,
            normalize: true,
            threshold: 0.5,
            thresholds: BTreeMap::new(),
            actions: BTreeMap::new(),
            block_words: Vec::new(),
            warn_words: Vec::new(),
        }
    }
}

impl ScreenConfig {
    /// Every detector and category name an action or threshold may be set for.
    pub fn names() -> impl Iterator<Item = &'static str> {
        DETECTORS.iter().chain(CATEGORIES).map(|(name, _)| *name)
    }

    /// The action in force for `name`: the override, else the built-in default.
    pub fn action(&self, name: &str) -> GuardAction {
        self.actions.get(name).copied().unwrap_or_else(|| {
            DETECTORS
                .iter()
                .chain(CATEGORIES)
                .find(|(n, _)| *n == name)
                .map_or(GuardAction::Warn, |(_, a)| *a)
        })
    }

    /// The threshold in force for `name`.
    pub fn threshold(&self, name: &str) -> f32 {
        self.thresholds.get(name).copied().unwrap_or(self.threshold)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        check_range("screen.threshold", self.threshold as f64, 0.0, 1.0)?;
        let known = |field: &str, name: &str| {
            if Self::names().any(|n| n == name) {
                Ok(())
            } else {
                let names: Vec<_> = Self::names().collect();
                Err(Error::Config {
                    field: format!("screen.{field}.{name}"),
                    message: format!("unknown detector; known: {}", names.join(", ")),
                })
            }
        };
        for (name, t) in &self.thresholds {
            known("thresholds", name)?;
            check_range(&format!("screen.thresholds.{name}"), *t as f64, 0.0, 1.0)?;
        }
        for name in self.actions.keys() {
            known("actions", name)?;
        }
        for (field, words) in [("block_words", &self.block_words), ("warn_words", &self.warn_words)] {
            check_range(&format!("screen.{field}"), words.len() as f64, 0.0, MAX_WORDS as f64)?;
            for w in words {
                if w.trim().is_empty() || w.len() > MAX_WORD_BYTES {
                    return Err(Error::Config {
                        field: format!("screen.{field}"),
                        message: format!("entries must be 1 to {MAX_WORD_BYTES} bytes and not blank"),
                    });
                }
            }
        }
        Ok(())
    }
}
