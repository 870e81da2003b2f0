//! A circuit breaker per provider: closed → open after N health failures within a window →
//! half-open after a cool-down, letting exactly one probe through → closed when the probe
//! succeeds, open again when it fails.
//!
//! Time comes from `tokio::time`, so tests drive transitions with paused time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::BreakerConfig;
use crate::error::{Error, ProviderErrorKind};

/// The state of a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are refused without touching the network until the cool-down ends.
    Open,
    /// The cool-down ended: one probe call is (or may be) in flight.
    HalfOpen,
}

/// Health of one provider in the chain, as reported by [`crate::Spark::provider_status`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderStatus {
    /// Provider name.
    pub name: String,
    /// Its default model.
    pub model: String,
    /// Breaker state.
    pub state: BreakerState,
    /// Health failures counted in the current window (closed) or since opening.
    pub failures: u32,
    /// Milliseconds until an open breaker lets a probe through.
    pub retry_in_ms: Option<u64>,
    /// Times the breaker opened since start.
    pub times_opened: u64,
    /// Successful calls since start.
    pub successes: u64,
    /// Health failures since start.
    pub total_failures: u64,
}

#[derive(Debug)]
struct State {
    state: BreakerState,
    /// Instants of the health failures inside the window (closed state).
    failures: VecDeque<Instant>,
    opened_at: Option<Instant>,
    probe_in_flight: bool,
    /// When the probe in flight was let through.
    probe_started: Option<Instant>,
    times_opened: u64,
    /// Transitions to half-open (a probe let through) and back to closed, since start.
    times_half_opened: u64,
    times_closed: u64,
    successes: u64,
    total_failures: u64,
}

/// Shortest `retry_in` reported while a half-open probe is in flight.
const MIN_PROBE_WAIT: Duration = Duration::from_millis(100);

/// One provider's breaker. Cheap to share.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

