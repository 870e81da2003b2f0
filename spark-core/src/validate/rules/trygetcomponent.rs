//! UNT0026: `var c = GetComponent<T>(); if (c != null)` is `TryGetComponent`, which allocates
//! nothing in the editor when the component is missing.

use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::Ctx;
use super::super::source::K;
use super::super::tree::kids;

/// Looks at each statement of a block with the one after it.
pub(crate) fn block(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    // Every pair starts with a `GetComponent` call: blocks without one are not listed.
    if ctx.unity_type().is_none() || !ctx.t(node).contains("GetComponent") {
        return;
    }
    // Comments between the two statements do not break the pair.
    let stmts: Vec<Node<'_>> = kids(node).filter(|n| n.kind() != "comment").collect();
    for pair in stmts.windows(2) {
        let (first, next) = (pair[0], pair[1]);
        if next.kind() != "if_statement" {
            continue;
        }
        let Some((name, call)) = lookup(first, &stmts, ctx) else { continue };
        if null_check(next, name, ctx) {
            sink.emit_node(
                "SPK1030",
                call,
                format!("`GetComponent` followed by a null check of `{name}`; use `TryGetComponent(out var {name})`"),
            );
        }
    }
}

/// `var x = GetComponent<T>();`, or `x = GetComponent<T>();` for a local `x` declared in the
/// block: the local and the call.
fn lookup<'t>(stmt: Node<'t>, stmts: &[Node<'t>], ctx: &Ctx<'t>) -> Option<(&'t str, Node<'t>)> {
    let g = ctx.src.g;
    match stmt.kind() {
        "local_declaration_statement" => {
            let decl = kids(stmt).find(|n| ctx.kind(*n) == K::VariableDeclaration)?;
            let mut vars = kids(decl).filter(|n| ctx.kind(*n) == K::VariableDeclarator);
            let var = vars.next()?;
            if vars.next().is_some() {
                return None;
            }
            let name = ctx.field(var, g.f.name)?;
            let value = var.named_child(var.named_child_count().saturating_sub(1) as u32)?;
            is_get_component(value, ctx).then(|| (ctx.t(name), value))
        }
        "expression_statement" => {
            let a = stmt.named_child(0).filter(|a| ctx.kind(*a) == K::Assignment)?;
            let (l, r) = (ctx.field(a, g.f.left)?, ctx.field(a, g.f.right)?);
            let name = ctx.t(l);
            let local = ctx.kind(l) == K::Identifier && stmts.iter().any(|s| declares(*s, name, ctx));
            (local && is_get_component(r, ctx)).then_some((name, r))
        }
        _ => None,
    }
}

fn declares(stmt: Node<'_>, name: &str, ctx: &Ctx<'_>) -> bool {
    stmt.kind() == "local_declaration_statement"
        && kids(stmt).filter(|n| ctx.kind(*n) == K::VariableDeclaration).any(|d| {
            kids(d)
                .filter(|v| ctx.kind(*v) == K::VariableDeclarator)
                .any(|v| ctx.field(v, ctx.src.g.f.name).is_some_and(|n| ctx.t(n) == name))
        })
}

/// `GetComponent<T>()` (on anything), one type argument, no arguments.
fn is_get_component(expr: Node<'_>, ctx: &Ctx<'_>) -> bool {
    ctx.kind(expr) == K::Invocation
        && ctx.callee(expr).is_some_and(|c| c.name == "GetComponent" && c.generic)
        && ctx.args(expr).is_empty()
}

/// `if (x != null)`, `if (x == null)`, `if (null != x)`.
fn null_check(stmt: Node<'_>, name: &str, ctx: &Ctx<'_>) -> bool {
    let g = ctx.src.g;
    let Some(cond) = stmt.child_by_field_name("condition") else { return false };
    if ctx.kind(cond) != K::Binary {
        return false;
    }
    let op = ctx.field(cond, g.f.operator).map(|o| ctx.t(o));
    let (Some(l), Some(r)) = (ctx.field(cond, g.f.left), ctx.field(cond, g.f.right)) else { return false };
    matches!(op, Some("==" | "!="))
        && ((ctx.t(l) == name && ctx.t(r) == "null") || (ctx.t(l) == "null" && ctx.t(r) == name))
}
