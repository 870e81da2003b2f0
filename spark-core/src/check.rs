//! Value checks shared by every section's configuration: they name the bad field and never echo
//! a secret.

use crate::error::{Error, Result};

/// Checks `lo <= value <= hi`.
pub(crate) fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if !(value.is_finite() && value >= lo && value <= hi) {
        return Err(Error::config(field, format!("must be between {lo} and {hi}, got {value}")));
    }
    Ok(())
}

/// Checks an `http://` or `https://` base URL without credentials in it.
///
/// A user name or password in a URL would be echoed by every place that prints the configuration
/// and sent as a second `Authorization` header; keys belong in `api_key`. The error names the
/// field and never repeats the URL (it may hold the password).
pub(crate) fn check_url(field: &str, value: &str) -> Result<()> {
    let url = url::Url::parse(value).map_err(|e| Error::config(field, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(field, "must be an http:// or https:// URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            field,
            "must not contain a user name or password (put the key in `api_key` or its environment variable)",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config(field, "has no host"));
    }
    Ok(())
}

/// Checks that a text setting is not blank.
pub(crate) fn check_nonempty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::config(field, "must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_credentials_are_refused_without_echo() {
        for url in ["http://user:hunter2@host/v1", "https://hunter2@host/v1", "http://:hunter2@host/v1"] {
            let e = check_url("openai.base_url", url).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(text.contains("openai.base_url"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert!(check_url("x", "http://127.0.0.1:8080/v1").is_ok());
        assert!(check_url("x", "ftp://host").is_err());
    }
}