/// Whether an error says something about the provider's health (rather than about the request
/// or the account): only those count towards opening the breaker.
pub fn is_health_failure(error: &Error) -> bool {
    match error {
        // A malformed reply is not worth retrying at once but does say the endpoint is unwell.
        Error::Provider(p) => p.kind.is_transient() || p.kind == ProviderErrorKind::Malformed,
        Error::Timeout { .. } => true,
        _ => false,
    }
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: &BreakerConfig) -> Arc<Self> {
        Arc::new(CircuitBreaker {
            config: config.clone(),
            state: Mutex::new(State {
                state: BreakerState::Closed,
                failures: VecDeque::new(),
                opened_at: None,
                probe_in_flight: false,
                probe_started: None,
                times_opened: 0,
                times_half_opened: 0,
                times_closed: 0,
                successes: 0,
                total_failures: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent in a harmful way.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cooldown(&self) -> Duration {
        Duration::from_millis(self.config.cooldown_ms)
    }

    /// Asks to make a call. `Err(CircuitOpen)` means: do not call this provider now.
    pub fn acquire(self: &Arc<Self>, provider: &str) -> Result<BreakerPermit, Error> {
        if !self.config.enabled {
            return Ok(BreakerPermit { breaker: self.clone(), probe: false, done: false });
        }
        let mut s = self.lock();
        let now = Instant::now();
        match s.state {
            BreakerState::Closed => Ok(BreakerPermit { breaker: self.clone(), probe: false, done: false }),
            BreakerState::Open => {
                let until = s.opened_at.unwrap_or(now) + self.cooldown();
                if now >= until {
                    s.state = BreakerState::HalfOpen;
                    s.times_half_opened += 1;
                    s.probe_in_flight = true;
                    s.probe_started = Some(now);
                    Ok(BreakerPermit { breaker: self.clone(), probe: true, done: false })
                } else {
                    Err(Error::CircuitOpen { provider: provider.to_string(), retry_in: until - now })
                }
            }
            BreakerState::HalfOpen => {
                if s.probe_in_flight {
                    // The probe decides; everyone else waits for its verdict. A failed probe
                    // opens the breaker for another cool-down, so that is the honest wait (never
                    // zero: a caller told "now" would spin against the same answer).
                    let started = s.probe_started.unwrap_or(now);
                    let retry_in =
                        (started + self.cooldown()).saturating_duration_since(now).max(MIN_PROBE_WAIT);
                    Err(Error::CircuitOpen { provider: provider.to_string(), retry_in })
                } else {
                    s.probe_in_flight = true;
                    s.probe_started = Some(now);
                    Ok(BreakerPermit { breaker: self.clone(), probe: true, done: false })
                }
            }
        }
    }

    fn on_success(&self, probe: bool) {
        let mut s = self.lock();
        s.successes += 1;
        if probe || s.state == BreakerState::HalfOpen {
            if s.state != BreakerState::Closed {
                s.times_closed += 1;
            }
            s.state = BreakerState::Closed;
            s.failures.clear();
            s.opened_at = None;
            s.probe_in_flight = false;
        }
    }

    fn on_failure(&self, probe: bool) {
        let mut s = self.lock();
        let now = Instant::now();
        s.total_failures += 1;
        if !self.config.enabled {
            return;
        }
        let window = Duration::from_millis(self.config.window_ms);
        match s.state {
            BreakerState::Closed => {
                s.failures.push_back(now);
                while s.failures.front().is_some_and(|t| now.duration_since(*t) > window) {
                    s.failures.pop_front();
                }
                if s.failures.len() >= self.config.failure_threshold as usize {
                    s.state = BreakerState::Open;
                    s.opened_at = Some(now);
                    s.times_opened += 1;
                }
            }
            BreakerState::HalfOpen if probe => {
                s.state = BreakerState::Open;
                s.opened_at = Some(now);
                s.probe_in_flight = false;
                s.times_opened += 1;
            }
            // A call admitted before the breaker opened reports late: already open, nothing to do.
            _ => {}
        }
    }

    fn on_abandon(&self, probe: bool) {
        if probe {
            let mut s = self.lock();
            if s.state == BreakerState::HalfOpen {
                s.probe_in_flight = false;
            }
        }
    }

    /// The current state (an open breaker whose cool-down ended reads as half-open).
    pub fn state(&self) -> BreakerState {
        let s = self.lock();
        match s.state {
            BreakerState::Open if s.opened_at.is_some_and(|t| Instant::now() >= t + self.cooldown()) => {
                BreakerState::HalfOpen
            }
            other => other,
        }
    }

    /// State changes since start, by the state entered: `[open, half_open, closed]`.
    pub(crate) fn transitions(&self) -> [u64; 3] {
        let s = self.lock();
        [s.times_opened, s.times_half_opened, s.times_closed]
    }

    /// A snapshot for [`ProviderStatus`].
    pub fn status(&self, name: &str, model: &str) -> ProviderStatus {
        let state = self.state();
        let s = self.lock();
        let now = Instant::now();
        let window = Duration::from_millis(self.config.window_ms);
        let failures = s.failures.iter().filter(|t| now.duration_since(**t) <= window).count() as u32;
        ProviderStatus {
            name: name.to_string(),
            model: model.to_string(),
            state,
            failures,
            retry_in_ms: match (state, s.opened_at) {
                (BreakerState::Open, Some(t)) => {
                    Some((t + self.cooldown()).saturating_duration_since(now).as_millis() as u64)
                }
                _ => None,
            },
            times_opened: s.times_opened,
            successes: s.successes,
            total_failures: s.total_failures,
        }
    }
}

/// Permission to make one call; report its outcome with [`BreakerPermit::success`] or
/// [`BreakerPermit::failure`]. Dropped without a verdict (the caller cancelled), it counts as
/// neither and frees the half-open probe slot.
#[derive(Debug)]
pub struct BreakerPermit {
    breaker: Arc<CircuitBreaker>,
    probe: bool,
    done: bool,
}

impl BreakerPermit {
    /// The call succeeded.
    pub fn success(mut self) {
        self.done = true;
        self.breaker.on_success(self.probe);
    }

    /// The call failed with `error`; only health failures count, any other answer proves the
    /// provider is reachable.
    pub fn failure(mut self, error: &Error) {
        self.done = true;
        if matches!(error, Error::Cancelled) {
            self.breaker.on_abandon(self.probe);
        } else if is_health_failure(error) {
            self.breaker.on_failure(self.probe);
        } else {
            self.breaker.on_success(self.probe);
        }
    }
}

impl Drop for BreakerPermit {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.on_abandon(self.probe);
        }
    }
}
