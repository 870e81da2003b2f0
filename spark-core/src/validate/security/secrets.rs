//! Hard-coded secrets, secrets in PlayerPrefs and secrets from a predictable generator.

use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::Ctx;

/// Words that make a name or key hold a secret.
pub(super) fn secret_word(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "apikey",
        "api_key",
        "accesskey",
        "access_key",
        "privatekey",
        "private_key",
        "token",
        "credential",
        "connectionstring",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// Whether a variable name says it holds a secret (not the name of a setting that stores one:
/// `PasswordPrefKey`, `TokenFieldName`).
pub(super) fn secret_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase().replace('_', "");
    if !secret_word(&l) && !matches!(l.as_str(), "key" | "pwd" | "pass") {
        return false;
    }
    const NOT_SECRET: &[&str] = &[
        "name",
        "label",
        "field",
        "path",
        "url",
        "prefix",
        "header",
        "hint",
        "message",
        "text",
        "title",
        "id",
        "length",
        "count",
        "prompt",
        "format",
        "type",
        "endpoint",
        // Game nouns: a secret level or a coin token is content, not a credential.
        "level",
        "scene",
        "area",
        "room",
        "spawn",
        "prefab",
        "door",
        "item",
        "chest",
        "passage",
        "ending",
        "zone",
        "sprite",
        "icon",
        "sound",
        "clip",
        "material",
        "reward",
        "achievement",
        "unlocked",
        "found",
    ];
    if NOT_SECRET.iter().any(|s| l.ends_with(s)) {
        return false;
    }
    if let Some(before) = l.strip_suffix("key") {
        const KEY_OWNERS: &[&str] = &[
            "api",
            "secret",
            "private",
            "access",
            "encryption",
            "signing",
            "client",
            "license",
            "master",
            "",
        ];
        return KEY_OWNERS
            .iter()
            .any(|o| before.ends_with(o) && (o.is_empty() && before.is_empty() || !o.is_empty()));
    }
    true
}

/// Whether a literal looks like a real secret rather than a placeholder or a label.
fn secret_like(v: &str) -> bool {
    if v.chars().count() < 8 || v.chars().any(char::is_whitespace) {
        return false;
    }
    let l = v.to_ascii_lowercase();
    const PLACEHOLDERS: &[&str] = &[
        "your",
        "xxx",
        "<",
        "example",
        "placeholder",
        "changeme",
        "change_me",
        "replace",
        "insert",
        "todo",
        "dummy",
        "***",
        "...",
        "${",
        "{0}",
    ];
    if PLACEHOLDERS.iter().any(|p| l.contains(p)) {
        return false;
    }
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric() && !matches!(c, '_' | '.' | '-')),
    ];
    classes.iter().filter(|x| **x).count() >= 2
}

pub(super) fn secret_value(name: &str, value: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if let Some(lit) = ctx.literal(value) {
        if lit.len() >= 8 && secret_name(name) && secret_like(lit) {
            sink.emit_node(
                "SPK2009",
                value,
                format!("`{name}` holds a hard-coded secret; anyone can read it from the build. Load it from a server or a user prompt"),
            );
        }
        return;
    }
    // Secret values from a non-cryptographic generator.
    let t = ctx.t(value);
    if !t.contains("Random") && !t.contains(".Next(") {
        return;
    }
    let l = name.to_ascii_lowercase();
    let generated = ["salt", "nonce", "iv", "otp"].iter().any(|w| l.ends_with(w));
    if (generated || secret_name(name))
        && (t.contains("Random.Range")
            || t.contains("new Random(")
            || t.contains("new System.Random(")
            || t.contains(".Next("))
    {
        sink.emit_node(
            "SPK2016",
            value,
            format!("`{name}` comes from a predictable random generator; use RandomNumberGenerator"),
        );
    }
}

/// `Random` used inside a function that generates a secret.
pub(super) fn rng_for_secret(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(f) = ctx.func() else { return };
    let l = f.name.to_ascii_lowercase();
    let secretish = ["password", "token", "secret", "apikey", "salt", "nonce", "otp", "sessionid", "key"];
    if (l.starts_with("generate") || l.starts_with("create") || l.starts_with("new") || l.starts_with("make"))
        && secretish.iter().any(|w| l.contains(w))
        && !l.contains("keyframe")
    {
        sink.emit_node(
            "SPK2016",
            node,
            format!(
                "`{}` builds a secret from a predictable random generator; use RandomNumberGenerator",
                f.name
            ),
        );
    }
}

/// Well-known credential formats, whatever the variable name.
pub(super) fn literal(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if node.end_byte() - node.start_byte() < 18 {
        return;
    }
    let Some(v) = ctx.literal(node) else { return };
    let found = if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        Some("a private key")
    } else if token_after(v, "sk-ant-", 20) || token_after(v, "sk-proj-", 20) || token_after(v, "sk-", 32) {
        Some("an API key")
    } else if token_after(v, "AKIA", 16) {
        Some("an AWS access key")
    } else if token_after(v, "ghp_", 30) || token_after(v, "github_pat_", 30) {
        Some("a GitHub token")
    } else if token_after(v, "AIza", 30) {
        Some("a Google API key")
    } else if token_after(v, "xoxb-", 20) || token_after(v, "xoxp-", 20) {
        Some("a Slack token")
    } else if token_after(v, "Bearer ", 20) || token_after(v, "bearer ", 20) {
        Some("a bearer token")
    } else if is_jwt(v) {
        Some("a JSON Web Token")
    } else {
        None
    };
    if let Some(what) = found {
        sink.emit_node(
            "SPK2009",
            node,
            format!("string literal contains {what}; anyone can read it from the build. Load it at runtime from a secure source"),
        );
    }
}

/// A signed JWT: three base64url segments joined by dots, the first an encoded JSON object.
fn is_jwt(v: &str) -> bool {
    v.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))).any(|t| {
        let parts: Vec<&str> = t.split('.').collect();
        parts.len() == 3 && parts[0].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 10)
    })
}

fn token_after(v: &str, prefix: &str, min: usize) -> bool {
    v.match_indices(prefix).any(|(i, _)| {
        let before_ok = i == 0 || !v.as_bytes()[i - 1].is_ascii_alphanumeric();
        let rest = &v[i + prefix.len()..];
        let run = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
        before_ok && run >= min
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert!(secret_name("apiKey"));
        assert!(secret_name("API_KEY"));
        assert!(secret_name("password"));
        assert!(secret_name("authToken"));
        assert!(!secret_name("PasswordPrefKey"));
        assert!(!secret_name("tokenFieldName"));
        assert!(!secret_name("AuthTokenKey"));
        assert!(!secret_name("playerName"));
        assert!(secret_like("sUp3rS3cret!"));
        assert!(!secret_like("player_password"));
        assert!(!secret_like("YOUR_API_KEY_HERE"));
        assert!(!secret_like("Enter password"));
    }
}
