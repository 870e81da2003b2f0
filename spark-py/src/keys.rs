//! Caller keys from Python (`spark.keys.create`, `list`, `revoke`, `verify`): a failed check
//! raises `spark.Unauthenticated` with `.reason`, a missing scope `spark.Forbidden` with `.scope`.

use std::time::Duration;

use pyo3::prelude::*;
use spark_core::KeySpec;

use crate::error::invalid_argument;
use crate::{to_python, wait};

/// The caller keys of a client: kept in the ledger's database (`[ledger] path`; memory without
/// one) as salted hashes.
#[pyclass(frozen, module = "spark", name = "KeyManager")]
pub struct KeyManager {
    pub(crate) spark: spark_core::Spark,
}

/// A key just created: `key` is its only copy (the store keeps a hash). Its repr shows the id,
/// never the key.
#[pyclass(frozen, module = "spark", name = "CreatedKey")]
pub struct CreatedKey {
    /// The key to hand to the caller (`spk_…`).
    #[pyo3(get)]
    key: String,
    /// Its description (`id`, `caller`, `scopes`, `tier`, `name`, times in ms).
    #[pyo3(get)]
    info: Py<PyAny>,
    id: String,
}

#[pymethods]
impl CreatedKey {
    fn __repr__(&self) -> String {
        format!("CreatedKey(id={}, key=[redacted])", crate::pyview::repr_str(&self.id))
    }
}

#[pymethods]
impl KeyManager {
    /// Creates a key for `caller` (scopes default to `["generate"]`; `tier` a `[tiers]` name;
    /// `expires_in` seconds from now). The answer's `key` is shown this once.
    #[pyo3(signature = (caller, *, scopes = None, tier = None, name = None, expires_in = None))]
    fn create(
        &self,
        py: Python<'_>,
        caller: String,
        scopes: Option<Vec<String>>,
        tier: Option<String>,
        name: Option<String>,
        expires_in: Option<f64>,
    ) -> PyResult<CreatedKey> {
        let mut spec = KeySpec::new(caller);
        if let Some(s) = scopes {
            spec = spec.scopes(s);
        }
        if let Some(t) = tier {
            spec = spec.tier(t);
        }
        if let Some(n) = name {
            spec = spec.name(n);
        }
        if let Some(secs) = expires_in {
            if !(secs.is_finite() && secs > 0.0 && secs <= 1e11) {
                return Err(invalid_argument(py, "expires_in must be a positive number of seconds"));
            }
            spec = spec.expires_in(Duration::from_secs_f64(secs));
        }
        let spark = self.spark.clone();
        let created = wait(py, async move { spark.keys().create(spec).await })?;
        Ok(CreatedKey {
            key: created.secret.expose().to_owned(),
            info: to_python(py, &created.info)?.unbind(),
            id: created.info.id,
        })
    }

    /// Every key as dicts, oldest first (never a secret).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let spark = self.spark.clone();
        let all = wait(py, async move { spark.keys().list().await })?;
        to_python(py, &all)
    }

    /// Revokes the key with this id and returns its dict; `InvalidRequest` for an unknown id.
    fn revoke<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let spark = self.spark.clone();
        let info = wait(py, async move { spark.keys().revoke(&id).await })?;
        to_python(py, &info)
    }

    /// Checks a key (and `scope`, when given) and returns its dict; pass its `caller` and `tier`
    /// to `generate`. Raises `Unauthenticated` (`.reason`: `malformed_key`, `unknown_key`,
    /// `bad_secret`, `revoked`, `expired`) or `Forbidden` (`.scope`).
    #[pyo3(signature = (key, scope = None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        key: String,
        scope: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spark = self.spark.clone();
        let info = wait(py, async move {
            match scope {
                Some(s) => spark.keys().authorize(&key, &s).await,
                None => spark.keys().verify(&key).await,
            }
        })?;
        to_python(py, &info)
    }

    fn __repr__(&self) -> String {
        "KeyManager()".to_owned()
    }
}
