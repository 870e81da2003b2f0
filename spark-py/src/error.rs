//! Python exceptions, mapped from [`spark_core::ErrorCode`] in one table.
//!
//! The classes are made with Python's `type()` at import so that some can also derive from the
//! built-in exception a Python user would catch (`except ValueError`, `except TimeoutError`):
//! `create_exception!` allows a single base only.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use spark_core::{Error, ErrorCode};

/// One exception class: its parent in the table, an optional built-in mix-in, and the codes it
/// is raised for.
struct Class {
    name: &'static str,
    parent: Option<&'static str>,
    builtin: Option<&'static str>,
    codes: &'static [ErrorCode],
    doc: &'static str,
}

/// Parents come before their children. Codes not listed (added to the core later) raise
/// `SparkError` itself, still with the right `.code`.
const CLASSES: &[Class] = &[
    Class {
        name: "SparkError",
        parent: None,
        builtin: Some("Exception"),
        codes: &[],
        doc: "Base of every SPARK error. `.code` is the stable snake_case name of the error code, \
              `.code_number` its stable number.",
    },
    Class {
        name: "InvalidRequest",
        parent: Some("SparkError"),
        builtin: Some("ValueError"),
        codes: &[ErrorCode::InvalidRequest],
        doc: "The request is malformed (empty prompt, bad option).",
    },
    Class {
        name: "InputTooLarge",
        parent: Some("SparkError"),
        builtin: Some("ValueError"),
        codes: &[ErrorCode::InputTooLarge],
        doc: "An input exceeds a configured size limit (`.what`, `.size`, `.limit`).",
    },
    Class {
        name: "InputRejected",
        parent: Some("SparkError"),
        builtin: Some("ValueError"),
        codes: &[ErrorCode::InputRejected],
        doc: "An input guard (prompt injection, content filter) refused the request (`.guard`).",
    },
    Class {
        name: "ConfigError",
        parent: Some("SparkError"),
        builtin: Some("ValueError"),
        codes: &[ErrorCode::InvalidConfig],
        doc: "The configuration is invalid; `.field` names the bad field (`cache.max_bytes`).",
    },
    Class {
        name: "MissingApiKey",
        parent: Some("ConfigError"),
        builtin: None,
        codes: &[ErrorCode::MissingApiKey],
        doc: "A configured provider has no API key (`.provider`, `.env_var`).",
    },
    Class {
        name: "RateLimited",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::RateLimited],
        doc: "Rate limited by SPARK's per-caller limiter or by the provider (HTTP 429); \
              `.retry_after` is in seconds.",
    },
    Class {
        name: "QuotaExceeded",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::QuotaExceeded],
        doc: "A quota or budget is exhausted (provider `insufficient_quota`, SPARK budgets). Not retryable.",
    },
    Class {
        name: "ProviderError",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::ProviderRejected, ErrorCode::ProviderFailed],
        doc: "A provider failed or rejected the request (`.provider`, `.status`, `.error_type`, `.request_id`).",
    },
    Class {
        name: "AuthenticationError",
        parent: Some("ProviderError"),
        builtin: None,
        codes: &[ErrorCode::Authentication],
        doc: "The provider refused the credentials (401/403).",
    },
    Class {
        name: "Overloaded",
        parent: Some("ProviderError"),
        builtin: None,
        codes: &[ErrorCode::Overloaded],
        doc: "The provider is overloaded (Anthropic 529).",
    },
    Class {
        name: "ConnectionFailed",
        parent: Some("ProviderError"),
        builtin: Some("ConnectionError"),
        codes: &[ErrorCode::Connection],
        doc: "The connection to the provider failed or was reset.",
    },
    Class {
        name: "StreamTruncated",
        parent: Some("ProviderError"),
        builtin: None,
        codes: &[ErrorCode::StreamTruncated],
        doc: "The provider's stream ended before its terminal event (`.partial_text`).",
    },
    Class {
        name: "MalformedResponse",
        parent: Some("ProviderError"),
        builtin: None,
        codes: &[ErrorCode::MalformedResponse],
        doc: "The provider answered something that does not follow its wire format.",
    },
    Class {
        name: "Timeout",
        parent: Some("SparkError"),
        builtin: Some("TimeoutError"),
        codes: &[ErrorCode::Timeout],
        doc: "A deadline passed (`.stage`: connect, first_token, idle, total).",
    },
    Class {
        name: "CircuitOpen",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::CircuitOpen],
        doc: "The provider's circuit breaker is open; no call was made (`.retry_after`).",
    },
    Class {
        name: "QueueFull",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::QueueFull],
        doc: "The admission queue is full.",
    },
    Class {
        name: "Cancelled",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::Cancelled],
        doc: "The operation was cancelled.",
    },
    Class {
        name: "NoCode",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::NoCode],
        doc: "The model reply contained no C# code.",
    },
    Class {
        name: "ValidationFailed",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::ValidationFailed],
        doc: "Blocking diagnostics remained after repair (`.diagnostics`).",
    },
    Class {
        name: "ExportError",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::Export],
        doc: "An export could not be produced.",
    },
    Class {
        name: "UnsafeArchive",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::UnsafeArchive],
        doc: "An archive given to the import side is unsafe (zip-slip, zip bomb).",
    },
    Class {
        name: "SparkIOError",
        parent: Some("SparkError"),
        builtin: Some("OSError"),
        codes: &[ErrorCode::Io],
        doc: "An I/O error (writing an export to a path…).",
    },
    Class {
        name: "InvalidArgument",
        parent: Some("SparkError"),
        builtin: Some("ValueError"),
        codes: &[ErrorCode::InvalidArgument],
        doc: "A value crossing into SPARK is not valid (unknown export format…).",
    },
    Class {
        name: "InternalError",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::Internal],
        doc: "A bug in SPARK; please report it.",
    },
    Class {
        name: "Unauthenticated",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::Unauthenticated],
        doc: "The caller could not be authenticated: a request signature or caller key failed \
              (`.reason`: `bad_signature`, `replayed`, `expired`, `body_mismatch`, `unknown_key`…).",
    },
    Class {
        name: "OutputBlocked",
        parent: Some("SparkError"),
        builtin: None,
        codes: &[ErrorCode::OutputBlocked],
        doc: "The output policy held the result back (blocking security findings, rule ids in \
              `.rules`); export it with `allow_unsafe=True` to override.",
    },
    Class {
        name: "Forbidden",
        parent: Some("SparkError"),
        builtin: Some("PermissionError"),
        codes: &[ErrorCode::Forbidden],
        doc: "The caller key is valid but lacks the scope the operation needs (`.scope`).",
    },
];

