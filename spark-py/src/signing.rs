//! Request signing for Python hosts that relay requests (`spark.RequestSigner`,
//! `spark.RequestVerifier`); a failed check raises `spark.Unauthenticated` with `.reason`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyMapping;
use spark_core::ApiKey;
use spark_core::guard::signing::{self, SignedHeaders};

use crate::error::{invalid_argument, to_py_err};

/// Signs requests with one shared key: `sign()` gives the five `x-spark-*` headers to send.
#[pyclass(frozen, module = "spark", name = "RequestSigner")]
pub struct RequestSigner {
    inner: signing::RequestSigner,
    key_id: String,
}

#[pymethods]
impl RequestSigner {
    #[new]
    fn new(py: Python<'_>, key_id: String, secret: String) -> PyResult<Self> {
        let inner = signing::RequestSigner::new(key_id.clone(), ApiKey::new(secret))
            .map_err(|e| to_py_err(py, &e))?;
        Ok(RequestSigner { inner, key_id })
    }

    /// The signing headers for `method` `path` with `body`, signed now with a fresh nonce.
    fn sign(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> PyResult<BTreeMap<&'static str, String>> {
        let headers = self.inner.sign(method, path, body).map_err(|e| to_py_err(py, &e))?;
        Ok(headers.to_pairs().into_iter().collect())
    }

    fn __repr__(&self) -> String {
        format!("RequestSigner(key_id={})", crate::pyview::repr_str(&self.key_id))
    }
}

/// Verifies signed requests against active keys (`{key_id: secret}`), with a clock-skew window
/// and an in-process replay window of at most `max_nonces` nonces.
#[pyclass(frozen, module = "spark", name = "RequestVerifier")]
pub struct RequestVerifier {
    inner: signing::RequestVerifier,
}

#[pymethods]
impl RequestVerifier {
    #[new]
    #[pyo3(signature = (keys, window_seconds = 300.0, max_nonces = 100_000))]
    fn new(
        py: Python<'_>,
        keys: HashMap<String, String>,
        window_seconds: f64,
        max_nonces: usize,
    ) -> PyResult<Self> {
        if !(window_seconds.is_finite() && (1.0..=86_400.0).contains(&window_seconds)) {
            return Err(invalid_argument(py, "window_seconds must be between 1 and 86400"));
        }
        if keys.is_empty() {
            return Err(invalid_argument(py, "at least one key is needed"));
        }
        let keys = keys.into_iter().map(|(id, secret)| (id, ApiKey::new(secret)));
        let window = Duration::from_secs_f64(window_seconds);
        Ok(RequestVerifier { inner: signing::RequestVerifier::new(keys, window, max_nonces) })
    }

    /// Checks a request (headers: any mapping, names matched without regard to case) and returns
    /// the id of the key that signed it; raises `Unauthenticated` with `.reason` otherwise.
    fn verify(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        headers: &Bound<'_, PyMapping>,
        body: &[u8],
    ) -> PyResult<String> {
        let mut lower: HashMap<String, String> = HashMap::new();
        for item in headers.items()?.iter() {
            let (name, value): (String, String) = item.extract()?;
            lower.insert(name.to_ascii_lowercase(), value);
        }
        let parsed = SignedHeaders::from_lookup(|n| lower.get(n).map(String::as_str))
            .map_err(|e| to_py_err(py, &e.into()))?;
        let inner = &self.inner;
        // The in-process nonce store never waits; a shared one may, so the GIL is let go.
        let verified = py.detach(|| futures::executor::block_on(inner.verify(method, path, &parsed, body)));
        verified.map_err(|e| to_py_err(py, &e.into()))
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
