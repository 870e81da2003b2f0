//! The web app (`web/`): its files are compiled into the binary, so the server needs no asset
//! directory and no CDN. The page at `/` names each asset with `?v=<version>`, the hash of all
//! assets: a versioned URL can be cached for a year, and a new build gets new URLs.

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../web/app.js"),
    },
    Asset {
        name: "highlight.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../web/highlight.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../web/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../web/favicon.svg"),
    },
];

const INDEX_TEMPLATE: &str = include_str!("../../web/index.html");

/// The placeholder `index.html` uses for the asset version.
const VERSION_MARK: &str = "__V__";

/// The hash of every asset (first 12 hex digits): changes whenever any asset does.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for a in ASSETS {
        h.update(a.name.as_bytes());
        h.update((a.bytes.len() as u64).to_le_bytes());
        h.update(a.bytes);
    }
    h.update(INDEX_TEMPLATE.as_bytes());
    hex::encode(h.finalize())[..12].to_string()
});

static INDEX: LazyLock<String> = LazyLock::new(|| INDEX_TEMPLATE.replace(VERSION_MARK, &VERSION));

/// The version `?v=` query of an asset URL.
#[derive(Debug, Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// The web app's page. Always revalidated (it names the current asset versions).
pub async fn index(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", *VERSION);
    respond(&headers, &etag, "text/html; charset=utf-8", "no-cache", INDEX.as_bytes())
}

/// An embedded asset, `404` for any other name.
pub async fn asset(Path(name): Path<String>, Query(q): Query<AssetQuery>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Only the current version's URL is immutable: an old `?v=` must not pin new bytes.
    let cache = if q.v.as_deref() == Some(VERSION.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let etag = format!("\"{}-{}\"", *VERSION, a.name);
    respond(&headers, &etag, a.content_type, cache, a.bytes)
}

fn respond(
    headers: &HeaderMap,
    etag: &str,
    content_type: &'static str,
    cache: &'static str,
    body: &'static [u8],
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = res.headers_mut();
    if !fresh {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// The rule catalogue as a page (`/rules#SPK1004`): what each diagnostic of the web app links to.
pub async fn rules(headers: HeaderMap) -> Response {
    respond(
        &headers,
        &format!("\"{}-rules\"", *VERSION),
        "text/html; charset=utf-8",
        "no-cache",
        RULES_PAGE.as_bytes(),
    )
}

static RULES_PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut rows = String::new();
    for r in spark_core::validate::RULES {
        let analyzer = match r.unity_analyzer {
            Some(u) => format!(
                "<a href=\"https://github.com/microsoft/Microsoft.Unity.Analyzers/blob/main/doc/{u}.md\">{u}</a>"
            ),
            None => String::new(),
        };
        rows.push_str(&format!(
            "<tr id=\"{id}\"><th scope=\"row\">{id}</th><td>{sev}</td><td>{cat}</td><td>{title}</td><td>{analyzer}</td></tr>\n",
            id = escape(r.id),
            sev = escape(&format!("{:?}", r.severity).to_lowercase()),
            cat = escape(&format!("{:?}", r.category).to_lowercase()),
            title = escape(r.title),
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPARK rules</title>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"stylesheet\" href=\"/assets/app.css?v={v}\"></head>\n\
         <body class=\"rules-page\"><main><h1>SPARK validation rules</h1>\n\
         <p><a href=\"/\">Back to the app</a></p>\n\
         <table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Severity</th><th scope=\"col\">Family</th>\
         <th scope=\"col\">Meaning</th><th scope=\"col\">Unity analyzer</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\
         </main></body></html>\n",
        v = *VERSION
    )
});

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_stays_small_and_the_page_names_current_versions() {
        let total: usize = ASSETS.iter().map(|a| a.bytes.len()).sum::<usize>() + INDEX_TEMPLATE.len();
        assert!(total < 150 * 1024, "web bundle is {total} bytes");
        assert!(!INDEX.contains(VERSION_MARK));
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js") || a.name.ends_with(".css")) {
            assert!(INDEX.contains(&format!("/assets/{}?v={}", a.name, *VERSION)), "{}", a.name);
        }
    }
}
