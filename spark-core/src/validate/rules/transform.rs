//! UNT0022 / UNT0032: `position` and `rotation` (or `localPosition` and `localRotation`) of one
//! Transform assigned by two adjacent statements cross into the engine twice and update the
//! hierarchy twice; `SetPositionAndRotation` (`SetLocalPositionAndRotation`) does it once.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Ctx, declarator};
use super::super::source::K;
use super::super::tree::kids;

/// First Unity with `Transform.SetLocalPositionAndRotation` and the `TransformAccess` setters
/// (2021.3.11 had them too, but a target names no patch release).
const LOCAL_SETTER: (u32, u32) = (2022, 2);

/// One statement `recv.prop = value;` setting a position or a rotation.
struct Setter<'t> {
    stmt: Node<'t>,
    recv: &'t str,
    rotation: bool,
    local: bool,
    /// The property set (`position`, `localRotation`…).
    prop: &'t str,
    value: Node<'t>,
}

/// Looks at each statement of a block with the one after it (comments in between do not count).
pub(crate) fn block(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let mut prev: Option<Setter<'_>> = None;
    for s in kids(node) {
        if !s.is_named() || s.kind() == "comment" {
            continue;
        }
        let cur = setter(s, ctx);
        if let (Some(a), Some(b)) = (&prev, &cur)
            && a.local == b.local
            && a.rotation != b.rotation
            && same_receiver(a.recv, b.recv)
            && reads_nothing_set(b.value, a.recv, b.prop, ctx)
            && let Some(access) = transform_access(a.recv, node, a.stmt, ctx)
        {
            report(a, access, ctx, sink);
            prev = None;
            continue;
        }
        prev = cur;
    }
}

fn report(a: &Setter<'_>, access: bool, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let (rule, pos, rot, method) = if a.local {
        ("SPK1034", "localPosition", "localRotation", "SetLocalPositionAndRotation")
    } else {
        ("SPK1033", "position", "rotation", "SetPositionAndRotation")
    };
    if (a.local || access) && ctx.target.unity < LOCAL_SETTER {
        return;
    }
    let recv = a.recv;
    sink.emit_node(
        rule,
        a.stmt,
        format!("`{recv}.{pos}` and `{recv}.{rot}` are set one after the other; set both in one call with `{recv}.{method}({pos}, {rot})`"),
    );
}

/// `recv.position = …;` (or rotation, local or not) with a plain `=`.
fn setter<'t>(stmt: Node<'t>, ctx: &Ctx<'t>) -> Option<Setter<'t>> {
    if ctx.kind(stmt) != K::ExpressionStatement {
        return None;
    }
    let g = ctx.src.g;
    let a = stmt.named_child(0).filter(|a| ctx.kind(*a) == K::Assignment)?;
    let left = ctx.field(a, g.f.left).filter(|l| ctx.kind(*l) == K::MemberAccess)?;
    let prop = ctx.t(ctx.field(left, g.f.name)?);
    let (rotation, local) = match prop {
        "position" => (false, false),
        "rotation" => (true, false),
        "localPosition" => (false, true),
        "localRotation" => (true, true),
        _ => return None,
    };
    // A plain `=` (the operator is the second child), not `+=`.
    if a.child(1).is_none_or(|o| o.kind() != "=") {
        return None;
    }
    let recv = ctx.t(ctx.field(left, g.f.expression)?);
    // A receiver with a call or an index in it may not be the same object twice (or may cost
    // something to evaluate): only names and member names.
    if recv.is_empty() || !recv.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
        return None;
    }
    Some(Setter { stmt, recv, rotation, local, prop, value: ctx.field(a, g.f.right)? })
}

/// Whether two receiver texts name the same object: `this.` and a MonoBehaviour's own
/// `gameObject.` in front of `transform` change nothing.
fn same_receiver(a: &str, b: &str) -> bool {
    fn norm(r: &str) -> &str {
        let r = r.strip_prefix("this.").unwrap_or(r);
        match r.strip_prefix("gameObject.") {
            Some("transform") => "transform",
            _ => r,
        }
    }
    norm(a) == norm(b)
}

fn last_segment(recv: &str) -> &str {
    recv.rsplit('.').next().unwrap_or(recv)
}

/// Static math types whose methods read no Transform.
const PURE: &[&str] = &["Quaternion", "Vector2", "Vector3", "Vector4", "Mathf", "Matrix4x4"];

