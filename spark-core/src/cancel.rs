//! Cancellation and deadlines for CPU work (extraction, naming, validation).
//!
//! A [`CancelToken`] is cheap to clone and to check: the caller keeps one clone to cancel, the
//! work checks another between files and every few thousand nodes, and stops with
//! [`Error::Cancelled`] or [`Error::Timeout`] instead of burning CPU after the caller gave up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, TimeoutStage};

/// A shared "stop now" flag with an optional deadline. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
    /// The instant work must stop, and the total allowance it was computed from (reported in
    /// the timeout error).
    deadline: Option<(Instant, Duration)>,
}

impl CancelToken {
    /// A token that stops only when [`cancel`](Self::cancel) is called.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token that also stops at `deadline`; `total` is the configured allowance the deadline
    /// was computed from, reported in the [`Error::Timeout`] it yields.
    pub fn with_deadline(deadline: Instant, total: Duration) -> Self {
        CancelToken { cancelled: Arc::default(), deadline: Some((deadline, total)) }
    }

    /// A token that stops `total` from now.
    pub fn with_timeout(total: Duration) -> Self {
        match Instant::now().checked_add(total) {
            Some(at) => Self::with_deadline(at, total),
            None => Self::new(),
        }
    }

    /// Asks every holder of a clone to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called or the deadline passed.
    pub fn is_cancelled(&self) -> bool {
        self.check().is_err()
    }

    /// `Err(Error::Cancelled)` after [`cancel`](Self::cancel), `Err(Error::Timeout)` (stage
    /// `total`) once the deadline passed, else `Ok(())`.
    pub fn check(&self) -> Result<()> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        match self.deadline {
            Some((at, total)) if Instant::now() >= at => {
                Err(Error::Timeout { stage: TimeoutStage::Total, after: total, partial_text: None })
            }
            _ => Ok(()),
        }
    }

    /// Cancels the token when the returned guard is dropped: a dropped future stops the CPU
    /// work it started elsewhere.
    pub fn drop_guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its token when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(CancelToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_deadline() {
        let t = CancelToken::new();
        let clone = t.clone();
        assert!(t.check().is_ok() && !t.is_cancelled());
        clone.cancel();
        assert!(matches!(t.check(), Err(Error::Cancelled)));
        let past = CancelToken::with_deadline(Instant::now(), Duration::from_millis(7));
        match past.check() {
            Err(Error::Timeout { stage, after, partial_text: None }) => {
                assert_eq!((stage.as_str(), after), ("total", Duration::from_millis(7)))
            }
            other => panic!("{other:?}"),
        }
        assert!(CancelToken::with_timeout(Duration::from_secs(3600)).check().is_ok());
        assert!(CancelToken::with_timeout(Duration::MAX).check().is_ok());
    }
}
