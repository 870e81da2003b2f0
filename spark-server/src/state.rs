//! What every handler shares: the library client, the configuration, authentication, the drain
//! state, the concurrency gate and the server's own metrics.

use std::sync::Arc;
use std::time::SystemTime;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use spark_core::Spark;
use tokio::sync::Semaphore;

use crate::auth::Auth;
use crate::config::{LimitsConfig, ServerConfig};
use crate::http::Drain;

/// Shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The library client.
    pub spark: Spark,
    /// The server's configuration.
    pub config: Arc<ServerConfig>,
    /// Authentication.
    pub auth: Arc<Auth>,
    /// Draining and in-flight count.
    pub drain: Arc<Drain>,
    /// Requests served at once.
    pub gate: Arc<Semaphore>,
    /// Requests shed because the gate was full.
    pub shed: Counter,
    /// HTTP metrics.
    pub http: Arc<HttpMetrics>,
    /// When the server started (security.txt's default expiry counts from it).
    pub started: SystemTime,
    /// The OpenAPI document, rendered once.
    pub openapi: Arc<String>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.config).finish_non_exhaustive()
    }
}

impl axum::extract::FromRef<AppState> for LimitsConfig {
    fn from_ref(state: &AppState) -> LimitsConfig {
        state.config.limits.clone()
    }
}

/// Labels of an HTTP request: the route template (bounded; never the raw path), the method and
/// the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// `/v1/generate`, or `unmatched`.
    pub route: String,
    /// `GET`, `POST`…
    pub method: String,
    /// `200`, `401`…
    pub status: u16,
}

/// Labels of a request's duration.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route template.
    pub route: String,
}

/// The server's own metrics, exposed on `/metrics` after the library's.
pub struct HttpMetrics {
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: Family<HttpLabels, Counter>,
    /// Time to the response head, by route.
    pub duration: Family<RouteLabels, Histogram>,
    /// Requests in flight (streams until their last byte).
    pub inflight: Gauge,
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpMetrics")
    }
}

impl HttpMetrics {
    /// Registers the families; `shed` is the gate's counter.
    pub fn new(shed: &Counter) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<HttpLabels, Counter>::default();
        let duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ])
        });
        let inflight = Gauge::default();
        registry.register(
            "spark_http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "spark_http_request_duration_seconds",
            "Time from a request's arrival to its response head, by route",
            duration.clone(),
        );
        registry.register(
            "spark_http_inflight",
            "HTTP requests in flight, streams included",
            inflight.clone(),
        );
        registry.register(
            "spark_http_shed",
            "Requests refused with 503 because too many were in flight",
            shed.clone(),
        );
        HttpMetrics { registry, requests, duration, inflight }
    }

    /// The Prometheus text of these metrics.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err() {
            tracing::error!("HTTP metrics encoding failed");
        }
        spark_core::observe::to_prometheus_text(&out)
    }
}
