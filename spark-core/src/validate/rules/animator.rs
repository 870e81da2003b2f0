//! UNT0041: Animator states and parameters named by a string literal are hashed on every call;
//! `Animator.StringToHash` once, in a static field, does it once.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Callee, Ctx, infer_type};
use super::super::source::K;

/// Animator methods whose first parameter is a state or parameter name (or its hash).
const NAMED: &[&str] = &[
    "Play",
    "PlayInFixedTime",
    "CrossFade",
    "CrossFadeInFixedTime",
    "SetBool",
    "SetFloat",
    "SetInteger",
    "SetTrigger",
    "ResetTrigger",
    "GetBool",
    "GetFloat",
    "GetInteger",
    "IsParameterControlledByCurve",
];

pub(crate) fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if !NAMED.contains(&callee.name) {
        return;
    }
    let Some(recv) = callee.receiver else { return };
    let ty = match ctx.kind(recv) {
        K::Identifier => ctx.type_of(ctx.t(recv)),
        K::MemberAccess if ctx.t(recv).starts_with("this.") => ctx.type_of(&ctx.t(recv)[5..]),
        _ => infer_type(recv, ctx),
    };
    if ty.is_none_or(|t| simple_name(t) != "Animator") {
        return;
    }
    let Some(a) = ctx.arg(node, 0) else { return };
    if let Some(name) = ctx.literal(a) {
        sink.emit_node(
            "SPK1031",
            a,
            format!("`{}` hashes the name \"{name}\" on every call; hash it once with `Animator.StringToHash` in a static field", callee.name),
        );
    }
}
