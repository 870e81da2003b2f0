//! UNT0013: `[SerializeField]` where Unity ignores it (properties, static, readonly and const
//! fields) or where it is redundant (public fields, which Unity serializes anyway).

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::Ctx;
use super::super::source::K;
use super::super::tree::kids;

/// Types Unity does not serialize: on a public field `[SerializeField]` is not redundant, merely
/// without effect, and the analyzer leaves it.
const UNSERIALIZED: &[&str] = &["Dictionary", "HashSet", "Queue", "Stack", "LinkedList"];

pub(crate) fn declaration(node: Node<'_>, k: K, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    // A text search is cheaper than listing the children of every declaration.
    if !ctx.t(node).contains("SerializeField") {
        return;
    }
    let Some(attr) = serialize_field(node, ctx) else { return };
    // The modifiers, from one pass over the children.
    let (mut unserialized, mut public) = (false, false);
    for m in kids(node).filter(|m| ctx.kind(*m) == K::Modifier) {
        match ctx.t(m) {
            "static" | "const" | "readonly" => unserialized = true,
            "public" => public = true,
            _ => {}
        }
    }
    let why = if k == K::PropertyDeclaration {
        Some("Unity serializes fields, not properties; use `[field: SerializeField]` on an auto-property")
    } else if unserialized {
        Some("Unity never serializes static, const or readonly fields; remove `[SerializeField]`")
    } else if public {
        let ty = kids(node)
            .find(|n| ctx.kind(*n) == K::VariableDeclaration)
            .and_then(|d| ctx.field(d, ctx.src.g.f.type_))
            .map(|t| simple_name(ctx.t(t)))
            .unwrap_or("");
        (!UNSERIALIZED.contains(&ty))
            .then_some("public fields are serialized already; `[SerializeField]` is redundant")
    } else {
        None
    };
    if let Some(why) = why {
        sink.emit_node("SPK1032", attr, why.into());
    }
}

/// The `SerializeField` attribute of a declaration (not `[field: SerializeField]`).
fn serialize_field<'t>(node: Node<'t>, ctx: &Ctx<'_>) -> Option<Node<'t>> {
    kids(node).filter(|l| ctx.kind(*l) == K::AttributeList && !ctx.t(*l).starts_with("[field:")).find_map(
        |l| {
            kids(l).filter(|a| ctx.kind(*a) == K::Attribute).find(|a| {
                ctx.field(*a, ctx.src.g.f.name).is_some_and(|n| {
                    let s = simple_name(ctx.t(n));
                    s == "SerializeField" || s == "SerializeFieldAttribute"
                })
            })
        },
    )
}