/// Attributes every `SparkError` has (None unless the error carries them), so `err.status`
/// never raises `AttributeError`.
const ATTRIBUTES: &[&str] = &[
    "code",
    "code_number",
    "message",
    "retry_after",
    "provider",
    "status",
    "error_type",
    "request_id",
    "partial_text",
    "field",
    "env_var",
    "caller",
    "guard",
    "reason",
    "what",
    "size",
    "limit",
    "stage",
    "scope",
    "diagnostics",
    "rules",
];

static TYPES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

fn build_types(py: Python<'_>) -> PyResult<Vec<Py<PyType>>> {
    let builtins = py.import("builtins")?;
    let make_type = builtins.getattr("type")?;
    let mut made: Vec<Py<PyType>> = Vec::with_capacity(CLASSES.len());
    for class in CLASSES {
        let mut bases: Vec<Bound<'_, PyAny>> = Vec::new();
        if let Some(parent) = class.parent {
            let i = index_of(parent);
            bases.push(made[i].bind(py).clone().into_any());
        }
        if let Some(builtin) = class.builtin {
            bases.push(builtins.getattr(builtin)?);
        }
        let dict = PyDict::new(py);
        dict.set_item("__module__", "spark")?;
        dict.set_item("__doc__", class.doc)?;
        if class.parent.is_none() {
            for attr in ATTRIBUTES {
                dict.set_item(*attr, py.None())?;
            }
            // A SparkError raised by hand (or a code added to the core later) reads as internal.
            dict.set_item("message", "")?;
        }
        let code = class.codes.first().copied().unwrap_or(ErrorCode::Internal);
        dict.set_item("code", code.as_str())?;
        dict.set_item("code_number", code.as_u32())?;
        let ty = make_type.call1((class.name, PyTuple::new(py, bases)?, dict))?.cast_into::<PyType>()?;
        made.push(ty.unbind());
    }
    Ok(made)
}

fn index_of(name: &str) -> usize {
    CLASSES.iter().position(|c| c.name == name).unwrap_or(0)
}

fn types(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    TYPES.get_or_try_init(py, || build_types(py))
}

