//! SPARK's `tracing` events to Python's `logging` (logger `"spark"`), filtered by `SPARK_LOG`.

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

/// The sink: runs on whatever thread logged. While the interpreter shuts down nothing is
/// delivered (attaching would fail), and a failing handler is ignored like `logging` does.
fn deliver(record: &Record<'_>) {
    Python::try_attach(|py| {
        if let Err(e) = emit(py, record) {
            drop(e);
        }
    });
}

/// Installs the subscriber; called once when the module loads.
pub fn install() {
    // This extension has its own copy of `tracing`'s globals, so nothing else can own them.
    let _ = hostlog::install(deliver);
}

/// Replaces the log filter (env-filter syntax like `SPARK_LOG`: `"warn"`,
/// `"spark_core=debug"`; empty means `"warn"`). Raises `InvalidArgument` for invalid syntax.
#[pyfunction]
pub fn set_log_filter(py: Python<'_>, filter: &str) -> PyResult<()> {
    hostlog::set_filter(filter).map_err(|e| crate::error::invalid_argument(py, e))
}
