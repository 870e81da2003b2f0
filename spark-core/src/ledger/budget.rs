//! Budgets in USD per caller and per period, and a global one.
//!
//! A call reserves its worst-case cost before it reaches a provider and settles with the exact
//! cost when its reply ends (or is dropped). A call is refused when what is spent, plus what is
//! reserved by calls in flight, plus its own estimate would pass a limit: while each call costs
//! at most its estimate, spend never passes a limit, and it passes by at most one call's
//! underestimate otherwise.
//!
//! Spent-so-far is read from the [`UsageStore`] the first time a (scope, period) is used, then
//! kept in this process. Another process writing to the same ledger is seen at that first read
//! only: holding a budget across instances needs shared [`BudgetCounters`] (Redis, `[redis]`),
//! which then hold spend plus reservations of every instance, seeded from the ledger.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::FutureExt;
use serde::{Deserialize, Serialize};

use super::{UsageStore, time};
use crate::error::{Error, Result};
use crate::guard::TierConfig;

/// `[budget]`: limits in USD. Unset limits do not apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// All callers together, per UTC day.
    pub global_daily_usd: Option<f64>,
    /// All callers together, per UTC calendar month.
    pub global_monthly_usd: Option<f64>,
    /// Each caller, per UTC day (unless `callers` says otherwise).
    pub caller_daily_usd: Option<f64>,
    /// Each caller, per UTC calendar month (unless `callers` says otherwise).
    pub caller_monthly_usd: Option<f64>,
    /// Limits of named callers, replacing the per-caller ones.
    pub callers: BTreeMap<String, CallerBudget>,
}

/// One caller's own limits (`[budget.callers.NAME]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallerBudget {
    /// Per UTC day.
    pub daily_usd: Option<f64>,
    /// Per UTC calendar month.
    pub monthly_usd: Option<f64>,
}

impl BudgetConfig {
    /// Whether any limit is set.
    pub fn is_configured(&self) -> bool {
        self.global_daily_usd.is_some()
            || self.global_monthly_usd.is_some()
            || self.caller_daily_usd.is_some()
            || self.caller_monthly_usd.is_some()
            || self.callers.values().any(|c| c.daily_usd.is_some() || c.monthly_usd.is_some())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let mut all = vec![
            ("budget.global_daily_usd".to_string(), self.global_daily_usd),
            ("budget.global_monthly_usd".to_string(), self.global_monthly_usd),
            ("budget.caller_daily_usd".to_string(), self.caller_daily_usd),
            ("budget.caller_monthly_usd".to_string(), self.caller_monthly_usd),
        ];
        for (name, c) in &self.callers {
            all.push((format!("budget.callers.{name}.daily_usd"), c.daily_usd));
            all.push((format!("budget.callers.{name}.monthly_usd"), c.monthly_usd));
        }
        for (field, v) in all {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(Error::config(field, "must be a finite number ≥ 0"));
            }
        }
        Ok(())
    }

    /// The limits that apply to `caller` on `tier`: (scope, is_monthly, USD). A caller's own
    /// limits come first, then its tier's, then the per-caller ones.
    fn limits<'a>(&self, caller: &'a str, tier: Option<&TierConfig>) -> Vec<(Option<&'a str>, bool, f64)> {
        let own = self.callers.get(caller);
        let tier_daily = tier.and_then(|t| t.daily_usd).or(self.caller_daily_usd);
        let tier_monthly = tier.and_then(|t| t.monthly_usd).or(self.caller_monthly_usd);
        let daily = own.map_or(tier_daily, |c| c.daily_usd);
        let monthly = own.map_or(tier_monthly, |c| c.monthly_usd);
        [
            (None, false, self.global_daily_usd),
            (None, true, self.global_monthly_usd),
            (Some(caller), false, daily),
            (Some(caller), true, monthly),
        ]
        .into_iter()
        .filter_map(|(scope, monthly, v)| v.map(|v| (scope, monthly, v)))
        .collect()
    }
}

/// One counter of a shared budget store: spend plus reservations of one scope in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSlot {
    /// The counter's name (scope and period start), unique per deployment.
    pub key: String,
    /// Spend so far as this process's ledger knows it: the counter's value when it is new.
    pub seed: f64,
    /// The limit in USD.
    pub limit: f64,
    /// End of the period (Unix ms): the counter is dropped then.
    pub expires_at_ms: i64,
}

