//! SPARK's `tracing` events to Python's `logging` (logger `"spark"`), filtered by `SPARK_LOG`.

use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, sync_channel};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

#[path = "../../spark-ffi/src/hostlog.rs"]
mod hostlog;

use hostlog::Record;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `logging` levels of the records' level numbers (error 1 … trace 5; TRACE has no name in
/// `logging`, 5 sits below DEBUG).
fn python_level(level: u32) -> u32 {
    match level {
        1 => 40,
        2 => 30,
        3 => 20,
        4 => 10,
        _ => 5,
    }
}

fn emit(py: Python<'_>, record: &Record<'_>) -> PyResult<()> {
    let logger = LOGGER.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("logging")?.call_method1("getLogger", ("spark",))?.unbind())
    })?;
    let logger = logger.bind(py);
    let level = python_level(record.level);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let kwargs = PyDict::new(py);
    let extra = PyDict::new(py);
    extra.set_item("spark_target", record.target)?;
    kwargs.set_item("extra", extra)?;
    // `%s` keeps a `%` inside the message from being read as a format.
    logger.call_method("log", (level, "%s", record.message), Some(&kwargs))?;
    Ok(())
}

/// Records waiting for the delivery thread; beyond this many, new ones are dropped.
const QUEUE: usize = 1024;

static SENDER: OnceLock<SyncSender<(u32, String, String)>> = OnceLock::new();

/// The sink: queues the record and returns at once. The thread that logged may hold a lock that
/// the thread holding the GIL waits for, so it must never wait for the GIL itself; one delivery
/// thread does, in order.
fn deliver(record: &Record<'_>) {
    let Some(tx) = SENDER.get() else { return };
    // A full queue (a flood, or Python busy for long) drops the record rather than block.
    let _ = tx.try_send((record.level, record.target.to_owned(), record.message.to_owned()));
}

/// Starts the delivery thread. While the interpreter shuts down nothing is delivered (attaching
/// fails), and a failing handler is ignored like `logging` does.
fn start_delivery() -> Option<SyncSender<(u32, String, String)>> {
    let (tx, rx) = sync_channel::<(u32, String, String)>(QUEUE);
    std::thread::Builder::new()
        .name("spark-log".into())
        .spawn(move || {
            for (level, target, message) in rx {
                let record = Record { level, target: &target, message: &message };
                Python::try_attach(|py| {
                    if let Err(e) = emit(py, &record) {
                        drop(e);
                    }
                });
            }
        })
        .ok()?;
    Some(tx)
}

/// Installs the subscriber; called once when the module loads.
pub fn install() {
    if let Some(tx) = start_delivery() {
        let _ = SENDER.set(tx);
    }
    // This extension has its own copy of `tracing`'s globals, so nothing else can own them.
    let _ = hostlog::install(deliver);
}

/// Replaces the log filter (env-filter syntax like `SPARK_LOG`: `"warn"`,
/// `"spark_core=debug"`; empty means `"warn"`). Raises `InvalidArgument` for invalid syntax.
#[pyfunction]
pub fn set_log_filter(py: Python<'_>, filter: &str) -> PyResult<()> {
    hostlog::set_filter(filter).map_err(|e| crate::error::invalid_argument(py, e))
}
