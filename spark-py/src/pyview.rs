//! Python views of the core's plain values (files, findings, usage) and the helpers every view
//! shares. Nothing here depends on the rest of the binding, so errors and results can both use it.

use pyo3::prelude::*;

/// `obj.name` for a field of the core's serde form that has no typed getter (yet): fields added
/// to spark-core reach Python without a change here. `AttributeError` when there is no such field.
pub(crate) fn serde_field<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
    type_name: &str,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let field = match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(mut map)) if !name.starts_with('_') => map.remove(name),
        _ => None,
    };
    match field {
        Some(v) => json_to_py(py, &v.to_string()),
        None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
            "'{type_name}' object has no attribute '{name}'"
        ))),
    }
}

/// Python's `repr` of a string: single quotes unless the text holds one and no double quote.
pub(crate) fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// One generated C# file.
#[pyclass(frozen, eq, hash, module = "spark", name = "ScriptFile")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScriptFile {
    /// Path relative to the scripts folder (`Player.cs`, `Editor/PlayerEditor.cs`).
    #[pyo3(get)]
    path: String,
    /// The C# source.
    #[pyo3(get)]
    content: String,
    /// The name exactly as the model wrote it (untrusted: never use it as a path), or None.
    #[pyo3(get)]
    raw_path: Option<String>,
    /// The core's serde form, for fields without a typed getter.
    json: String,
}

#[pymethods]
impl ScriptFile {
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let value: serde_json::Value = serde_json::from_str(&self.json).unwrap_or_default();
        serde_field(py, &value, "ScriptFile", name)
    }
    fn __repr__(&self) -> String {
        format!("ScriptFile(path={}, lines={})", repr_str(&self.path), self.content.lines().count())
    }
}

impl From<&spark_core::ScriptFile> for ScriptFile {
    fn from(f: &spark_core::ScriptFile) -> Self {
        ScriptFile {
            path: f.path.clone(),
            content: f.content.clone(),
            raw_path: f.raw_path.clone(),
            json: serde_json::to_string(f).unwrap_or_default(),
        }
    }
}

/// One validation finding, located like a compiler does (1-based lines and character columns).
#[pyclass(frozen, eq, hash, module = "spark", name = "Diagnostic")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic(spark_core::Diagnostic);

impl From<spark_core::Diagnostic> for Diagnostic {
    fn from(d: spark_core::Diagnostic) -> Self {
        Diagnostic(d)
    }
}

#[pymethods]
impl Diagnostic {
    /// `"error"`, `"warning"` or `"info"`.
    #[getter]
    fn severity(&self) -> String {
        self.0.severity.to_string()
    }
    /// Stable rule id (`SPK0001`).
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    #[getter]
    fn file(&self) -> &str {
        &self.0.file
    }
    #[getter]
    fn line(&self) -> u32 {
        self.0.line
    }
    #[getter]
    fn column(&self) -> u32 {
        self.0.column
    }
    #[getter]
    fn end_line(&self) -> u32 {
        self.0.end_line
    }
    #[getter]
    fn end_column(&self) -> u32 {
        self.0.end_column
    }
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_field(py, &self.0, "Diagnostic", name)
    }
    fn __str__(&self) -> String {
        self.0.to_string()
    }
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({} {} at {}:{}:{}: {})",
            self.0.severity,
            self.0.rule,
            self.0.file,
            self.0.line,
            self.0.column,
            repr_str(&self.0.message)
        )
    }
}

/// One guard finding: which guard and detector, how sure, what was done.
#[pyclass(frozen, module = "spark", name = "Verdict")]
#[derive(Clone)]
pub struct Verdict(spark_core::Verdict);

impl From<spark_core::Verdict> for Verdict {
    fn from(v: spark_core::Verdict) -> Self {
        Verdict(v)
    }
}

#[pymethods]
impl Verdict {
    /// The guard (`prompt_injection`, `content`, or a custom guard's name).
    #[getter]
    fn guard(&self) -> &str {
        &self.0.guard
    }
    /// The detector or category that fired (`instruction_override`, `keylogger`…).
    #[getter]
    fn detector(&self) -> &str {
        &self.0.detector
    }
    /// How sure, 0–1.
    #[getter]
    fn score(&self) -> f32 {
        self.0.score
    }
    /// `"allow"`, `"warn"` or `"block"`.
    #[getter]
    fn action(&self) -> String {
        match serde_json::to_value(self.0.action) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    /// The byte range of the (cleaned) prompt that triggered it, if any.
    #[getter]
    fn span(&self) -> Option<(usize, usize)> {
        self.0.span
    }
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_field(py, &self.0, "Verdict", name)
    }
    fn __repr__(&self) -> String {
        format!(
            "Verdict({}/{} {} score={:.2}: {})",
            self.0.guard,
            self.0.detector,
            self.action(),
            self.0.score,
            repr_str(&self.0.message)
        )
    }
}

/// Tokens used.
#[pyclass(frozen, eq, hash, module = "spark", name = "Usage")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Usage(spark_core::provider::Usage);

impl From<spark_core::provider::Usage> for Usage {
    fn from(u: spark_core::provider::Usage) -> Self {
        Usage(u)
    }
}

#[pymethods]
impl Usage {
    #[getter]
    fn input_tokens(&self) -> u64 {
        self.0.input_tokens
    }
    #[getter]
    fn output_tokens(&self) -> u64 {
        self.0.output_tokens
    }
    #[getter]
    fn total_tokens(&self) -> u64 {
        self.0.total()
    }
    /// Of `input_tokens`, those read from the provider's prompt cache.
    #[getter]
    fn cache_read_tokens(&self) -> u64 {
        self.0.cache_read_tokens
    }
    /// Of `input_tokens`, those written to the provider's prompt cache.
    #[getter]
    fn cache_write_tokens(&self) -> u64 {
        self.0.cache_write_tokens
    }
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_field(py, &self.0, "Usage", name)
    }
    pub(crate) fn __repr__(&self) -> String {
        format!("Usage(input_tokens={}, output_tokens={})", self.0.input_tokens, self.0.output_tokens)
    }
}

/// Parses JSON text into Python objects with the standard library.
pub fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Why the output policy held a result back, and the files it held back.
#[pyclass(frozen, module = "spark", name = "Blocked")]
#[derive(Clone)]
pub struct Blocked(spark_core::Blocked);

impl From<spark_core::Blocked> for Blocked {
    fn from(b: spark_core::Blocked) -> Self {
        Blocked(b)
    }
}

#[pymethods]
impl Blocked {
    /// Rule ids of the blocking findings, sorted (`["SPK2001", "SPK2009"]`).
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.0.rules.clone()
    }
    /// The blocking findings (also in the result's `diagnostics`).
    #[getter]
    fn findings(&self) -> Vec<Diagnostic> {
        self.0.findings.iter().cloned().map(Diagnostic::from).collect()
    }
    /// The generated files, secrets redacted, held back for review; export refuses them unless
    /// `allow_unsafe=True`.
    #[getter]
    fn withheld_files(&self) -> Vec<ScriptFile> {
        self.0.withheld_files.iter().map(ScriptFile::from).collect()
    }
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_field(py, &self.0, "Blocked", name)
    }
    fn __repr__(&self) -> String {
        format!("Blocked(rules={:?}, withheld_files={})", self.0.rules, self.0.withheld_files.len())
    }
}
