//! Error and panic reports to a Sentry-compatible endpoint (`telemetry.sentry_dsn`), behind the
//! `sentry` cargo feature; without it every function here does nothing.
//!
//! The bindings report at their boundary: every error they hand to the host language and every
//! panic they catch. A report carries the request id, the stable error code and the binding, and
//! no free text: an error's message or a panic's payload may quote the prompt or a reply, so
//! neither is sent.

use crate::error::{Error, Result};

use super::TelemetryConfig;

/// Keeps error reporting on while alive; dropping it flushes pending reports (waiting up to
/// two seconds) and turns reporting off.
#[derive(Debug)]
pub struct ReportGuard {
    #[cfg(feature = "sentry")]
    client: std::sync::Arc<sentry::Client>,
}

/// Starts reporting to `telemetry.sentry_dsn`, replacing any earlier reporter in the process.
/// `None` when no DSN is configured (or the `sentry` feature is off).
pub fn init(config: &TelemetryConfig) -> Result<Option<ReportGuard>> {
    let Some(dsn) = config.sentry_dsn.as_ref() else { return Ok(None) };
    config.validate()?;
    imp::init(dsn.expose())
}

/// Reports an error handed to a host; `binding` names the boundary (`python`, `node`, `c`).
pub fn report_error(error: &Error, request_id: Option<&str>, binding: &str) {
    imp::report(Some(error), request_id, binding);
}

/// Reports a panic caught at a binding boundary. The payload is not sent (it may hold user text).
pub fn report_panic(request_id: Option<&str>, binding: &str) {
    imp::report(None, request_id, binding);
}

/// Waits up to `timeout` for pending reports to be sent; true when none is left.
pub fn flush(timeout: std::time::Duration) -> bool {
    imp::flush(timeout)
}

/// Whether a reporter is active.
pub fn is_enabled() -> bool {
    imp::is_enabled()
}

#[cfg(feature = "sentry")]
mod imp {
    use std::sync::{Arc, RwLock};
    use std::time::Duration;

    use sentry::protocol::{Event, Level};

    use super::ReportGuard;
    use crate::error::{Error, Result};

    static CLIENT: RwLock<Option<Arc<sentry::Client>>> = RwLock::new(None);

    pub fn init(dsn: &str) -> Result<Option<ReportGuard>> {
        // The parse error never names the DSN: its user part is a key.
        let dsn = dsn.parse().map_err(|_| {
            Error::config("telemetry.sentry_dsn", "not a DSN (https://<public key>@<host>/<project>)")
        })?;
        let options = sentry::apply_defaults(sentry::ClientOptions {
            dsn: Some(dsn),
            release: Some(concat!("spark-core@", env!("CARGO_PKG_VERSION")).into()),
            send_default_pii: false,
            ..Default::default()
        });
        let client = Arc::new(sentry::Client::from_config(options));
        *CLIENT.write().unwrap_or_else(|e| e.into_inner()) = Some(client.clone());
        Ok(Some(ReportGuard { client }))
    }

    fn current() -> Option<Arc<sentry::Client>> {
        CLIENT.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn report(error: Option<&Error>, request_id: Option<&str>, binding: &str) {
        let Some(client) = current() else { return };
        let mut event = Event { level: Level::Error, logger: Some("spark".into()), ..Default::default() };
        let code = error.map_or("panic", |e| e.code().as_str());
        event.message = Some(match error {
            Some(_) => format!("spark error `{code}` at the {binding} boundary"),
            None => format!("spark panic caught at the {binding} boundary"),
        });
        // One issue per code and boundary, however the request ids differ.
        event.fingerprint = vec![code.to_string().into(), binding.to_string().into()].into();
        event.tags.insert("error.code".into(), code.into());
        event.tags.insert("binding".into(), binding.into());
        if let Some(id) = request_id {
            event.tags.insert("request_id".into(), id.into());
        }
        if let Some(e) = error {
            event.extra.insert("retryable".into(), e.is_retryable().into());
            if let Some(p) = e.provider_error() {
                event.tags.insert("provider".into(), p.provider.clone());
                if let Some(status) = p.status {
                    event.extra.insert("http_status".into(), status.into());
                }
            }
        }
        client.capture_event(event, None);
    }

    pub fn flush(timeout: Duration) -> bool {
        current().is_none_or(|c| c.flush(Some(timeout)))
    }

    pub fn is_enabled() -> bool {
        current().is_some()
    }

    impl Drop for ReportGuard {
        fn drop(&mut self) {
            let mut slot = CLIENT.write().unwrap_or_else(|e| e.into_inner());
            if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, &self.client)) {
                *slot = None;
            }
            drop(slot);
            self.client.close(Some(Duration::from_secs(2)));
        }
    }
}

#[cfg(not(feature = "sentry"))]
mod imp {
    use super::ReportGuard;
    use crate::error::{Error, Result};

    pub fn init(_dsn: &str) -> Result<Option<ReportGuard>> {
        tracing::warn!("telemetry.sentry_dsn is set but spark-core was built without the `sentry` feature");
        Ok(None)
    }

    pub fn report(_error: Option<&Error>, _request_id: Option<&str>, _binding: &str) {}

    pub fn flush(_timeout: std::time::Duration) -> bool {
        true
    }

    pub fn is_enabled() -> bool {
        false
    }
}
