//! Request URLs: plain http:// (SPK2006) and URLs that are not literals (SPK2007).

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::Ctx;
use super::super::source::K;

/// What a request URL expression is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Url {
    Safe,
    Plain,
    Dynamic,
}

impl Url {
    /// The worse of two values a local may hold.
    pub(crate) fn worst(self, other: Url) -> Url {
        match (self, other) {
            (Url::Dynamic, _) | (_, Url::Dynamic) => Url::Dynamic,
            (Url::Plain, _) | (_, Url::Plain) => Url::Plain,
            _ => Url::Safe,
        }
    }
}

pub(crate) fn classify(expr: Node<'_>, ctx: &Ctx<'_>, depth: u32) -> Url {
    if depth > 16 {
        return Url::Dynamic;
    }
    let from_text = |s: &str| {
        let lower = s.trim_start().to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("http://") {
            let host = rest.split(['/', ':', '?']).next().unwrap_or("");
            if matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "10.0.2.2") {
                Url::Safe
            } else {
                Url::Plain
            }
        } else {
            Url::Safe
        }
    };
    if let Some(lit) = ctx.literal(expr) {
        return from_text(lit);
    }
    match ctx.kind(expr) {
        K::InterpolatedString => {
            let t = ctx.t(expr);
            let body = t.trim_start_matches(['$', '@']).trim_start_matches('"');
            match body.strip_prefix('{') {
                // A leading hole naming a known constant: `$"{BaseUrl}/scores"`.
                Some(hole) => {
                    let name = hole.split(['}', ':', ',']).next().unwrap_or("").trim();
                    let last = name.rsplit('.').next().unwrap_or(name);
                    match (ctx.sec.urls.get(name), ctx.strings.get(last)) {
                        (Some(local), _) => *local,
                        (None, Some(v)) => from_text(v),
                        (None, None) => Url::Dynamic,
                    }
                }
                None => match (from_text(body), body.split_once('{')) {
                    (Url::Safe, Some((head, _))) if !pins_host(head) => Url::Dynamic,
                    (c, _) => c,
                },
            }
        }
        K::Binary => {
            let g = ctx.src.g;
            let (Some(l), Some(r)) = (ctx.field(expr, g.f.left), ctx.field(expr, g.f.right)) else {
                return Url::Dynamic;
            };
            match (classify(l, ctx, depth + 1), ctx.literal(l)) {
                // `"constant" + host`: a literal head that stops before the host is fixed leaves
                // the host to whatever follows, unless that is a literal too.
                (Url::Safe, Some(head)) if !pins_host(head) && ctx.literal(r).is_none() => Url::Dynamic,
                (c, _) => c,
            }
        }
        K::Parenthesized => match expr.named_child(0) {
            Some(i) => classify(i, ctx, depth + 1),
            None => Url::Dynamic,
        },
        // A local of the method: what every value assigned to it is.
        K::Identifier if ctx.sec.urls.contains_key(ctx.t(expr)) => ctx.sec.urls[ctx.t(expr)],
        K::Identifier | K::MemberAccess => {
            let t = ctx.t(expr);
            let last = t.rsplit('.').next().unwrap_or(t);
            match ctx.strings.get(last) {
                Some(v) => from_text(v),
                None => Url::Dynamic,
            }
        }
        K::ObjectCreation => {
            let is_uri = ctx.field(expr, ctx.src.g.f.type_).is_some_and(|t| simple_name(ctx.t(t)) == "Uri");
            match ctx.args(expr).first() {
                Some(a) if is_uri => classify(*a, ctx, depth + 1),
                _ => Url::Dynamic,
            }
        }
        _ => Url::Dynamic,
    }
}

pub(super) fn url_check(expr: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    match classify(expr, ctx, 0) {
        Url::Safe => {}
        Url::Plain => sink.emit_node(
            "SPK2006",
            expr,
            "plain http:// sends data unencrypted and Unity blocks it by default; use https://".into(),
        ),
        Url::Dynamic => sink.emit_node(
            "SPK2007",
            expr,
            format!(
                "request URL `{}` is not a literal; make sure it cannot be pointed at an arbitrary host",
                shorten(ctx.t(expr))
            ),
        ),
    }
}

fn shorten(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 { format!("{}…", one.chars().take(60).collect::<String>()) } else { one }
}

/// Whether a URL prefix fixes the host: a scheme, then the host ended by `/`, `?` or `#`. A
/// local file URL (`file://`, Android's `jar:file://`) reaches no host at all.
fn pins_host(head: &str) -> bool {
    let lower = head.trim_start().to_ascii_lowercase();
    lower.starts_with("file:")
        || lower.starts_with("jar:file:")
        || head.split_once("://").is_some_and(|(_, rest)| rest.contains(['/', '?', '#']))
}
