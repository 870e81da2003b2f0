//! Browser security on every response (errors, 404s and preflights included): tower-http's
//! header and CORS layers, set from the configuration.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::BrowserConfig;

/// No inline script, no `eval`, no framing, nothing loaded from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Features a code generator never needs.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

/// Adds the security headers (outermost, so every response has them) and CORS.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, browser: &BrowserConfig) -> Router<S> {
    let hsts = HeaderValue::from_str(&format!("max-age={}; includeSubDomains", browser.hsts_max_age_s))
        .unwrap_or_else(|_| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let fixed: [(HeaderName, HeaderValue); 7] = [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (HeaderName::from_static("permissions-policy"), HeaderValue::from_static(PERMISSIONS_POLICY)),
        (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
        (HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin")),
    ];
    let mut router = router;
    if let Some(cors) = cors(browser) {
        router = router.layer(cors);
    }
    router = router
        .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts))
        // API answers are per caller: no shared cache may keep them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(name, value));
    }
    router
}

/// The CORS layer for the allow-list; `None` when no origin is allowed (then no response
/// carries CORS headers, and browsers refuse cross-origin reads).
fn cors(browser: &BrowserConfig) -> Option<CorsLayer> {
    if browser.cors_origins.is_empty() {
        return None;
    }
    let origin = if browser.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(browser.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let layer = CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("x-spark-key-id"),
            HeaderName::from_static("x-spark-timestamp"),
            HeaderName::from_static("x-spark-nonce"),
            HeaderName::from_static("x-spark-content-sha256"),
            HeaderName::from_static("x-spark-signature"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
        ])
        .max_age(Duration::from_secs(600));
    Some(if browser.cors_credentials { layer.allow_credentials(true) } else { layer })
}
