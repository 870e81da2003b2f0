//! Request bodies read within limits, and response bodies that hold their request's place in
//! the concurrency gate and the drain count until their last byte (a stream counts as long as
//! it runs).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit};

use crate::problem::Problem;

/// Reads a whole request body of at most `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|e| super::body_problem(&e))
}

/// Draining state: whether the server is shutting down, and how many requests are in flight.
#[derive(Debug, Default)]
pub struct Drain {
    draining: AtomicBool,
    inflight: AtomicUsize,
    idle: Notify,
}

impl Drain {
    /// Starts draining: readiness turns false and new requests get 503.
    pub fn start(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether draining has started.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Requests (and streams) not finished yet.
    pub fn inflight(&self) -> usize {
        self.inflight.load(Ordering::SeqCst)
    }

    /// Waits until nothing is in flight, or `deadline` passes; true when everything finished.
    pub async fn wait_idle(&self, deadline: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.idle.notified();
                if self.inflight() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }

    /// Counts a request in until the returned tracker drops, holding its gate `permit`.
    pub fn enter(self: &Arc<Self>, permit: Option<OwnedSemaphorePermit>) -> Tracker {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        Tracker { drain: self.clone(), _permit: permit }
    }
}

/// One request in flight; dropping it ends it.
#[derive(Debug)]
pub struct Tracker {
    drain: Arc<Drain>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.drain.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.drain.idle.notify_waiters();
        }
    }
}

/// A response body carrying its request's [`Tracker`].
pub struct Tracked {
    inner: Body,
    _tracker: Tracker,
}

impl Tracked {
    /// `inner`, ending its request when it is dropped.
    pub fn new(inner: Body, tracker: Tracker) -> Self {
        Tracked { inner, _tracker: tracker }
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