/// Adds every exception class and the `ERROR_CODES` table (name → number) to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (class, ty) in CLASSES.iter().zip(types(py)?) {
        m.add(class.name, ty.bind(py))?;
    }
    let codes = PyDict::new(py);
    for code in ErrorCode::ALL {
        codes.set_item(code.as_str(), code.as_u32())?;
    }
    m.add("ERROR_CODES", codes)?;
    Ok(())
}

/// The exception class raised for `code`.
fn class_for(py: Python<'_>, code: ErrorCode) -> PyResult<Bound<'_, PyType>> {
    let i = CLASSES.iter().position(|c| c.codes.contains(&code)).unwrap_or(0);
    Ok(types(py)?[i].bind(py).clone())
}

/// The Python exception for a SPARK error: the class for its code, with every detail the error
/// carries as attributes. Messages come from the core's `Display`, which never shows secrets.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    build(py, error).unwrap_or_else(|e| e)
}

/// The exception for an error of the generation `request_id` (SPARK's id, as
/// `.spark_request_id`; `.request_id` stays the provider's), reported to the error tracker
/// (feature `sentry`).
pub fn to_py_err_for(py: Python<'_>, error: &Error, request_id: Option<&str>) -> PyErr {
    spark_core::observe::report::report_error(error, request_id, "python");
    let err = to_py_err(py, error);
    // Only fails when Python itself is failing; the exception is still raised.
    let _ = err.value(py).setattr("spark_request_id", request_id);
    err
}

/// Same as [`to_py_err_for`], from code that does not hold the GIL (async tasks).
pub fn to_py_err_detached_for(error: &Error, request_id: Option<&str>) -> PyErr {
    Python::attach(|py| to_py_err_for(py, error, request_id))
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let code = error.code();
    let message = error.to_string();
    let exc = class_for(py, code)?.call1((message.as_str(),))?;
    exc.setattr("code", code.as_str())?;
    exc.setattr("code_number", code.as_u32())?;
    exc.setattr("message", message)?;
    // Set by `to_py_err_for` on a generation's errors.
    exc.setattr("spark_request_id", py.None())?;
    exc.setattr("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    exc.setattr("partial_text", error.partial_text())?;
    if let Some(p) = error.provider_error() {
        exc.setattr("provider", p.provider.as_str())?;
        exc.setattr("status", p.status)?;
        exc.setattr("error_type", p.error_type.as_deref())?;
        exc.setattr("request_id", p.request_id.as_deref())?;
    }
    match error {
        Error::Config { field, .. } => exc.setattr("field", field)?,
        Error::MissingApiKey { provider, env_var } => {
            exc.setattr("provider", provider)?;
            exc.setattr("env_var", env_var)?;
        }
        Error::RateLimited { caller, .. } => exc.setattr("caller", caller)?,
        Error::InputRejected { guard, .. } => exc.setattr("guard", guard)?,
        Error::Unauthenticated { reason, .. } => exc.setattr("reason", reason)?,
        Error::OutputBlocked { rules } => exc.setattr("rules", rules.clone())?,
        Error::Forbidden { scope, .. } => exc.setattr("scope", scope)?,
        Error::InputTooLarge { what, size, limit } => {
            exc.setattr("what", what)?;
            exc.setattr("size", size)?;
            exc.setattr("limit", limit)?;
        }
        Error::Timeout { stage, .. } => exc.setattr("stage", stage.as_str())?,
        Error::CircuitOpen { provider, .. } => exc.setattr("provider", provider)?,
        Error::BudgetExceeded { scope, .. } => exc.setattr("scope", scope)?,
        Error::ValidationFailed { diagnostics } => {
            let list: Vec<crate::pyview::Diagnostic> =
                diagnostics.iter().cloned().map(crate::pyview::Diagnostic::from).collect();
            exc.setattr("diagnostics", list)?;
        }
        _ => {}
    }
    Ok(PyErr::from_value(exc))
}

/// A `SparkError` subclass for an error made on this side of the boundary.
pub fn invalid_argument(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::InvalidArgument(message.into()))
}

/// The background task ended without an answer (it panicked or was dropped).
pub fn lost_task(py: Python<'_>) -> PyErr {
    to_py_err(py, &Error::Internal("the SPARK task ended without a result".into()))
}

/// [`lost_task`] for the generation `request_id`: most often a panic, reported as one.
pub fn lost_generation(py: Python<'_>, request_id: Option<&str>) -> PyErr {
    spark_core::observe::report::report_panic(request_id, "python");
    let err = lost_task(py);
    let _ = err.value(py).setattr("spark_request_id", request_id);
    err
}
