//! Deadlines around provider calls and streams.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::breaker::BreakerPermit;
use crate::error::{Error, TimeoutStage};
use crate::provider::{ProviderEvent, ProviderStream};

/// A deadline with the name of the stage it bounds, for the error it produces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub stage: TimeoutStage,
    pub after: Duration,
}

impl Deadline {
    pub fn new(start: Instant, stage: TimeoutStage, after: Duration) -> Self {
        Deadline { at: start + after, stage, after }
    }

    /// The earlier of two deadlines.
    pub fn min(self, other: Deadline) -> Deadline {
        if other.at < self.at { other } else { self }
    }

    pub fn error(&self, partial_text: Option<String>) -> Error {
        Error::Timeout { stage: self.stage, after: self.after, partial_text }
    }
}

/// Attaches the text streamed so far to an error, so a failure after the first token is never
/// mistaken for (or silently turned into) a complete answer.
pub(crate) fn with_partial(error: Error, text: &str) -> Error {
    if text.is_empty() {
        return error;
    }
    match error {
        Error::Provider(mut p) => {
            p.partial_text = Some(text.to_string());
            Error::Provider(p)
        }
        Error::Timeout { stage, after, .. } => {
            Error::Timeout { stage, after, partial_text: Some(text.to_string()) }
        }
        other => other,
    }
}

struct Guarded {
    head: VecDeque<ProviderEvent>,
    rest: ProviderStream,
    text: String,
    idle: Duration,
    total: Deadline,
    permit: Option<BreakerPermit>,
    finished: bool,
}

/// The rest of a stream whose first events (`head`) were already read: every later chunk must
/// arrive within `idle` of the previous one and before `total`. The breaker permit is settled
/// when the stream ends (success), fails (failure) or is dropped (neither).
pub(crate) fn guard_stream(
    head: Vec<ProviderEvent>,
    rest: ProviderStream,
    idle: Duration,
    total: Deadline,
    permit: BreakerPermit,
) -> ProviderStream {
    let state = Guarded {
        head: head.into(),
        rest,
        text: String::new(),
        idle,
        total,
        permit: Some(permit),
        finished: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        if st.finished {
            return None;
        }
        if let Some(ev) = st.head.pop_front() {
            if let ProviderEvent::TextDelta { text } = &ev {
                st.text.push_str(text);
            }
            return Some((Ok(ev), st));
        }
        let deadline = Deadline::new(Instant::now(), TimeoutStage::Idle, st.idle).min(st.total);
        let next = tokio::time::timeout_at(deadline.at, st.rest.next()).await;
        let fail = |st: &mut Guarded, e: Error| {
            let e = with_partial(e, &st.text);
            if let Some(p) = st.permit.take() {
                p.failure(&e);
            }
            st.finished = true;
            e
        };
        match next {
            Ok(Some(Ok(ev))) => {
                if let ProviderEvent::TextDelta { text } = &ev {
                    st.text.push_str(text);
                }
                Some((Ok(ev), st))
            }
            Ok(Some(Err(e))) => {
                let e = fail(&mut st, e);
                Some((Err(e), st))
            }
            Ok(None) => {
                if let Some(p) = st.permit.take() {
                    p.success();
                }
                None
            }
            Err(_) => {
                let e = fail(&mut st, deadline.error(None));
                Some((Err(e), st))
            }
        }
    }))
}
