//! UNT0028: the physics queries that return a new array (`Physics.RaycastAll`,
//! `Physics.OverlapSphere`, `Physics2D.OverlapCircleAll`…) allocate on every call; in
//! `Update`, `FixedUpdate` or `LateUpdate` that is garbage every frame. The non-allocating forms
//! fill an array the script keeps.

use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::{Callee, Ctx};
use super::super::source::K;

/// `Physics` queries returning a new array; each has a `NonAlloc` twin of the same name without
/// `All`.
const PHYSICS: &[&str] = &[
    "RaycastAll",
    "SphereCastAll",
    "CapsuleCastAll",
    "BoxCastAll",
    "OverlapSphere",
    "OverlapBox",
    "OverlapCapsule",
];

/// `Physics2D` queries returning a new array (`RaycastAll` → `Raycast` with results). The list
/// is Microsoft.Unity.Analyzers' UNT0028 list for `Physics2D` (NonAllocMethodsUsageAnalyzer).
const PHYSICS_2D: &[&str] = &[
    "RaycastAll",
    "GetRayIntersectionAll",
    "LinecastAll",
    "CircleCastAll",
    "BoxCastAll",
    "CapsuleCastAll",
    "OverlapPointAll",
    "OverlapCircleAll",
    "OverlapBoxAll",
    "OverlapAreaAll",
    "OverlapCapsuleAll",
];

/// First Unity where the `Physics2D` `NonAlloc` queries are obsolete (Unity 6); the overloads
/// taking a `ContactFilter2D` and a results array or `List` replace them there.
const NONALLOC_2D_OBSOLETE: (u32, u32) = (6000, 0);

pub(crate) fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    if !(name.ends_with("All") || name.starts_with("Overlap")) {
        return;
    }
    let Some(update) = ctx.per_frame() else { return };
    let Some(recv) = callee.receiver else { return };
    let recv = ctx.t(recv);
    let recv = recv.strip_prefix("UnityEngine.").unwrap_or(recv);
    let base = name.strip_suffix("All").unwrap_or(name);
    let fix = match recv {
        "Physics" if PHYSICS.contains(&name) => {
            format!("reuse a results array with `Physics.{base}NonAlloc`")
        }
        "Physics2D" if PHYSICS_2D.contains(&name) => {
            if ctx.target.unity >= NONALLOC_2D_OBSOLETE && name == "GetRayIntersectionAll" {
                // A 3D ray against 2D colliders: no `ContactFilter2D` in its replacement.
                format!("reuse a results array or `List` with the `Physics2D.{base}` overload taking one")
            } else if ctx.target.unity >= NONALLOC_2D_OBSOLETE {
                format!(
                    "reuse a results array or `List` with the `Physics2D.{base}` overload taking a `ContactFilter2D`"
                )
            } else {
                format!(
                    "reuse a results array with `Physics2D.{base}NonAlloc` (or the `Physics2D.{base}` overload taking a `ContactFilter2D` and a results `List`)"
                )
            }
        }
        _ => return,
    };
    // At the method name, where Microsoft.Unity.Analyzers reports it.
    let at = ctx
        .field(node, ctx.src.g.f.function)
        .filter(|f| ctx.kind(*f) == K::MemberAccess)
        .and_then(|f| ctx.field(f, ctx.src.g.f.name))
        .unwrap_or(node);
    sink.emit_node(
        "SPK1036",
        at,
        format!("`{recv}.{name}` allocates a new array on every call in `{update}`; {fix}"),
    );
}