/// What a shared budget store answered to a reservation.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedVerdict {
    /// Reserved on every slot.
    Reserved,
    /// Refused: slot `index` holds `committed` USD (spent plus held), too much for this call.
    Refused {
        /// Index of the slot that refused.
        index: usize,
        /// Its spend plus reservations.
        committed: f64,
    },
    /// The store is unavailable and its policy says to hold the budget in this process.
    Unavailable,
}

/// Budget counters shared by several instances; every call is atomic across all of them.
#[async_trait]
pub trait BudgetCounters: Send + Sync + std::fmt::Debug + 'static {
    /// Adds `estimate` to every slot unless one would pass its limit (then adds nothing).
    async fn reserve(&self, slots: &[BudgetSlot], estimate: f64) -> Result<SharedVerdict>;
    /// Adds `delta` (actual cost minus estimate) to every slot that still exists.
    async fn settle(&self, slots: &[BudgetSlot], delta: f64) -> Result<()>;
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SlotKey {
    /// `None` is the global budget.
    scope: Option<String>,
    from_ms: i64,
    to_ms: i64,
}

#[derive(Debug, Default)]
struct Slot {
    spent: f64,
    reserved: f64,
}

/// Budget state of one client.
#[derive(Debug)]
pub(crate) struct Budgets {
    config: BudgetConfig,
    store: Arc<dyn UsageStore>,
    slots: Mutex<HashMap<SlotKey, Slot>>,
    shared: Option<Arc<dyn BudgetCounters>>,
}

impl SlotKey {
    /// The shared counter's name; the caller id comes last, so it cannot run into the bounds.
    fn shared_name(&self) -> String {
        match &self.scope {
            None => format!("g:{}:{}", self.from_ms, self.to_ms),
            Some(caller) => format!("c:{}:{}:{caller}", self.from_ms, self.to_ms),
        }
    }
}

/// A call's hold on its budgets; settles when dropped, with the cost set by [`Reservation::cost`].
#[derive(Debug)]
pub(crate) struct Reservation {
    budgets: Arc<Budgets>,
    keys: Vec<SlotKey>,
    estimate: f64,
    actual: f64,
    /// The shared counters this call reserved on, if any.
    shared: Option<(Arc<dyn BudgetCounters>, Vec<BudgetSlot>)>,
}

impl Reservation {
    /// Sets the exact cost the settlement books (replacing the previous value).
    pub fn cost(&mut self, usd: f64) {
        self.actual = usd;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut slots = self.budgets.slots.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(slot) = slots.get_mut(key) {
                slot.reserved = (slot.reserved - self.estimate).max(0.0);
                slot.spent += self.actual;
            }
        }
        drop(slots);
        if let Some((counters, keys)) = self.shared.take() {
            let delta = self.actual - self.estimate;
            let mut settle = Box::pin(async move {
                if let Err(e) = counters.settle(&keys, delta).await {
                    tracing::warn!(error = %e, "shared budget not settled");
                }
            });
            // A shared store is async; settling must not hold up the caller's result.
            if (&mut settle).now_or_never().is_none()
                && let Ok(rt) = tokio::runtime::Handle::try_current()
            {
                rt.spawn(settle);
            }
        }
    }
}

impl Budgets {
    pub fn new(config: BudgetConfig, store: Arc<dyn UsageStore>) -> Self {
        Budgets { config, store, slots: Mutex::default(), shared: None }
    }

    /// Holds reservations in `counters` (shared by every instance) instead of this process.
    pub fn with_counters(mut self, counters: Option<Arc<dyn BudgetCounters>>) -> Self {
        self.shared = counters;
        self
    }