/// Most nodes looked at in the second value; a longer one is not worth the risk.
const MAX_VALUE_NODES: u32 = 256;

/// Whether the second value can be computed before the first assignment without changing it:
/// one call evaluates both values before setting either, so the second value must not read the
/// Transform (`transform.rotation = LookRotation(target - transform.position)` after setting
/// the position) nor call a method that might (`cam.transform.position = GetTransformPosition()`
/// after setting the rotation, where that method reads the rotation). Passes: other objects
/// (`go.transform.position`), the property the second statement sets (`position` does not move
/// `rotation`, nor the reverse), and calls on the static math types.
fn reads_nothing_set(value: Node<'_>, recv: &str, prop: &str, ctx: &Ctx<'_>) -> bool {
    let g = ctx.src.g;
    let mut c = value.walk();
    for _ in 0..MAX_VALUE_NODES {
        let n = c.node();
        let mut descend = true;
        match ctx.kind(n) {
            // A name that is not the member name of an access (`go.transform`): the receiver
            // itself when its text is the receiver's.
            K::Identifier
                if c.field_id().map(|f| f.get()) != Some(g.f.name) && same_receiver(ctx.t(n), recv) =>
            {
                return false;
            }
            K::MemberAccess => {
                if ctx.field(n, g.f.expression).is_some_and(|r| same_receiver(ctx.t(r), recv)) {
                    if ctx.field(n, g.f.name).is_none_or(|p| ctx.t(p) != prop) {
                        return false;
                    }
                    descend = false;
                } else if same_receiver(ctx.t(n), recv) {
                    return false;
                }
            }
            K::Invocation => {
                let Some(callee) = ctx.callee(n) else { return false };
                let Some(r) = callee.receiver else { return false };
                let r = ctx.t(r);
                if !PURE.contains(&r.strip_prefix("UnityEngine.").unwrap_or(r)) {
                    return false;
                }
            }
            _ => {}
        }
        if descend && c.goto_first_child() {
            continue;
        }
        // The cursor is rooted at `value`: going up ends at it.
        while !c.goto_next_sibling() {
            if !c.goto_parent() {
                return true;
            }
        }
    }
    false
}

/// `Some(false)` when `recv` is a Transform, `Some(true)` when it is a `TransformAccess` (job
/// code), `None` when its type is not known to be either.
fn transform_access(recv: &str, block: Node<'_>, stmt: Node<'_>, ctx: &Ctx<'_>) -> Option<bool> {
    let name = recv.strip_prefix("this.").unwrap_or(recv);
    let declared = if name.contains('.') {
        None
    } else if recv.starts_with("this.") {
        ctx.type_of(name)
    } else {
        // The walk has not yet entered this block's own declarations: they shadow the rest.
        local_type(name, block, stmt, ctx).or_else(|| ctx.type_of(name))
    };
    match declared.map(simple_name) {
        Some("Transform" | "RectTransform") => return Some(false),
        Some("TransformAccess") => return Some(true),
        Some(_) => return None,
        None => {}
    }
    if name == "transform" {
        // Inherited from Component: only in a MonoBehaviour (a plain class has no `transform`).
        return ctx.unity_type().is_some_and(|(_, k)| k.is_mono()).then_some(false);
    }
    // `x.transform` of a GameObject or Component.
    (name.contains('.') && last_segment(name) == "transform").then_some(false)
}

/// The type of a local `name` declared in `block` before `stmt` (`var` gives the type its
/// initializer shows, else stays `var`).
fn local_type<'s>(name: &str, block: Node<'_>, stmt: Node<'_>, ctx: &Ctx<'s>) -> Option<&'s str> {
    let g = ctx.src.g;
    let mut found = None;
    for s in kids(block).take_while(|s| s.id() != stmt.id()) {
        if s.kind() != "local_declaration_statement" {
            continue;
        }
        let Some(decl) = kids(s).find(|d| ctx.kind(*d) == K::VariableDeclaration) else { continue };
        let ty = ctx.field(decl, g.f.type_).map_or("var", |t| ctx.t(t));
        for v in kids(decl).filter(|v| ctx.kind(*v) == K::VariableDeclarator) {
            if let Some((n, t)) = declarator(v, ty, ctx)
                && n == name
            {
                found = Some(t);
            }
        }
    }
    found
}
