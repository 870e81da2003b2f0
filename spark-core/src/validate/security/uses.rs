//! Findings where the dangerous call happens: calls judged by what the method did to their
//! receiver or arguments before (see [`super::locals`]), and API shapes one call or comparison
//! shows (ECB helpers, raw spans, wildcard listeners, certificates checked by name, timeouts
//! that never fire).

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Callee, Ctx};
use super::super::source::K;
use super::locals::mentions;

pub(super) fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    let recv_text = callee.receiver.map(|r| ctx.t(r)).unwrap_or("");
    let recv = ctx.recv_name(callee.receiver);
    let recv_ty = callee
        .receiver
        .filter(|r| ctx.kind(*r) == K::Identifier)
        .and_then(|r| ctx.type_of(ctx.t(r)))
        .map(simple_name);
    match name {
        "Start" if matches!(recv_ty, Some("Process")) => sink.emit_node(
            "SPK2001",
            node,
            format!("`{recv_text}.Start()` runs the program its StartInfo names on the player's machine; remove it"),
        ),
        "EncryptEcb" | "DecryptEcb" => sink.emit_node(
            "SPK2014",
            node,
            format!("`{name}` uses ECB mode, which leaks patterns of the plaintext; use CBC with a random IV or GCM"),
        ),
        "CreateKeyExchange" | "DecryptKeyExchange"
            if matches!(recv_ty, Some("RSAPKCS1KeyExchangeFormatter" | "RSAPKCS1KeyExchangeDeformatter")) =>
        {
            sink.emit_node(
                "SPK2014",
                node,
                "RSA PKCS#1 v1.5 key exchange is open to padding-oracle attacks; use RSAOAEPKeyExchangeFormatter".into(),
            )
        }
        "Load" | "LoadXml" if ctx.sec.xml_unsafe.contains(recv_text) => sink.emit_node(
            "SPK2017",
            node,
            format!("`{recv_text}` resolves external entities (XmlUrlResolver), so this document can read local files (XXE); leave XmlResolver null"),
        ),
        "Create" if recv == "XmlReader" => {
            let args = ctx.args(node);
            let unsafe_settings = args.iter().skip(1).any(|a| ctx.sec.xml_unsafe.contains(ctx.t(*a)));
            if unsafe_settings && args.first().is_some_and(|a| mentions(*a, ctx)) {
                sink.emit_node(
                    "SPK2017",
                    node,
                    "this reader parses DTDs of input from the caller (DtdProcessing.Parse), which allows XXE; use DtdProcessing.Prohibit".into(),
                );
            }
        }
        n if (n.starts_with("Read") || n == "MoveToContent") && ctx.sec.xml_readers.contains(recv_text) => {
            sink.emit_node(
                "SPK2017",
                node,
                format!("`{recv_text}` is an XmlTextReader with DTD processing on by default (XXE); set DtdProcessing = DtdProcessing.Prohibit first"),
            )
        }
        "CreateSpan" | "CreateReadOnlySpan" if recv == "MemoryMarshal" => sink.emit_node(
            "SPK2013",
            node,
            format!("`MemoryMarshal.{name}` makes a span of any length over raw memory, unchecked; use a safe span"),
        ),
        "CreateJsonSerializer" | "CreateBinarySerializer" | "CreateXmlSerializer" | "CreateBsonSerializer"
            if recv == "FsPickler" =>
        {
            sink.emit_node(
                "SPK2002",
                node,
                "FsPickler deserializes arbitrary types, so crafted data can run code; use JsonUtility or a typed serializer".into(),
            )
        }
        "Equals" => {
            let mut sides: Vec<Node<'_>> = ctx.args(node);
            if let Some(r) = callee.receiver.filter(|_| !matches!(recv, "String" | "string")) {
                sides.push(r);
            }
            if subject_check(&sides, ctx) {
                subject_finding(node, sink);
            }
        }
        "Add" if recv == "Prefixes" => {
            if let Some(a) = ctx.arg(node, 0)
                && let Some(url) = ctx.literal(a)
                && wildcard_prefix(url)
            {
                sink.emit_node(
                    "SPK2020",
                    a,
                    format!("HttpListener prefix `{url}` accepts requests for every host name, from the whole network; bind to localhost or a named host"),
                );
            }
        }
        _ => {}
    }
}

/// `==` / `!=` between a certificate's subject and a string.
pub(super) fn binary(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let g = ctx.src.g;
    let Some(op) = ctx.field(node, g.f.operator) else { return };
    if !matches!(ctx.t(op), "==" | "!=") {
        return;
    }
    let (Some(l), Some(r)) = (ctx.field(node, g.f.left), ctx.field(node, g.f.right)) else { return };
    if subject_check(&[l, r], ctx) {
        subject_finding(node, sink);
    }
}

fn subject_check(sides: &[Node<'_>], ctx: &Ctx<'_>) -> bool {
    let subject = |n: &Node<'_>| {
        let t = ctx.t(*n);
        t.ends_with("SubjectName.Name") || t.ends_with(".Subject") || t.contains(".GetNameInfo(")
    };
    sides.iter().any(subject) && sides.iter().any(|n| ctx.literal(*n).is_some())
}

fn subject_finding(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2008",
        node,
        "a certificate accepted for its subject name alone: anyone can issue one with that name. Validate the chain (or pin the public key)".into(),
    );
}

/// `http://*:8080`, `https://+:80`, `https://*.com/`: every host name, or a whole top-level domain.
fn wildcard_prefix(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let host = rest.split([':', '/']).next().unwrap_or("");
    host == "*" || host == "+" || host.strip_prefix("*.").is_some_and(|d| !d.contains('.'))
}

/// How long a regex may run, from the arguments of its constructor or static call.
pub(super) enum Timeout {
    Missing,
    Finite,
    /// `InfiniteMatchTimeout`, minutes, hours, or more than [`MAX_TIMEOUT_SECS`].
    Infinite,
}

/// A match timeout longer than this does not stop a catastrophic backtrack in time to matter.
const MAX_TIMEOUT_SECS: f64 = 5.0;

pub(super) fn timeout(args: &[Node<'_>], ctx: &Ctx<'_>) -> Timeout {
    let mut found = Timeout::Missing;
    for a in args {
        let t = ctx.t(*a);
        if t.contains("InfiniteMatchTimeout") {
            return Timeout::Infinite;
        }
        if !(t.contains("TimeSpan") || t.to_ascii_lowercase().contains("timeout")) {
            continue;
        }
        found = Timeout::Finite;
        let number = |call: &str| {
            t.split_once(call)
                .and_then(|(_, rest)| rest.split(')').next())
                .and_then(|n| n.trim().trim_end_matches(['d', 'D', 'f', 'F']).parse::<f64>().ok())
        };
        let secs = if t.contains("FromMinutes") || t.contains("FromHours") || t.contains("FromDays") {
            Some(f64::INFINITY)
        } else if let Some(s) = number("FromSeconds(") {
            Some(s)
        } else {
            number("FromMilliseconds(").map(|ms| ms / 1000.0)
        };
        if secs.is_some_and(|s| s > MAX_TIMEOUT_SECS) {
            return Timeout::Infinite;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::wildcard_prefix;

    #[test]
    fn wildcard_prefixes() {
        assert!(wildcard_prefix("http://*:8080"));
        assert!(wildcard_prefix("https://+:8080/"));
        assert!(wildcard_prefix("https://*.com:8080"));
        assert!(!wildcard_prefix("http://*.test.com:8080"));
        assert!(!wildcard_prefix("http://localhost:8080/"));
        assert!(!wildcard_prefix("https://0.0.0.0:8080"));
    }
}
