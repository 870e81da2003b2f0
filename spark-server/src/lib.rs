//! # spark-server
//!
//! SPARK as a hardened HTTP service on top of `spark-core`: caller keys, JWTs and request
//! signing; per-key tiers, limits and budgets from the library; CORS and security headers on
//! every response; body, header, deadline and concurrency limits; problem details with stable
//! codes; health, readiness and Prometheus metrics; graceful draining on SIGTERM; an OpenAPI 3.1
//! document generated from the routes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let loaded = spark_server::config::load(Some(std::path::Path::new("spark.toml")))?;
//! let server = spark_server::Server::new(loaded).await?;
//! let listener = tokio::net::TcpListener::bind(server.state().config.listen).await?;
//! server.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// Handlers return `Result<_, Problem>`: a problem is built once per failed request and
// serialized right away, so its size (a few strings) costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod config;
pub mod edge;
pub mod http;
pub mod problem;
pub mod routes;
mod serve;
pub mod state;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::middleware::from_fn_with_state;
use prometheus_client::metrics::counter::Counter;
use spark_core::keys::{SCOPE_ADMIN, SCOPE_EXPORT, SCOPE_GENERATE, SCOPE_USAGE, SCOPE_VALIDATE};
use spark_core::{CreatedKey, KeySpec, Spark};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::auth::{Auth, JwtVerifier, Signing};
use crate::config::{AuthMode, ConfigError, Loaded, Profile};
use crate::http::Drain;
use crate::state::{AppState, HttpMetrics};

/// The name given to the key a `dev` server creates on its first start.
pub const DEV_KEY_NAME: &str = "development";

/// A configured server, ready to serve.
#[derive(Debug)]
pub struct Server {
    state: AppState,
    app: Router,
    dev_key: Option<CreatedKey>,
}

impl Server {
    /// Builds the library client and the routes, and applies the profile: `prod` refuses what
    /// it must (see [`config::ServerConfig::profile_findings`]), `staging` warns, and `dev`
    /// creates a development key when the database has no active one.
    pub async fn new(loaded: Loaded) -> Result<Server, ConfigError> {
        let Loaded { spark, server } = loaded;
        let spark_config = spark.clone();
        let client = Spark::builder().config(spark).build()?;
        let keys = client.keys().list().await?;
        let dev_active =
            keys.iter().any(|k| k.name.as_deref() == Some(DEV_KEY_NAME) && k.revoked_ms.is_none());
        let findings = server.profile_findings(&spark_config, dev_active);
        if let Some(first) = findings.first() {
            if server.profile == Profile::Prod {
                return Err(ConfigError::new(
                    first.field.clone(),
                    format!("the prod profile refuses this: {}", first.message),
                ));
            }
            for f in &findings {
                tracing::warn!(field = %f.field, "{}", f.message);
            }
        }
        let mut dev_key = None;
        if server.profile == Profile::Dev
            && server.auth.mode == AuthMode::Keys
            && !keys.iter().any(|k| k.revoked_ms.is_none())
        {
            let spec = KeySpec::new("developer").name(DEV_KEY_NAME).scopes([
                SCOPE_GENERATE,
                SCOPE_VALIDATE,
                SCOPE_EXPORT,
                SCOPE_USAGE,
                SCOPE_ADMIN,
            ]);
            dev_key = Some(client.keys().create(spec).await?);
        }
        let jwt = match &server.auth.jwt {
            Some(j) => Some(Arc::new(JwtVerifier::new(j.clone())?)),
            None => None,
        };
        let signing = Signing::from_config(&server.signing, &spark_config.redis)?.map(Arc::new);
        let shed = Counter::default();
        let http = Arc::new(HttpMetrics::new(&shed));
        let mut state = AppState {
            spark: client,
            auth: Arc::new(Auth { mode: server.auth.mode, jwt, signing }),
            drain: Arc::new(Drain::default()),
            gate: Arc::new(Semaphore::new(server.limits.max_concurrent)),
            shed,
            http,
            started: SystemTime::now(),
            openapi: Arc::default(),
            config: Arc::new(server),
        };
        let (routes, doc) = routes::router(&state);
        state.openapi =
            Arc::new(doc.to_pretty_json().map_err(|e| ConfigError::new("openapi", e.to_string()))?);
        let app = app(routes, &state);
        Ok(Server { state, app, dev_key })
    }

    /// The shared state (configuration, library client, drain state).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The development key created by this start, shown once (`dev` profile only).
    pub fn take_dev_key(&mut self) -> Option<CreatedKey> {
        self.dev_key.take()
    }

    /// The whole application as an axum router (for tests or embedding in another server).
    pub fn router(&self) -> Router {
        self.app.clone()
    }

    /// Serves on `listener` until `shutdown` resolves, then drains: readiness turns false, new
    /// requests get 503, in-flight requests and streams get `drain_timeout_ms` to finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        serve::serve(listener, self.app, self.state, shutdown).await
    }
}

/// The routes wrapped in the edge layers, innermost first: panics become 500s, bodies are
/// bounded in time and size, the edge assigns the request id, sheds load and turns errors into
/// problems; CORS and the security headers wrap everything.
fn app(routes: Router<AppState>, state: &AppState) -> Router {
    let limits = &state.config.limits;
    let routes = routes
        .layer(CatchPanicLayer::new())
        .layer(RequestBodyTimeoutLayer::new(std::time::Duration::from_millis(limits.body_timeout_ms)))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(from_fn_with_state(state.clone(), edge::edge));
    http::headers::apply(routes, &state.config.browser).with_state(state.clone())
}
