//! SPK1005 (UNT0002): a Unity tag compared as a string (`==`, `!=`, `Equals`) instead of with
//! `CompareTag`. Only the `tag` of a Component or GameObject counts: a local, parameter or field
//! named `tag`, or the `tag` member of some other type, is just a string.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Callee, Ctx};
use super::super::source::K;

/// Unity types that have a `tag` (GameObject and the Component family models write most).
pub(crate) const TAGGED: &[&str] = &[
    "GameObject",
    "Component",
    "Transform",
    "RectTransform",
    "Behaviour",
    "MonoBehaviour",
    "Collider",
    "Collider2D",
    "BoxCollider",
    "SphereCollider",
    "CapsuleCollider",
    "MeshCollider",
    "CharacterController",
    "BoxCollider2D",
    "CircleCollider2D",
    "Rigidbody",
    "Rigidbody2D",
    "Renderer",
    "MeshRenderer",
    "SpriteRenderer",
    "Camera",
    "Light",
    "Animator",
    "AudioSource",
];

/// Whether `n` is the tag of a Component or GameObject.
fn is_unity_tag(ctx: &Ctx<'_>, n: Node<'_>) -> bool {
    match ctx.kind(n) {
        // Unqualified: `this.tag` of a MonoBehaviour, unless a local, parameter or field shadows it.
        K::Identifier => {
            ctx.t(n) == "tag"
                && ctx.type_of("tag").is_none()
                && ctx.unity_type().is_some_and(|(_, k)| k.is_mono())
        }
        K::MemberAccess => {
            let g = ctx.src.g;
            if ctx.field(n, g.f.name).is_none_or(|x| ctx.t(x) != "tag") {
                return false;
            }
            let Some(recv) = ctx.field(n, g.f.expression) else { return false };
            let rt = ctx.t(recv);
            let last = rt.rsplit('.').next().unwrap_or(rt);
            if matches!(last, "gameObject" | "transform" | "collider" | "attachedRigidbody") {
                return true;
            }
            if rt == "this" || rt == "base" {
                return ctx.unity_type().is_some_and(|(_, k)| k.is_mono());
            }
            if ctx.kind(recv) != K::Identifier {
                return false;
            }
            let Some(ty) = ctx.type_of(rt) else { return false };
            let ty = simple_name(ty.trim_end_matches('?'));
            TAGGED.contains(&ty) || ctx.known.get(ty).is_some_and(|k| k.is_mono())
        }
        _ => false,
    }
}

fn report(
    node: Node<'_>,
    ctx: &Ctx<'_>,
    tag: Node<'_>,
    other: Node<'_>,
    negate: bool,
    op: &str,
    sink: &mut Sink<'_>,
) {
    let tt = ctx.t(tag);
    let recv = tt.strip_suffix("tag").unwrap_or("");
    sink.emit_node(
        "SPK1005",
        node,
        format!(
            "compare tags with {}{recv}CompareTag({}) instead of `{op}`: it does not allocate",
            if negate { "!" } else { "" },
            ctx.t(other),
        ),
    );
}

/// `tag == "x"`, `"x" != other.tag`.
pub(crate) fn binary(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if !ctx.mentions_tag {
        return;
    }
    let g = ctx.src.g;
    let Some(op) = ctx.field(node, g.f.operator) else { return };
    let negate = match ctx.t(op) {
        "==" => false,
        "!=" => true,
        _ => return,
    };
    let (Some(l), Some(r)) = (ctx.field(node, g.f.left), ctx.field(node, g.f.right)) else { return };
    let (tag, other) = if is_unity_tag(ctx, l) {
        (l, r)
    } else if is_unity_tag(ctx, r) {
        (r, l)
    } else {
        return;
    };
    // `tag == null` is not a string comparison.
    if ctx.t(other) == "null" {
        return;
    }
    report(node, ctx, tag, other, negate, ctx.t(op), sink);
}

/// `tag.Equals("x")`, `"x".Equals(tag)`, `string.Equals(tag, "x")`.
pub(crate) fn equals(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if callee.name != "Equals" || !ctx.mentions_tag {
        return;
    }
    let args = ctx.args(node);
    let pair = match (callee.receiver, args.as_slice()) {
        (Some(r), [a]) if is_unity_tag(ctx, r) => Some((r, *a)),
        (Some(r), [a]) if is_unity_tag(ctx, *a) && ctx.literal(r).is_some() => Some((*a, r)),
        (Some(r), [a, b, ..]) if matches!(ctx.t(r), "string" | "String" | "System.String") => {
            if is_unity_tag(ctx, *a) {
                Some((*a, *b))
            } else if is_unity_tag(ctx, *b) {
                Some((*b, *a))
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some((tag, other)) = pair
        && ctx.t(other) != "null"
    {
        report(node, ctx, tag, other, false, "Equals", sink);
    }
}