    /// Reserves `estimate` USD for one call of `caller`, or refuses it with `BudgetExceeded`.
    pub async fn reserve(
        self: &Arc<Self>,
        caller: &str,
        tier: Option<&TierConfig>,
        estimate: f64,
    ) -> Result<Reservation> {
        let now = time::now_ms();
        let limits = self.config.limits(caller, tier);
        let mut keys = Vec::with_capacity(limits.len());
        for &(scope, monthly, _) in &limits {
            let (from_ms, to_ms) = if monthly { time::month_bounds(now) } else { time::day_bounds(now) };
            let key = SlotKey { scope: scope.map(str::to_string), from_ms, to_ms };
            self.load(&key, now).await?;
            keys.push(key);
        }
        let estimate = if estimate.is_finite() { estimate.max(0.0) } else { 0.0 };
        if let Some(shared) = &self.shared {
            let wanted: Vec<BudgetSlot> = {
                let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
                keys.iter()
                    .zip(&limits)
                    .map(|(key, &(_, _, limit))| BudgetSlot {
                        key: key.shared_name(),
                        seed: slots.get(key).map_or(0.0, |s| s.spent),
                        limit,
                        expires_at_ms: key.to_ms,
                    })
                    .collect()
            };
            match shared.reserve(&wanted, estimate).await? {
                SharedVerdict::Reserved => {
                    let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
                    for key in &keys {
                        slots.entry(key.clone()).or_default().reserved += estimate;
                    }
                    let shared = Some((shared.clone(), wanted));
                    return Ok(Reservation { budgets: self.clone(), keys, estimate, actual: 0.0, shared });
                }
                SharedVerdict::Refused { index, committed } => {
                    let &(scope, monthly, limit) = limits.get(index).unwrap_or(&(None, false, 0.0));
                    let period = if monthly { "monthly" } else { "daily" };
                    return Err(Error::BudgetExceeded {
                        scope: scope.unwrap_or("global").to_string(),
                        message: format!(
                            "{period} budget ${limit:.2}: ${committed:.4} spent or held by calls in flight \
                             on every instance, this call may cost up to ${estimate:.4}"
                        ),
                    });
                }
                SharedVerdict::Unavailable => {}
            }
        }
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for (key, &(scope, monthly, limit)) in keys.iter().zip(&limits) {
            let slot = slots.entry(key.clone()).or_default();
            if slot.spent + slot.reserved + estimate > limit {
                let period = if monthly { "monthly" } else { "daily" };
                return Err(Error::BudgetExceeded {
                    scope: scope.unwrap_or("global").to_string(),
                    message: format!(
                        "{period} budget ${limit:.2}: ${:.4} spent, ${:.4} held by calls in flight, \
                         this call may cost up to ${estimate:.4}",
                        slot.spent, slot.reserved
                    ),
                });
            }
        }
        for key in &keys {
            slots.entry(key.clone()).or_default().reserved += estimate;
        }
        Ok(Reservation { budgets: self.clone(), keys, estimate, actual: 0.0, shared: None })
    }

    /// Reads a slot's spend from the store the first time it is used. The lock is not held
    /// across the read; no call can reserve on the slot before it exists, so nothing settled
    /// here is counted twice.
    async fn load(&self, key: &SlotKey, now: i64) -> Result<()> {
        if self.slots.lock().unwrap_or_else(|p| p.into_inner()).contains_key(key) {
            return Ok(());
        }
        let spent =
            self.store.spent_usd(key.scope.as_deref(), key.from_ms, key.to_ms).await.map_err(|e| {
                Error::Internal(format!("budget: cannot read spend so far, refusing the call: {e}"))
            })?;
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        // Periods that have ended are never charged again.
        slots.retain(|k, s| k.to_ms > now || s.reserved > 0.0);
        slots.entry(key.clone()).or_insert(Slot { spent, reserved: 0.0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{SqliteStore, UsageRecord};

    #[tokio::test]
    async fn reservations_hold_the_limit_and_spend_in_the_ledger_counts() {
        let store = Arc::new(SqliteStore::memory().unwrap());
        store
            .record(&UsageRecord {
                request_id: "old".into(),
                caller: "alice".into(),
                ts_ms: time::now_ms(),
                provider: None,
                model: None,
                input_tokens: 0,
                output_tokens: 0,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                cost_usd: 0.6,
                outcome: "ok".into(),
                cached: false,
            })
            .await
            .unwrap();
        let config = BudgetConfig { caller_daily_usd: Some(1.0), ..Default::default() };
        let b = Arc::new(Budgets::new(config, store));
        let mut first = b.reserve("alice", None, 0.3).await.unwrap();
        let e = b.reserve("alice", None, 0.3).await.unwrap_err();
        assert!(matches!(&e, Error::BudgetExceeded { scope, .. } if scope == "alice"), "{e}");
        first.cost(0.1);
        drop(first);
        // 0.6 + 0.1 spent: 0.3 fits now.
        let _second = b.reserve("alice", None, 0.3).await.unwrap();
        // Another caller has its own budget.
        b.reserve("bob", None, 0.9).await.unwrap();
    }
}
