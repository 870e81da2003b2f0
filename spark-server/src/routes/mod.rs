//! The routes and their OpenAPI document, from one source: each handler's `#[utoipa::path]`
//! registers both, so the document cannot list a route that does not exist or miss one.

pub mod account;
pub mod api;
pub mod assets;
pub mod ops;

use std::time::Duration;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::problem::Problem;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "SPARK", description = "Turns a request into validated, Unity-ready C# scripts."),
    modifiers(&BearerAuth),
    components(schemas(Problem, spark_core::StreamEvent)),
    tags(
        (name = "generate", description = "Generation, plain and streamed"),
        (name = "validate", description = "Validation of C# sources"),
        (name = "export", description = "Archives Unity imports"),
        (name = "usage", description = "Your usage and cost"),
        (name = "admin", description = "Keys and everyone's usage (admin scope)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("a SPARK caller key (spk_…) or a JWT from the configured issuer".into());
        http.description = Some("`Authorization: Bearer …`".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// Every route with its middleware, and the OpenAPI document describing them.
pub fn router(state: &AppState) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let deadline = Duration::from_millis(state.config.limits.request_timeout_ms);
    let v1 = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::generate))
        .routes(routes!(api::validate))
        .routes(routes!(api::export))
        .routes(routes!(api::options))
        .routes(routes!(account::usage))
        .routes(routes!(account::list_keys, account::create_key))
        .routes(routes!(account::revoke_key))
        .routes(routes!(account::usage_report))
        // Streams are bounded by the library's total deadline and keep-alives, not this one.
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, deadline))
        .routes(routes!(api::generate_stream))
        .route_layer(from_fn_with_state(state.clone(), crate::edge::authenticate));
    let ops = OpenApiRouter::new()
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::security_txt));
    let (router, mut doc) = v1.merge(ops).split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    // The web app's files are not API: they stay out of the document.
    let router = router
        .route("/openapi.json", get(ops::openapi))
        .route("/", get(assets::index))
        .route("/rules", get(assets::rules))
        .route("/assets/{name}", get(assets::asset));
    (router, doc)
}
