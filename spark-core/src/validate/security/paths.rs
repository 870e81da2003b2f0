//! File paths built from method input (SPK2004, SPK2005).

use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::Ctx;

pub(super) fn file_op(
    node: Node<'_>,
    recv: &str,
    name: &str,
    args: &[Node<'_>],
    ctx: &Ctx<'_>,
    sink: &mut Sink<'_>,
) {
    if matches!(name, "Exists" | "GetCurrentDirectory") {
        return;
    }
    if matches!(name, "Delete" | "DeleteFileOrDirectory") {
        sink.emit_node(
            "SPK2004",
            node,
            format!("`{recv}.{name}` deletes files; make sure the path can only point inside the game's own data folder"),
        );
    }
    let params = outside_params(ctx);
    // Only Copy/Move/Replace take more than one path; for WriteAllText & co the second argument is
    // the content, which may well come from input.
    let paths = if matches!(name, "Copy" | "Move" | "Replace" | "CopyFileOrDirectory" | "MoveFileOrDirectory")
    {
        3
    } else {
        1
    };
    for a in args.iter().take(paths) {
        if from_input(*a, &params, ctx) {
            sink.emit_node(
                "SPK2005",
                *a,
                format!("path for `{recv}.{name}` is built from method input; sanitize it with Path.GetFileName and combine it with a fixed folder"),
            );
            break;
        }
    }
}

/// Parameters that bring input from outside the type: none in a private method (its callers are
/// the type's own code, which SPARK checks where they build the path), all of them otherwise.
pub(super) fn outside_params<'a>(ctx: &'a Ctx<'_>) -> Vec<&'a str> {
    if ctx.private_func() { Vec::new() } else { ctx.params().collect() }
}

/// Whether an expression mentions a parameter of the enclosing function (or a local built from
/// one) without passing it through `Path.GetFileName`.
pub(super) fn from_input(expr: Node<'_>, params: &[&str], ctx: &Ctx<'_>) -> bool {
    if params.is_empty() {
        return false;
    }
    let t = ctx.t(expr);
    if t.contains("GetFileName") {
        return false;
    }
    // A parameter vetted by `Path.GetFileName` somewhere in the method is a file name; a local
    // built from an unvetted one carries it.
    super::locals::any_identifier(expr, ctx, |t| {
        (params.contains(&t) && !ctx.sec.sanitized.contains(t)) || ctx.sec.tainted.contains(t)
    })
}
