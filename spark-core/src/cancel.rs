//! Cancellation and the request deadline for CPU work (extraction, validation, repair
//! bookkeeping), which no `await` point can interrupt: long loops ask the token instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, TimeoutStage};

/// A cheap, clonable cancel flag with an optional deadline. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
    deadline: Option<(Instant, Duration)>,
}

impl CancelToken {
    /// A token that is never cancelled until [`CancelToken::cancel`] is called.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// A token that also trips at `at`; `after` is the configured total deadline, reported in
    /// the timeout error.
    pub fn with_deadline(at: Instant, after: Duration) -> Self {
        CancelToken { flag: Arc::default(), deadline: Some((at, after)) }
    }

    /// Cancels every clone of this token.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether the work should stop (cancelled, or past the deadline).
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || self.deadline.is_some_and(|(at, _)| Instant::now() >= at)
    }

    /// `Err(Cancelled)` when cancelled, `Err(Timeout { stage: Total })` past the deadline.
    pub fn check(&self) -> Result<()> {
        if self.flag.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        match self.deadline {
            Some((at, after)) if Instant::now() >= at => {
                Err(Error::Timeout { stage: TimeoutStage::Total, after, partial_text: None })
            }
            _ => Ok(()),
        }
    }

    /// Cancels the token when the returned guard is dropped (a dropped future stops its work).
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
