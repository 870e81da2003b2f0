//! Tiers: named sets of per-caller limits (`[tiers.NAME]`), assigned to callers by
//! `[caller_tiers]` or by the caller key a request came with.
//!
//! A request's tier is, first found: the request's own (`GenerateRequest::tier`, set from a
//! verified key by [`KeyInfo::apply`](crate::keys::KeyInfo::apply)), the caller's entry in
//! `caller_tiers.callers`, `caller_tiers.default`. A limit a tier leaves unset is the one of
//! `[rate_limit]` (or `[budget]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::error::{Error, Result};

/// One tier's limits (`[tiers.NAME]`); each unset one falls back to `[rate_limit]` / `[budget]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierConfig {
    /// Sustained requests per minute per caller.
    pub requests_per_minute: Option<u32>,
    /// Requests a caller may make at once.
    pub burst: Option<u32>,
    /// Sustained provider tokens (prompt + output) per minute per caller.
    pub tokens_per_minute: Option<u32>,
    /// Tokens a caller may spend at once (`tokens_per_minute` when unset).
    pub token_burst: Option<u32>,
    /// USD per caller per UTC day.
    pub daily_usd: Option<f64>,
    /// USD per caller per UTC calendar month.
    pub monthly_usd: Option<f64>,
}

impl TierConfig {
    /// Whether the tier sets a budget.
    pub fn has_budget(&self) -> bool {
        self.daily_usd.is_some() || self.monthly_usd.is_some()
    }

    fn validate(&self, name: &str) -> Result<()> {
        let field = |f: &str| format!("tiers.{name}.{f}");
        for (f, v) in [
            ("requests_per_minute", self.requests_per_minute),
            ("burst", self.burst),
            ("tokens_per_minute", self.tokens_per_minute),
            ("token_burst", self.token_burst),
        ] {
            if let Some(v) = v {
                check_range(&field(f), f64::from(v), 1.0, 4e9)?;
            }
        }
        for (f, v) in [("daily_usd", self.daily_usd), ("monthly_usd", self.monthly_usd)] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(Error::config(field(f), "must be a finite number ≥ 0"));
            }
        }
        Ok(())
    }
}

/// `[caller_tiers]`: who is on which tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallerTiersConfig {
    /// The tier of callers not named in `callers` (anonymous ones included).
    pub default: Option<String>,
    /// Caller id → tier name.
    pub callers: BTreeMap<String, String>,
}

/// The configured tiers and their assignment, resolved per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tiers {
    tiers: BTreeMap<String, TierConfig>,
    assign: CallerTiersConfig,
}

impl Tiers {
    /// From `[tiers]` and `[caller_tiers]` (validated with [`Tiers::validate`]).
    pub fn new(tiers: BTreeMap<String, TierConfig>, assign: CallerTiersConfig) -> Self {
        Tiers { tiers, assign }
    }

    /// Checks every tier and that every assignment names a tier that exists.
    pub fn validate(tiers: &BTreeMap<String, TierConfig>, assign: &CallerTiersConfig) -> Result<()> {
        for (name, t) in tiers {
            check_word("a tier name", name).map_err(|_| {
                Error::config(format!("tiers.{name}"), "a tier name is letters, digits, `_`, `-`")
            })?;
            t.validate(name)?;
        }
        let named = assign.default.iter().map(|t| ("caller_tiers.default".to_string(), t));
        let callers = assign.callers.iter().map(|(c, t)| (format!("caller_tiers.callers.{c}"), t));
        for (field, tier) in named.chain(callers) {
            if !tiers.contains_key(tier) {
                return Err(Error::config(field, format!("no tier `{tier}` in [tiers]")));
            }
        }
        Ok(())
    }

    /// The tier names.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.tiers.keys()
    }

    /// Whether any tier sets a budget.
    pub fn have_budgets(&self) -> bool {
        self.tiers.values().any(TierConfig::has_budget)
    }

    /// `InvalidRequest` when a request names a tier that does not exist.
    pub fn check(&self, requested: Option<&str>) -> Result<()> {
        match requested {
            Some(t) if !self.tiers.contains_key(t) => {
                Err(Error::InvalidRequest(format!("unknown tier `{t}` (see [tiers])")))
            }
            _ => Ok(()),
        }
    }

    /// The tier of a request of `caller` that names `requested` (or none).
    pub fn resolve(&self, caller: &str, requested: Option<&str>) -> Option<(&str, &TierConfig)> {
        let name = requested
            .or_else(|| self.assign.callers.get(caller).map(String::as_str))
            .or(self.assign.default.as_deref())?;
        self.tiers.get_key_value(name).map(|(n, t)| (n.as_str(), t))
    }
}

/// The longest scope or tier name, in bytes.
const MAX_NAME: usize = 64;

/// Checks a scope or tier name: 1 to 64 letters, digits, `_`, `-`, `.` or `:`.
pub fn check_word(what: &str, word: &str) -> Result<()> {
    let ok = !word.is_empty()
        && word.len() <= MAX_NAME
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "{what} must be 1 to {MAX_NAME} characters of letters, digits, `_`, `-`, `.` or `:`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_order_and_validation() {
        let tiers = BTreeMap::from([
            ("free".to_string(), TierConfig { requests_per_minute: Some(10), ..Default::default() }),
            ("pro".to_string(), TierConfig { tokens_per_minute: Some(1000), ..Default::default() }),
        ]);
        let assign = CallerTiersConfig {
            default: Some("free".into()),
            callers: BTreeMap::from([("alice".to_string(), "pro".to_string())]),
        };
        Tiers::validate(&tiers, &assign).unwrap();
        let t = Tiers::new(tiers.clone(), assign);
        assert_eq!(t.resolve("bob", None).unwrap().0, "free");
        assert_eq!(t.resolve("alice", None).unwrap().0, "pro");
        assert_eq!(t.resolve("bob", Some("pro")).unwrap().0, "pro");
        assert!(t.check(Some("gold")).is_err() && t.check(Some("pro")).is_ok());
        let bad = CallerTiersConfig { default: Some("gold".into()), ..Default::default() };
        let e = Tiers::validate(&tiers, &bad).unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "caller_tiers.default"), "{e}");
    }
}
