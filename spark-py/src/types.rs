//! Python views of the core's result types. Each is a frozen class; attributes are read-only.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use spark_core::{ExportFormat, StreamEvent};

use crate::error::{invalid_argument, to_py_err};
use crate::pyview::serde_field;
use crate::pyview::{Blocked, Diagnostic, ScriptFile, Usage, Verdict, json_to_py, repr_str};

/// The result of one generation. `export()` uses the settings of the client that made it.
#[pyclass(frozen, module = "spark", name = "GeneratedScripts")]
pub struct GeneratedScripts {
    inner: Arc<spark_core::GeneratedScripts>,
    spark: spark_core::Spark,
}

impl GeneratedScripts {
    pub fn new(inner: spark_core::GeneratedScripts, spark: spark_core::Spark) -> Self {
        GeneratedScripts { inner: Arc::new(inner), spark }
    }

    pub fn core(&self) -> &spark_core::GeneratedScripts {
        &self.inner
    }
}

/// Parses an export format name (`zip`, `upm`, `unitypackage`) the way the core spells them.
pub fn parse_format(py: Python<'_>, format: &str) -> PyResult<ExportFormat> {
    serde_json::from_value(serde_json::Value::String(format.to_ascii_lowercase()))
        .map_err(|_| invalid_argument(py, format!("unknown export format `{format}`")))
}

/// Builds the archive with the GIL released; returns bytes, or writes `path` and returns None.
pub fn export_to(
    py: Python<'_>,
    spark: &spark_core::Spark,
    scripts: &spark_core::GeneratedScripts,
    format: &str,
    path: Option<PathBuf>,
    allow_unsafe: bool,
) -> PyResult<Option<Py<PyBytes>>> {
    let format = parse_format(py, format)?;
    let result = py.detach(|| -> spark_core::Result<Option<Vec<u8>>> {
        let bytes = if allow_unsafe {
            let mut config = spark.config().export.clone();
            config.allow_unsafe = true;
            spark_core::export::export_generated(scripts, format, &config)?
        } else {
            spark.export(scripts, format)?
        };
        match path {
            Some(path) => {
                std::fs::write(&path, &bytes)?;
                Ok(None)
            }
            None => Ok(Some(bytes)),
        }
    });
    match result {
        Ok(Some(bytes)) => Ok(Some(PyBytes::new(py, &bytes).unbind())),
        Ok(None) => Ok(None),
        Err(e) => Err(to_py_err(py, &e)),
    }
}

#[pymethods]
impl GeneratedScripts {
    /// The C# files.
    #[getter]
    fn files(&self) -> Vec<ScriptFile> {
        self.inner.files.iter().map(ScriptFile::from).collect()
    }
    /// Diagnostics of the kept round, sorted by file and position.
    #[getter]
    fn diagnostics(&self) -> Vec<Diagnostic> {
        self.inner.diagnostics.iter().cloned().map(Diagnostic::from).collect()
    }
    #[getter]
    fn usage(&self) -> Usage {
        Usage::from(self.inner.usage)
    }
    #[getter]
    fn cost_usd(&self) -> Option<f64> {
        self.inner.cost_usd
    }
    #[getter]
    fn provider(&self) -> &str {
        &self.inner.provider
    }
    #[getter]
    fn model(&self) -> &str {
        &self.inner.model
    }
    #[getter]
    fn offline(&self) -> bool {
        self.inner.offline
    }
    /// The raw reply of the kept round.
    #[getter]
    fn raw(&self) -> &str {
        &self.inner.raw
    }
    /// Every round of the generate → validate → repair loop, as dicts.
    #[getter]
    fn rounds<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::to_string(&self.inner.rounds).unwrap_or_else(|_| "[]".into()))
    }
    /// Why the model stopped in the kept round (`end_turn`, `max_tokens`…), if known.
    #[getter]
    fn stop_reason(&self) -> Option<String> {
        self.inner.stop_reason.as_ref().map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => String::new(),
        })
    }
    #[getter]
    fn request_id(&self) -> Option<&str> {
        Some(&self.inner.request_id)
    }
    #[getter]
    fn request_hash(&self) -> &str {
        &self.inner.request_hash
    }
    /// What the guards said: warnings and notes, and the output policy's blocks (an input
    /// guard's block is an `InputRejected` instead).
    #[getter]
    fn verdicts(&self) -> Vec<Verdict> {
        self.inner.verdicts.iter().cloned().map(Verdict::from).collect()
    }
    /// Set when the output policy held the result back (`files` is then empty).
    #[getter]
    fn blocked(&self) -> Option<Blocked> {
        self.inner.blocked.clone().map(Blocked::from)
    }

    /// Builds an archive: `zip`, `upm` or `unitypackage`. Returns the bytes, or writes them to
    /// `path` and returns None. A blocked result raises `OutputBlocked` unless `allow_unsafe`.
    #[pyo3(signature = (format = "zip", *, path = None, allow_unsafe = false))]
    fn export(
        &self,
        py: Python<'_>,
        format: &str,
        path: Option<PathBuf>,
        allow_unsafe: bool,
    ) -> PyResult<Option<Py<PyBytes>>> {
        export_to(py, &self.spark, &self.inner, format, path, allow_unsafe)
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_field(py, &*self.inner, "GeneratedScripts", name)
    }

    /// The whole result as JSON (the core's serde form, shared with the other bindings).
    fn to_json(&self) -> String {
        serde_json::to_string(&*self.inner).unwrap_or_default()
    }

    /// The whole result as plain dicts and lists.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.to_json())
    }

    fn __repr__(&self) -> String {
        let files: Vec<String> = self.inner.files.iter().map(|f| repr_str(&f.path)).collect();
        let cost = self.inner.cost_usd.map(|c| format!("{c:?}")).unwrap_or_else(|| "None".into());
        format!(
            "GeneratedScripts(provider={}, model={}, files=[{}], diagnostics={}, usage={}, cost_usd={}, rounds={}{})",
            repr_str(&self.inner.provider),
            repr_str(&self.inner.model),
            files.join(", "),
            self.inner.diagnostics.len(),
            Usage::from(self.inner.usage).__repr__(),
            cost,
            self.inner.rounds.len(),
            match &self.inner.blocked {
                Some(b) => format!(", blocked={:?}", b.rules),
                None => String::new(),
            }
        )
    }
}

