//! Cache keys: a SHA-256 over a canonical serialization of everything that changes the answer.
//!
//! The system prompt (kilobytes, the same on nearly every call) enters the key as its own SHA-256,
//! which a [`TextDigest`] memo computes once instead of escaping and hashing it on every request.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::provider::CompletionRequest;

/// Bumped whenever the canonical form changes, so old shared-store entries are never misread.
const KEY_VERSION: &str = "spark-cache-v2";

/// A cache key: SHA-256 of the canonical request. Displays as 64 lowercase hex digits (the form
/// a shared store such as Redis would use).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(pub [u8; 32]);

impl std::fmt::Display for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CacheKey({self})")
    }
}

/// The key of `request` sent to the provider chain `identity` ([`crate::Provider::identity`]:
/// names, endpoints and models of the chain).
///
/// Every field of [`CompletionRequest`] takes part (model, system prompt, messages, temperature,
/// max tokens, stop sequences, `extra` with object keys sorted at every depth); nothing about
/// who asks does (caller ids and request ids never reach a `CompletionRequest`). Fields are
/// length-prefixed by JSON string encoding (the system prompt by its fixed-size digest), so no two
/// different requests share a serialization.
pub fn cache_key(identity: &str, request: &CompletionRequest) -> CacheKey {
    key_with(identity, request, |s| Sha256::digest(s.as_bytes()).into())
}

/// [`cache_key`], with the system prompt's digest taken from `memo`.
pub(crate) fn cache_key_memo(identity: &str, request: &CompletionRequest, memo: &TextDigest) -> CacheKey {
    key_with(identity, request, |s| memo.of(s))
}

fn key_with(identity: &str, request: &CompletionRequest, digest: impl FnOnce(&str) -> [u8; 32]) -> CacheKey {
    let mut h = HashWriter(Sha256::new());
    put(&mut h, "v", KEY_VERSION);
    put(&mut h, "provider", identity);
    put(&mut h, "model", &request.model);
    h.0.update(b"system=");
    match &request.system {
        Some(system) => h.0.update(digest(system)),
        None => h.0.update(b"null"),
    }
    h.0.update(b"\n");
    put(&mut h, "messages", &request.messages);
    put(&mut h, "max_tokens", &request.max_tokens);
    // The f32 itself, bit for bit: no float formatting subtleties.
    put(&mut h, "temperature", &request.temperature.map(f32::to_bits));
    put(&mut h, "stop", &request.stop);
    put(&mut h, "extra", &Canonical(&Value::Object(request.extra.clone())));
    CacheKey(h.0.finalize().into())
}

fn put<T: Serialize + ?Sized>(h: &mut HashWriter, name: &str, value: &T) {
    h.0.update(name.as_bytes());
    h.0.update(b"=");
    // Serializing plain data into an infallible writer cannot fail.
    let _ = serde_json::to_writer(&mut *h, value);
    h.0.update(b"\n");
}

/// A one-entry memo of a text's SHA-256: the last text seen and its digest. Under concurrency the
/// readers share the entry; a different text replaces it.
#[derive(Default)]
pub(crate) struct TextDigest(std::sync::RwLock<Option<(Box<str>, [u8; 32])>>);

impl TextDigest {
    /// The SHA-256 of `text`, from the memo when it holds that text.
    pub(crate) fn of(&self, text: &str) -> [u8; 32] {
        if let Ok(entry) = self.0.read()
            && let Some((memo, digest)) = entry.as_ref()
            && **memo == *text
        {
            return *digest;
        }
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if let Ok(mut entry) = self.0.write() {
            *entry = Some((text.into(), digest));
        }
        digest
    }
}

/// Feeds serialized JSON straight into the hash, without building strings.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A JSON value serialized with object keys sorted at every depth, whatever order the map kept
/// them in.
struct Canonical<'a>(&'a Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Canonical(&map[k]))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    q.serialize_element(&Canonical(v))?;
                }
                q.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Message;

    fn base() -> CompletionRequest {
        CompletionRequest {
            model: Some("m".into()),
            system: Some("sys".into()),
            messages: vec![Message::user("hi")],
            max_tokens: Some(100),
            temperature: Some(0.2),
            stop: vec!["END".into()],
            extra: Default::default(),
            context: Default::default(),
        }
    }

    #[test]
    fn who_asks_is_not_part_of_the_key() {
        let mut other = base();
        other.context.caller = Some("mallory".into());
        other.context.request_id = Some("r-1".into());
        other.context.streaming = true;
        assert_eq!(cache_key("p/m", &base()), cache_key("p/m", &other));
    }

    #[test]
    fn every_field_changes_the_key() {
        let k = cache_key("p/m", &base());
        assert_eq!(k, cache_key("p/m", &base()), "stable");
        let variants: Vec<(&str, CompletionRequest)> = vec![
            ("model", CompletionRequest { model: Some("m2".into()), ..base() }),
            ("model none", CompletionRequest { model: None, ..base() }),
            ("system", CompletionRequest { system: Some("sys2".into()), ..base() }),
            ("messages", CompletionRequest { messages: vec![Message::user("ho")], ..base() }),
            ("role", CompletionRequest { messages: vec![Message::assistant("hi")], ..base() }),
            ("max_tokens", CompletionRequest { max_tokens: Some(101), ..base() }),
            ("temperature", CompletionRequest { temperature: Some(0.3), ..base() }),
            ("temperature none", CompletionRequest { temperature: None, ..base() }),
            ("stop", CompletionRequest { stop: vec![], ..base() }),
            ("extra", {
                let mut r = base();
                r.extra.insert("seed".into(), 1.into());
                r
            }),
        ];
        for (what, r) in variants {
            assert_ne!(cache_key("p/m", &r), k, "{what} must change the key");
        }
        assert_ne!(cache_key("p/other-url/m", &base()), k, "provider identity");
    }

    #[test]
    fn extra_key_order_does_not_matter() {
        let mut a = base();
        a.extra.insert("top_p".into(), 0.9.into());
        a.extra.insert("metadata".into(), serde_json::json!({"b": 1, "a": [1, {"y": 2, "x": 1}]}));
        let mut b = base();
        b.extra.insert("metadata".into(), serde_json::json!({"a": [1, {"x": 1, "y": 2}], "b": 1}));
        b.extra.insert("top_p".into(), 0.9.into());
        assert_eq!(cache_key("p", &a), cache_key("p", &b));
    }

    #[test]
    fn the_memo_gives_the_same_key_and_follows_a_new_prompt() {
        let memo = TextDigest::default();
        let other = CompletionRequest { system: Some("sys2".into()), ..base() };
        for r in [base(), base(), other.clone(), base(), CompletionRequest { system: None, ..base() }] {
            assert_eq!(cache_key_memo("p", &r, &memo), cache_key("p", &r));
        }
        assert_ne!(cache_key_memo("p", &base(), &memo), cache_key_memo("p", &other, &memo));
    }

    #[test]
    fn no_ambiguity_between_fields() {
        let a = CompletionRequest { system: Some("a\nmodel=".into()), ..base() };
        let b = CompletionRequest { system: Some("a".into()), ..base() };
        assert_ne!(cache_key("p", &a), cache_key("p", &b));
        assert_eq!(cache_key("p", &base()).to_string().len(), 64);
    }
}
