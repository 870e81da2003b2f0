//! Results cross as spark-core's serde form with camelCased keys, converted generically so every
//! field of the core result (present and future) reaches JavaScript, and back for `resultToJson`.

use serde_json::{Map, Value};
use spark_core::provider::StopReason;

/// Only keys shaped like Rust field names are renamed; map keys such as file paths or rule ids
/// (`Player.cs`, `SPK0001`) pass unchanged.
fn is_field_name(key: &str) -> bool {
    key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn rename(value: Value, to_js: bool) -> Value {
    // Recursion is bounded: values come from serializing a core result, or from serde_json's
    // parser, which refuses documents nested deeper than 128.
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = rename(v, to_js);
                    if to_js && is_field_name(&k) {
                        (camel(&k), v)
                    } else if !to_js && k.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        (snake(&k), v)
                    } else {
                        (k, v)
                    }
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| rename(v, to_js)).collect()),
        other => other,
    }
}

/// A core result as the JavaScript object: camelCased keys, and `stopReason` always a string
/// (the provider's own word for reasons SPARK does not name), as in Python.
pub fn js_result(result: &spark_core::GeneratedScripts) -> Value {
    let mut value = serde_json::to_value(result).unwrap_or(Value::Null);
    if let Some(reason) = value.get_mut("stop_reason")
        && let Some(Value::String(other)) = reason.get("other").cloned()
    {
        *reason = Value::String(other);
    }
    rename(value, true)
}

/// A JavaScript result (as `JSON.stringify` wrote it) back to the core's JSON text; `Err` says
/// what is missing or mistyped.
pub fn core_result(json: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("result is not JSON: {e}"))?;
    let mut value = rename(value, false);
    if let Some(reason) = value.get_mut("stop_reason")
        && reason.is_string()
        && serde_json::from_value::<StopReason>(reason.clone()).is_err()
    {
        *reason = serde_json::json!({ "other": reason.take() });
    }
    let result: spark_core::GeneratedScripts =
        serde_json::from_value(value).map_err(|e| format!("result is not a SPARK result: {e}"))?;
    serde_json::to_string(&result).map_err(|e| e.to_string())
}
