//! Label values kept bounded and safe: shared by the metrics registry and the live samples, so
//! neither imports the other.

/// Distinct values a free-text label keeps before folding the rest into `other`.
pub const MAX_LABEL_VALUES: usize = 32;
/// Longest label value kept, in bytes.
pub(crate) const MAX_LABEL_BYTES: usize = 64;

/// Keeps `[A-Za-z0-9._:/-]`, replaces the rest with `_`, truncates: a value that needs no
/// escaping in any exposition format.
pub(crate) fn sanitize(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .take(MAX_LABEL_BYTES)
        .map(|c| if c.is_ascii_alphanumeric() || "._:/-".contains(c) { c } else { '_' })
        .collect();
    if out.is_empty() {
        out.push_str("none");
    }
    out
}
