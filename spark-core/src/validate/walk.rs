//! The single walk over a file's tree: keeps the context rules need (enclosing type, method,
//! loop) and hands every node to the Unity and security rules.
//!
//! This is the only module that knows every rule family; the rules see the walk through
//! [`Ctx`](super::ctx::Ctx) alone, so the rules never import the walk.

use std::collections::HashMap;

use tree_sitter::Node;

use super::Sink;
use super::classes::{BUILTIN_BASES, UnityKind, base_list, simple_name};
use super::ctx::{Ctx, Frame, FuncFrame, Pre, TypeFrame, declarator};
use super::rules::{api, nullsafety, version};
use super::source::{K, Source};
use super::target::Target;
use super::tree::{Visit, kids, preorder};
use super::{security, unity};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// Walks the whole tree once.
pub(crate) fn walk(
    src: &Source<'_>,
    file: &str,
    known: &HashMap<String, UnityKind>,
    sink: &mut Sink<'_>,
    cancel: &CancelToken,
) -> Result<()> {
    let mut ctx = Ctx::new(src, file, known, Target::of(sink.config.unity_version.as_deref()));
    ctx.editor_folder |= sink.editor;
    let mut rules = Rules { ctx: &mut ctx, sink, cancel, nodes: 0, stopped: None };
    preorder(src.tree.root_node(), &mut rules);
    rules.stopped.map_or(Ok(()), Err)
}

/// How many nodes the walk visits between two looks at the cancel token.
const CHECK_EVERY: u32 = 4096;

struct Rules<'c, 's, 'k> {
    ctx: &'c mut Ctx<'s>,
    sink: &'c mut Sink<'k>,
    cancel: &'c CancelToken,
    nodes: u32,
    /// Why the walk stopped early.
    stopped: Option<Error>,
}

impl<'t> Visit<'t> for Rules<'_, '_, '_> {
    fn enter(&mut self, node: Node<'t>, depth: usize) -> bool {
        self.nodes = self.nodes.wrapping_add(1);
        if self.nodes.is_multiple_of(CHECK_EVERY)
            && let Err(e) = self.cancel.check()
        {
            self.stopped = Some(e);
            return false;
        }
        enter(node, depth, self.ctx, self.sink)
    }

    fn stop(&self) -> bool {
        self.stopped.is_some()
    }

    fn leave(&mut self, depth: usize) {
        while self.ctx.frames.last().is_some_and(|(d, _)| *d >= depth) {
            self.ctx.pop_frame();
        }
    }
}

