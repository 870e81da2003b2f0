//! Argument checks at the JavaScript boundary.
//!
//! napi reports a mistyped argument as a plain `Error` with code `InvalidArg`; JavaScript code
//! expects a `TypeError`. Methods therefore take [`Unknown`] values and check them here; an
//! [`ArgError`] becomes a `TypeError` (see [`crate::error::type_error`]).

use napi::ValueType;
use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, JsValue, Object, Unknown};

/// A message for a `TypeError`.
pub struct ArgError(pub String);

pub type ArgResult<T> = Result<T, ArgError>;

fn type_of(value: &Unknown<'_>) -> ArgResult<ValueType> {
    value.get_type().map_err(|e| ArgError(format!("cannot read an argument: {}", e.reason)))
}

fn describe(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}

/// Whether the argument was left out (`undefined` or `null`).
pub fn is_absent(value: &Unknown<'_>) -> ArgResult<bool> {
    Ok(matches!(type_of(value)?, ValueType::Undefined | ValueType::Null))
}

/// A required string.
pub fn string(value: &Unknown<'_>, name: &str) -> ArgResult<String> {
    match type_of(value)? {
        ValueType::String => {
            // SAFETY: the type was checked just above.
            unsafe { value.cast::<String>() }.map_err(|e| ArgError(format!("{name}: {}", e.reason)))
        }
        other => Err(ArgError(format!("{name} must be a string, got {}", describe(other)))),
    }
}

/// Checks that `object[field]`, when `value` is an object, is a function or absent, so a wrong
/// callback gets a `TypeError` naming it before napi converts the object.
pub fn optional_function_field(value: &Unknown<'_>, name: &str, field: &str) -> ArgResult<()> {
    if type_of(value)? != ValueType::Object {
        return Ok(());
    }
    // SAFETY: the type was checked just above.
    let object = unsafe { value.cast::<Object>() }.map_err(|e| ArgError(format!("{name}: {}", e.reason)))?;
    let member: Unknown<'_> =
        object.get_named_property(field).map_err(|e| ArgError(format!("{name}.{field}: {}", e.reason)))?;
    match type_of(&member)? {
        ValueType::Undefined | ValueType::Function => Ok(()),
        other => Err(ArgError(format!("{name}.{field} must be a function, got {}", describe(other)))),
    }
}

/// A plain object converted with napi's `#[napi(object)]` conversion, optional when `optional`.
/// Keys outside `known` are refused (a typo must not be silently ignored).
pub fn object<T: FromNapiValue>(
    value: &Unknown<'_>,
    name: &str,
    optional: bool,
    known: Option<&[&str]>,
) -> ArgResult<Option<T>> {
    match type_of(value)? {
        ValueType::Undefined | ValueType::Null if optional => Ok(None),
        ValueType::Object => {
            if let Some(known) = known {
                // SAFETY: the type was checked just above.
                let object = unsafe { value.cast::<Object>() }
                    .map_err(|e| ArgError(format!("{name}: {}", e.reason)))?;
                let keys = Object::keys(&object).map_err(|e| ArgError(format!("{name}: {}", e.reason)))?;
                if let Some(bad) = keys.iter().find(|k| !known.contains(&k.as_str())) {
                    return Err(ArgError(format!(
                        "{name} has an unknown field `{bad}`; expected one of: {}",
                        known.join(", ")
                    )));
                }
            }
            // SAFETY: `value` is a live value of the current call's environment.
            unsafe { T::from_napi_value(value.value().env, value.raw()) }
                .map(Some)
                .map_err(|e| ArgError(format!("{name}: {}", e.reason)))
        }
        other => {
            let expected = if optional { "an object, null or undefined" } else { "an object" };
            Err(ArgError(format!("{name} must be {expected}, got {}", describe(other))))
        }
    }
}

/// Bytes from a `Buffer` (or any `Uint8Array`) or a string (as UTF-8).
pub fn bytes(value: &Unknown<'_>, name: &str) -> ArgResult<Vec<u8>> {
    match type_of(value)? {
        ValueType::String => string(value, name).map(String::into_bytes),
        ValueType::Object if value.is_buffer().unwrap_or(false) => {
            // SAFETY: `value` is a live Buffer of the current call's environment (checked above).
            unsafe { napi::bindgen_prelude::Buffer::from_napi_value(value.value().env, value.raw()) }
                .map(|b| b.to_vec())
                .map_err(|e| ArgError(format!("{name}: {}", e.reason)))
        }
        other => Err(ArgError(format!("{name} must be a Buffer or a string, got {}", describe(other)))),
    }
}

/// A plain object of string values (`{ name: "value" }`); array values (repeated HTTP headers)
/// keep their first element.
pub fn string_map(value: &Unknown<'_>, name: &str) -> ArgResult<Vec<(String, String)>> {
    if type_of(value)? != ValueType::Object {
        return Err(ArgError(format!("{name} must be an object, got {}", describe(type_of(value)?))));
    }
    // SAFETY: the type was checked just above.
    let object = unsafe { value.cast::<Object>() }.map_err(|e| ArgError(format!("{name}: {}", e.reason)))?;
    let keys = Object::keys(&object).map_err(|e| ArgError(format!("{name}: {}", e.reason)))?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let member: Unknown<'_> =
            object.get_named_property(&key).map_err(|e| ArgError(format!("{name}.{key}: {}", e.reason)))?;
        let text = match type_of(&member)? {
            ValueType::String => string(&member, name)?,
            ValueType::Object if member.is_array().unwrap_or(false) => {
                // SAFETY: checked to be an array just above.
                let items = unsafe { member.cast::<Object>() }
                    .map_err(|e| ArgError(format!("{name}.{key}: {}", e.reason)))?;
                let first: Unknown<'_> =
                    items.get_element(0).map_err(|e| ArgError(format!("{name}.{key}: {}", e.reason)))?;
                string(&first, name)?
            }
            ValueType::Undefined | ValueType::Null => continue,
            other => return Err(ArgError(format!("{name}.{key} must be a string, got {}", describe(other)))),
        };
        out.push((key, text));
    }
    Ok(out)
}
