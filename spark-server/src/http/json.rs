//! JSON request bodies: the media type checked, the size bounded, the nesting depth bounded
//! before any parsing (a body of 100,000 `[` costs one pass, not a deep recursion), and errors
//! naming the field.

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::config::LimitsConfig;
use crate::problem::Problem;

/// A JSON body of `T`, read within the server's limits.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T>
where
    LimitsConfig: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !json {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let limits = LimitsConfig::from_ref(state);
        let bytes = super::read_body(req.into_body(), limits.max_body_bytes).await?;
        if json_depth(&bytes) > limits.max_json_depth {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("JSON nested deeper than {} levels", limits.max_json_depth),
            ));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = if path == "." { String::new() } else { format!("`{path}`: ") };
            Problem::new(StatusCode::BAD_REQUEST, "invalid_request", format!("{at}{inner}"))
        })?;
        de.end().map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()))?;
        Ok(ApiJson(value))
    }
}

/// The deepest nesting of arrays and objects in `bytes` (brackets inside strings not counted).
/// Malformed JSON gets some answer; the parser reports it afterwards.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::json_depth;

    #[test]
    fn depth_ignores_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[{{"}]}"#), 3);
        assert_eq!(json_depth(br#""\"[""#), 0);
        assert_eq!(json_depth(&[b'['; 100_000]), 100_000);
        assert_eq!(json_depth(b"]]]{"), 1);
    }
}