/// `StreamEvent.Started`: the provider started answering.
#[pyclass(frozen, module = "spark", name = "Started")]
pub struct Started {
    #[pyo3(get)]
    provider: String,
    #[pyo3(get)]
    model: String,
}

#[pymethods]
impl Started {
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "started"
    }
    fn __repr__(&self) -> String {
        format!("Started(provider={}, model={})", repr_str(&self.provider), repr_str(&self.model))
    }
}

/// A piece of the reply's text.
#[pyclass(frozen, module = "spark", name = "Delta")]
pub struct Delta {
    #[pyo3(get)]
    text: String,
}

#[pymethods]
impl Delta {
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "delta"
    }
    fn __repr__(&self) -> String {
        format!("Delta(text={})", repr_str(&self.text))
    }
}

/// A repair round is starting.
#[pyclass(frozen, module = "spark", name = "Repairing")]
pub struct Repairing {
    #[pyo3(get)]
    round: u32,
}

#[pymethods]
impl Repairing {
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "repairing"
    }
    fn __repr__(&self) -> String {
        format!("Repairing(round={})", self.round)
    }
}

/// The diagnostics of the final files.
#[pyclass(frozen, module = "spark", name = "Diagnostics")]
pub struct Diagnostics {
    diagnostics: Vec<spark_core::Diagnostic>,
}

#[pymethods]
impl Diagnostics {
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "diagnostics"
    }
    #[getter]
    fn diagnostics(&self) -> Vec<Diagnostic> {
        self.diagnostics.iter().cloned().map(Diagnostic::from).collect()
    }
    fn __repr__(&self) -> String {
        format!("Diagnostics(count={})", self.diagnostics.len())
    }
}

/// The finished result; always the last event of a successful stream.
#[pyclass(frozen, module = "spark", name = "Done")]
pub struct Done {
    result: Py<GeneratedScripts>,
}

#[pymethods]
impl Done {
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "done"
    }
    #[getter]
    fn result(&self, py: Python<'_>) -> Py<GeneratedScripts> {
        self.result.clone_ref(py)
    }
    fn __repr__(&self) -> String {
        format!("Done(result={})", self.result.get().__repr__())
    }
}

/// A core stream event on its way to Python; converted where the GIL is held.
pub struct Event(pub StreamEvent, pub spark_core::Spark);

impl<'py> IntoPyObject<'py> for Event {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.0 {
            StreamEvent::Started { provider, model, .. } => {
                Bound::new(py, Started { provider, model })?.into_any()
            }
            StreamEvent::Delta { text } => Bound::new(py, Delta { text })?.into_any(),
            StreamEvent::Repairing { round } => Bound::new(py, Repairing { round })?.into_any(),
            StreamEvent::Diagnostics { diagnostics } => {
                Bound::new(py, Diagnostics { diagnostics })?.into_any()
            }
            StreamEvent::Done { result } => {
                let result = Py::new(py, GeneratedScripts::new(*result, self.1))?;
                Bound::new(py, Done { result })?.into_any()
            }
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "unknown stream event {other:?}"
                )));
            }
        })
    }
}