/// Runs the rules on one node and opens its frame; returns whether its children matter.
fn enter(node: Node<'_>, depth: usize, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) -> bool {
    let (k, descend) = ctx.src.g.classify(node);
    if k == K::Other {
        return descend;
    }
    // What several rules of both families need, computed once per node.
    let pre = match k {
        K::Identifier | K::MemberAccess | K::Modifier => Pre::Text(ctx.t(node)),
        K::Invocation => Pre::Callee(ctx.callee(node)),
        _ => Pre::None,
    };
    unity::enter(node, k, &pre, ctx, sink);
    security::enter(node, k, &pre, ctx, sink);
    version::enter(node, k, ctx, sink);
    api::enter(node, k, &pre, ctx, sink);
    nullsafety::enter(node, k, ctx, sink);
    // Frames are pushed after the rules so a declaration's own rules see the outer context.
    let frame = match k {
        K::Class | K::Struct | K::Record | K::Interface => Some(Frame::Type(type_frame(node, ctx))),
        K::Method | K::Constructor | K::LocalFunction => {
            let name = ctx.field(node, ctx.src.g.f.name).map(|n| ctx.t(n).to_string()).unwrap_or_default();
            let inherited = if k == K::LocalFunction { ctx.per_frame() } else { None };
            let per_frame = match (k, ctx.unity_type()) {
                (K::Method, Some((_, kind))) if kind.is_mono() => match name.as_str() {
                    "Update" => Some("Update"),
                    "FixedUpdate" => Some("FixedUpdate"),
                    "LateUpdate" => Some("LateUpdate"),
                    _ => None,
                },
                _ => inherited,
            };
            let params = param_names(node, ctx);
            let private = match k {
                K::LocalFunction => ctx.private_func(),
                _ => !kids(node).any(|m| {
                    ctx.kind(m) == K::Modifier && matches!(ctx.t(m), "public" | "protected" | "internal")
                }),
            };
            let declared = param_types(node, ctx);
            Some(Frame::Func(FuncFrame { name, per_frame, params, lambda: false, private, declared }))
        }
        K::Lambda | K::AnonymousMethod => Some(Frame::Func(FuncFrame {
            name: String::new(),
            per_frame: None,
            params: param_names(node, ctx),
            lambda: true,
            private: ctx.private_func(),
            declared: param_types(node, ctx),
        })),
        K::VariableDeclaration | K::Foreach => {
            declare_locals(node, k, ctx);
            (k == K::Foreach).then_some(Frame::Loop)
        }
        // `out var r`, `is Renderer r`: a local like any other (it shadows `renderer` & co).
        K::DeclarationExpression | K::DeclarationPattern => {
            let g = ctx.src.g;
            if let Some(n) = ctx.field(node, g.f.name).filter(|n| ctx.kind(*n) == K::Identifier) {
                let ty = ctx.field(node, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
                ctx.declare(ctx.t(n).to_string(), ty.to_string());
            }
            None
        }
        K::For | K::While | K::Do => Some(Frame::Loop),
        K::Using => Some(Frame::Using),
        _ => None,
    };
    if let Some(f) = frame {
        ctx.push_frame(depth, f);
    }
    descend
}

/// (name, type text) of a function's parameters.
fn param_types(node: Node<'_>, ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let g = ctx.src.g;
    let Some(list) = ctx.field(node, g.f.parameters) else { return Vec::new() };
    kids(list)
        .filter(|p| ctx.kind(*p) == K::Parameter)
        .filter_map(|p| {
            let name = ctx.t(ctx.field(p, g.f.name)?).to_string();
            let ty = ctx.field(p, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
            Some((name, ty.to_string()))
        })
        .collect()
}

/// Records the locals a declaration (or a `foreach` variable) introduces in the innermost
/// function frame.
fn declare_locals(node: Node<'_>, k: K, ctx: &mut Ctx<'_>) {
    let g = ctx.src.g;
    let ty = ctx.field(node, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
    let mut found: Vec<(String, String)> = Vec::new();
    if k == K::Foreach {
        if let Some(n) = node.child_by_field_name("left").filter(|n| ctx.kind(*n) == K::Identifier) {
            found.push((ctx.t(n).to_string(), ty.to_string()));
        }
    } else {
        for v in kids(node).filter(|v| ctx.kind(*v) == K::VariableDeclarator) {
            if let Some((name, t)) = declarator(v, ty, ctx) {
                found.push((name.to_string(), t.to_string()));
            }
        }
    }
    for (name, ty) in found {
        ctx.declare(name, ty);
    }
}

fn param_names(node: Node<'_>, ctx: &Ctx<'_>) -> Vec<String> {
    let Some(list) = ctx.field(node, ctx.src.g.f.parameters) else { return Vec::new() };
    if ctx.kind(list) == K::Identifier {
        return vec![ctx.t(list).to_string()];
    }
    kids(list)
        .filter(|p| ctx.kind(*p) == K::Parameter)
        .filter(|p| !ctx.field(*p, ctx.src.g.f.type_).is_some_and(|t| is_scalar(ctx.t(t))))
        .filter_map(|p| ctx.field(p, ctx.src.g.f.name).map(|n| ctx.t(n).to_string()))
        .collect()
}

/// Built-in numeric and bool types: their text form holds no path separator or `..`.
fn is_scalar(t: &str) -> bool {
    matches!(
        t.trim(),
        "int"
            | "uint"
            | "long"
            | "ulong"
            | "short"
            | "ushort"
            | "byte"
            | "sbyte"
            | "float"
            | "double"
            | "decimal"
            | "bool"
    )
}

fn type_frame(node: Node<'_>, ctx: &mut Ctx<'_>) -> TypeFrame {
    let g = ctx.src.g;
    let base = if ctx.kind(node) == K::Class {
        base_list(node, ctx.src).and_then(|b| b.named_child(0)).map(|b| simple_name(ctx.t(b)))
    } else {
        None
    };
    let unity = base.and_then(|b| ctx.known.get(b).copied());
    let direct_unity_base = base.is_some_and(|b| BUILTIN_BASES.iter().any(|(n, _)| *n == b));
    let mut tf = TypeFrame {
        unity,
        direct_unity_base,
        coroutines: Vec::new(),
        methods: Vec::new(),
        fields: Vec::new(),
        field_types: Vec::new(),
    };
    let Some(body) = ctx.field(node, g.f.body) else { return tf };
    // Kinds are only given to named nodes, so all children filtered by kind are the named ones.
    for m in kids(body) {
        match ctx.kind(m) {
            K::Method => {
                let Some(n) = ctx.field(m, g.f.name) else { continue };
                let mname = ctx.t(n).to_string();
                if let Some(r) = ctx.field(m, g.f.returns) {
                    let rt = ctx.t(r);
                    if simple_name(rt) == "IEnumerator" {
                        tf.coroutines.push(mname.clone());
                    }
                }
                tf.methods.push(mname);
            }
            K::FieldDeclaration | K::PropertyDeclaration => {
                let decl = kids(m).find(|x| ctx.kind(*x) == K::VariableDeclaration);
                if let Some(decl) = decl {
                    let ty = ctx.field(decl, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
                    for v in kids(decl).filter(|x| g.kind(*x) == K::VariableDeclarator) {
                        let Some(n) = ctx.field(v, g.f.name) else { continue };
                        let fname = ctx.t(n).to_string();
                        tf.field_types.push((fname.clone(), ty.to_string()));
                        if let Some(val) = v.named_child(v.named_child_count().saturating_sub(1) as u32)
                            && let Some(lit) = ctx.literal(val)
                        {
                            ctx.strings.insert(fname.clone(), lit.to_string());
                        }
                        tf.fields.push(fname);
                    }
                } else if let Some(n) = ctx.field(m, g.f.name) {
                    let ty = ctx.field(m, g.f.type_).map(|t| ctx.t(t)).unwrap_or("var");
                    tf.field_types.push((ctx.t(n).to_string(), ty.to_string()));
                    tf.fields.push(ctx.t(n).to_string());
                }
            }
            _ => {}
        }
    }
    tf
}
