//! `spark.stream(prompt)`: the progress events of one generation as an async iterator.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures::lock::Mutex;
use futures::{FutureExt, Stream, StreamExt};
use napi::bindgen_prelude::AsyncGenerator;
use napi_derive::napi;

use crate::error::panic_error;

type CoreStream = Pin<Box<dyn Stream<Item = spark_core::Result<spark_core::StreamEvent>> + Send>>;

enum State {
    /// Not polled yet: the core stream spawns onto tokio, so it starts on the first `next()`,
    /// which runs on napi's runtime.
    Pending(spark_core::Spark, Box<spark_core::GenerateRequest>),
    Running(CoreStream),
    Finished,
}

/// The events of one generation (`for await (const event of spark.stream(prompt))`). Leaving
/// the loop early cancels the generation; a failure is thrown by the loop as a `SparkError`.
#[napi(async_iterator)]
pub struct GenerationStream {
    state: Arc<Mutex<State>>,
    /// The generation's request id (set before the call): errors name it as `sparkRequestId`,
    /// as `generate()`'s do.
    request_id: Option<Arc<str>>,
}

impl GenerationStream {
    pub(crate) fn new(spark: spark_core::Spark, request: spark_core::GenerateRequest) -> Self {
        let request_id = request.request_id.as_deref().map(Arc::from);
        GenerationStream { state: Arc::new(Mutex::new(State::Pending(spark, Box::new(request)))), request_id }
    }
}

async fn advance(state: Arc<Mutex<State>>, id: Option<Arc<str>>) -> Option<wire::StreamEvent> {
    let mut state = state.lock().await;
    loop {
        match std::mem::replace(&mut *state, State::Finished) {
            State::Pending(spark, request) => {
                *state = State::Running(Box::pin(spark.generate_stream(*request)))
            }
            State::Running(mut events) => {
                return match events.next().await {
                    Some(Ok(event)) => {
                        if !matches!(event, spark_core::StreamEvent::Done { .. }) {
                            *state = State::Running(events);
                        }
                        Some(wire::StreamEvent(Ok((&event).into())))
                    }
                    Some(Err(error)) => Some(wire::StreamEvent(Err((error, id)))),
                    None => None,
                };
            }
            State::Finished => return None,
        }
    }
}

#[napi]
impl AsyncGenerator for GenerationStream {
    type Yield = wire::StreamEvent;
    type Next = ();
    type Return = ();

    fn next(
        &mut self,
        _value: Option<()>,
    ) -> impl Future<Output = napi::Result<Option<Self::Yield>>> + Send + 'static {
        let (state, id) = (self.state.clone(), self.request_id.clone());
        async move {
            Ok(AssertUnwindSafe(advance(state, id.clone()))
                .catch_unwind()
                .await
                .unwrap_or_else(|p| Some(wire::StreamEvent(Err((panic_error(p), id))))))
        }
    }

    fn complete(
        &mut self,
        _value: Option<()>,
    ) -> impl Future<Output = napi::Result<Option<Self::Yield>>> + Send + 'static {
        let state = self.state.clone();
        async move {
            // Dropping the core stream cancels the generation.
            *state.lock().await = State::Finished;
            Ok(None)
        }
    }
}

/// The yielded item. Named like the object it becomes so the generated `index.d.ts` reads
/// `AsyncGenerator<StreamEvent, …>`; a failure becomes the `SparkError` the iterator rejects
/// with (it can only be built on the JavaScript thread, which is where this conversion runs).
mod wire {
    use napi::bindgen_prelude::{ToNapiValue, sys};

    /// An event, or an error with the generation's request id.
    pub struct StreamEvent(
        pub Result<crate::types::StreamEvent, (spark_core::Error, Option<std::sync::Arc<str>>)>,
    );

    impl ToNapiValue for StreamEvent {
        unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
            match val.0 {
                // SAFETY: forwarded from napi's own call with the same environment.
                Ok(event) => unsafe { ToNapiValue::to_napi_value(env, event) },
                Err((error, id)) => {
                    Err(crate::error::to_js_for(&napi::Env::from_raw(env), &error, id.as_deref()))
                }
            }
        }
    }
}
