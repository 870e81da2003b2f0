//! `EventStream`: a generation's progress as an async (or plain) iterator.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use spark_core::StreamEvent;
use tokio::sync::Mutex;

use crate::error::{to_py_err_detached_for, to_py_err_for};
use crate::types::Event;

type Events = BoxStream<'static, spark_core::Result<StreamEvent>>;

/// Progress events of one generation. `async for` or `for` over it; the last event is `Done`.
/// Closing it (or dropping it) cancels the generation.
#[pyclass(frozen, module = "spark", name = "EventStream")]
pub struct EventStream {
    // None once finished or closed. A tokio mutex: `__anext__` holds it across an await.
    events: Arc<Mutex<Option<Events>>>,
    spark: spark_core::Spark,
    /// SPARK's request id, named by the errors of this generation.
    request_id: Option<String>,
}

impl EventStream {
    pub fn new(events: Events, spark: spark_core::Spark, request_id: Option<String>) -> Self {
        EventStream { events: Arc::new(Mutex::new(Some(events))), spark, request_id }
    }
}

/// What one pull from the stream gave.
enum Pulled {
    Event(StreamEvent),
    Failed(spark_core::Error),
    End,
}

async fn pull(events: &Mutex<Option<Events>>) -> Pulled {
    let mut guard = events.lock().await;
    let Some(stream) = guard.as_mut() else { return Pulled::End };
    match stream.next().await {
        Some(Ok(event)) => {
            if matches!(event, StreamEvent::Done { .. }) {
                *guard = None;
            }
            Pulled::Event(event)
        }
        Some(Err(e)) => {
            *guard = None;
            Pulled::Failed(e)
        }
        None => {
            *guard = None;
            Pulled::End
        }
    }
}

#[pymethods]
impl EventStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = self.events.clone();
        let spark = self.spark.clone();
        let rid = self.request_id.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            match pull(&events).await {
                Pulled::Event(event) => Ok(Event(event, spark)),
                Pulled::Failed(e) => Err(to_py_err_detached_for(&e, rid.as_deref())),
                Pulled::End => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Blocks for the next event with the GIL released, letting Ctrl-C through.
    fn __next__(&self, py: Python<'_>) -> PyResult<Event> {
        let events = &self.events;
        loop {
            // Not `Runtime::block_on`: that panics when the caller is itself on a runtime thread
            // (a callback of `agenerate`); this executor blocks any thread safely.
            let pulled = py.detach(|| {
                crate::block(|| {
                    let _rt = crate::runtime().enter();
                    futures::executor::block_on(async {
                        tokio::time::timeout(crate::SIGNAL_POLL, pull(events)).await.ok()
                    })
                })
            });
            match pulled {
                Some(Pulled::Event(event)) => return Ok(Event(event, self.spark.clone())),
                Some(Pulled::Failed(e)) => return Err(to_py_err_for(py, &e, self.request_id.as_deref())),
                Some(Pulled::End) => return Err(PyStopIteration::new_err(())),
                None => py.check_signals()?,
            }
        }
    }

    /// Stops the generation; later iteration ends at once.
    fn close(&self, py: Python<'_>) {
        let events = &self.events;
        py.detach(|| crate::block(|| futures::executor::block_on(async { events.lock().await.take() })));
    }

    /// Async form of `close()`.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = self.events.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            events.lock().await.take();
            Ok(())
        })
    }

    fn __repr__(&self) -> String {
        let open = self.events.try_lock().map(|g| g.is_some()).unwrap_or(true);
        format!("EventStream({})", if open { "open" } else { "finished" })
    }
}
