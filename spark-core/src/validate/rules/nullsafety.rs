//! Unity object null semantics (UNT0007, UNT0008, UNT0023, UNT0029): a destroyed
//! `UnityEngine.Object` compares equal to `null` through Unity's overloaded `==`, but `??`, `?.`,
//! `??=` and `is null` test the raw reference and see a live object. The type of the operand is
//! inferred from the file: declarations of fields, parameters and locals, `GetComponent<T>()` and
//! the other generic look-ups, and the component's own `gameObject` / `transform`.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Ctx, infer_type};
use super::super::source::K;

/// Engine types deriving from `UnityEngine.Object` that scripts hold most often, beyond the
/// tagged components (see [`super::tags::TAGGED`]).
const ENGINE_OBJECTS: &[&str] = &[
    "ScriptableObject",
    "Texture",
    "Texture2D",
    "RenderTexture",
    "Material",
    "Mesh",
    "MeshFilter",
    "SkinnedMeshRenderer",
    "LineRenderer",
    "TrailRenderer",
    "Sprite",
    "AudioClip",
    "AudioListener",
    "AnimationClip",
    "Animation",
    "Shader",
    "Font",
    "ParticleSystem",
    "Canvas",
    "CanvasGroup",
    "Image",
    "RawImage",
    "Text",
    "Button",
    "Toggle",
    "Slider",
    "Scrollbar",
    "ScrollRect",
    "InputField",
    "TMP_Text",
    "TextMeshProUGUI",
    "TextMeshPro",
    "TMP_InputField",
    "NavMeshAgent",
    "HingeJoint",
    "Joint",
    "Terrain",
];

/// Whether a type name is a `UnityEngine.Object` type SPARK knows of (engine types, and the
/// project's MonoBehaviours and ScriptableObjects).
fn is_unity_object_type(ctx: &Ctx<'_>, ty: &str) -> bool {
    let t = simple_name(ty.trim_end_matches('?'));
    super::tags::TAGGED.contains(&t)
        || ENGINE_OBJECTS.contains(&t)
        || ctx.known.get(t).is_some_and(|k| k.is_object())
}

/// Whether `expr` evidently holds a Unity object.
fn is_unity_object(ctx: &Ctx<'_>, expr: Node<'_>) -> bool {
    let mut e = expr;
    while ctx.kind(e) == K::Parenthesized {
        match e.named_child(0) {
            Some(inner) => e = inner,
            None => return false,
        }
    }
    match ctx.kind(e) {
        K::Identifier => {
            let name = ctx.t(e);
            match ctx.type_of(name) {
                Some(t) => is_unity_object_type(ctx, t),
                None => {
                    matches!(name, "gameObject" | "transform")
                        && ctx.unity_type().is_some_and(|(_, k)| k.is_mono())
                }
            }
        }
        K::MemberAccess => {
            let g = ctx.src.g;
            let name = ctx.field(e, g.f.name).map(|n| ctx.t(n)).unwrap_or("");
            let recv = ctx.field(e, g.f.expression).map(|r| ctx.t(r)).unwrap_or("");
            match recv {
                "this" => ctx.type_of(name).is_some_and(|t| is_unity_object_type(ctx, t)),
                _ => matches!(name, "gameObject" | "transform") && is_unity_object_receiver(ctx, e),
            }
        }
        K::Invocation | K::Cast | K::AsExpression => {
            infer_type(e, ctx).is_some_and(|t| is_unity_object_type(ctx, t))
        }
        _ => false,
    }
}

/// `x.gameObject` / `x.transform` where `x` is a Unity object (so the member is one too).
fn is_unity_object_receiver(ctx: &Ctx<'_>, member: Node<'_>) -> bool {
    ctx.field(member, ctx.src.g.f.expression).is_some_and(|r| is_unity_object(ctx, r))
}

const WHY: &str = "it tests the C# reference and misses a destroyed Unity object";

pub(crate) fn enter(node: Node<'_>, k: K, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let g = ctx.src.g;
    match k {
        K::Binary => {
            let Some(op) = ctx.field(node, g.f.operator) else { return };
            if ctx.t(op) != "??" {
                return;
            }
            if let Some(l) = ctx.field(node, g.f.left)
                && is_unity_object(ctx, l)
            {
                sink.emit_node(
                    "SPK1023",
                    node,
                    format!("`??` on the Unity object `{}`: {WHY}; use `x != null ? x : y`", ctx.t(l)),
                );
            }
        }
        K::ConditionalAccess => {
            if let Some(c) = node.child_by_field_name("condition")
                && is_unity_object(ctx, c)
            {
                sink.emit_node(
                    "SPK1024",
                    node,
                    format!("`?.` on the Unity object `{}`: {WHY}; test `if ({0} != null)` first", ctx.t(c)),
                );
            }
        }
        K::Assignment => {
            let Some(op) = ctx.field(node, g.f.operator) else { return };
            if ctx.t(op) != "??=" {
                return;
            }
            if let Some(l) = ctx.field(node, g.f.left)
                && is_unity_object(ctx, l)
            {
                sink.emit_node(
                    "SPK1025",
                    node,
                    format!(
                        "`??=` on the Unity object `{}`: {WHY}; use `if ({0} == null) {0} = …;`",
                        ctx.t(l)
                    ),
                );
            }
        }
        K::IsPattern => {
            let Some(p) = node.child_by_field_name("pattern") else { return };
            // The grammar reads `x is null || y` as the pattern `null || y`: only the head counts.
            let text = ctx.t(p);
            let head = text.split(['|', '&']).next().unwrap_or(text);
            let pattern: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
            let negated = match pattern.as_str() {
                "null" => false,
                "not null" => true,
                _ => return,
            };
            if let Some(e) = ctx.field(node, g.f.expression)
                && is_unity_object(ctx, e)
            {
                let fix = if negated { "!=" } else { "==" };
                sink.emit_node(
                    "SPK1026",
                    node,
                    format!("`is {pattern}` on the Unity object `{}`: {WHY}; use `{0} {fix} null`", ctx.t(e)),
                );
            }
        }
        _ => {}
    }
}
