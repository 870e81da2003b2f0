//! The C# 10–13 features SPK1020 finds from the shape of one node and its children (the older
//! table lives in [`super::version`]). Each test is cheap: it runs on the node kinds that can
//! hold the feature, and looks at direct children only (a parent look-up walks from the root).

use tree_sitter::Node;

use super::super::classes;
use super::super::ctx::Ctx;
use super::super::source::K;
use super::super::tree::kids;
use super::feature::Feature;

fn has_modifier(node: Node<'_>, ctx: &Ctx<'_>, word: &str) -> bool {
    // Listing the children costs more than looking for the word in the text first.
    ctx.t(node).contains(word) && classes::has_modifier(node, ctx.src, word)
}

fn has_token(node: Node<'_>, ctx: &Ctx<'_>, word: &str) -> bool {
    kids(node).any(|c| !c.is_named() && ctx.t(c) == word)
}

/// Whether a C-style literal (`"…"`, `'…'`) holds the `\e` escape.
fn escape_e(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next() == Some('e') {
            return true;
        }
    }
    false
}

/// The later feature `node` uses, and where to report it.
pub(crate) fn feature<'t>(node: Node<'t>, k: K, ctx: &Ctx<'_>) -> Option<(Feature, Node<'t>)> {
    let g = ctx.src.g;
    match k {
        K::Lambda => {
            if ctx.field(node, g.f.type_).is_some() {
                return Some((Feature::LambdaReturnType, node));
            }
            if kids(node).any(|c| ctx.kind(c) == K::AttributeList) {
                return Some((Feature::LambdaAttribute, node));
            }
            let params = ctx.field(node, g.f.parameters).filter(|p| ctx.kind(*p) == K::ParameterList)?;
            let default = kids(params).find(|p| ctx.kind(*p) == K::Parameter && has_token(*p, ctx, "="))?;
            Some((Feature::LambdaDefault, default))
        }
        K::VariableDeclaration => {
            let ty = ctx.field(node, g.f.type_)?;
            if ctx.t(ty) != "var" {
                return None;
            }
            let lambda = kids(node).filter(|v| ctx.kind(*v) == K::VariableDeclarator).find_map(|v| {
                let init = v.named_child(v.named_child_count().checked_sub(1)? as u32)?;
                matches!(ctx.kind(init), K::Lambda | K::AnonymousMethod).then_some(init)
            })?;
            Some((Feature::NaturalLambda, lambda))
        }
        K::Subpattern => {
            let first = node.named_child(0)?;
            (ctx.kind(first) == K::MemberAccess).then_some((Feature::ExtendedPropertyPattern, first))
        }
        K::FieldDeclaration => {
            let decl = kids(node).find(|c| ctx.kind(*c) == K::VariableDeclaration)?;
            if ctx.field(decl, g.f.type_).is_some_and(|t| t.kind() == "ref_type") {
                return Some((Feature::RefField, node));
            }
            if has_modifier(node, ctx, "const") {
                let hole = kids(decl)
                    .filter(|v| ctx.kind(*v) == K::VariableDeclarator)
                    .filter_map(|v| v.named_child(v.named_child_count().checked_sub(1)? as u32))
                    .find(|i| ctx.kind(*i) == K::InterpolatedString)?;
                return Some((Feature::ConstInterpolated, hole));
            }
            None
        }
        K::Assignment => {
            let left = ctx.field(node, g.f.left).filter(|l| l.kind() == "tuple_expression")?;
            let parts: Vec<bool> = kids(left)
                .filter(|a| ctx.kind(*a) == K::Argument)
                .map(|a| a.named_child(0).is_some_and(|e| ctx.kind(e) == K::DeclarationExpression))
                .collect();
            (parts.contains(&true) && parts.contains(&false)).then_some((Feature::MixedDeconstruction, left))
        }
        K::Record => {
            if has_token(node, ctx, "class") {
                return Some((Feature::RecordClass, node));
            }
            let body = ctx.field(node, g.f.body)?;
            let m = kids(body).find(|m| {
                ctx.kind(*m) == K::Method
                    && has_modifier(*m, ctx, "sealed")
                    && ctx.field(*m, g.f.name).is_some_and(|n| ctx.t(n) == "ToString")
            })?;
            Some((Feature::SealedRecordToString, m))
        }
        K::Struct => {
            let body = ctx.field(node, g.f.body)?;
            for m in kids(body) {
                match ctx.kind(m) {
                    K::Constructor
                        if !has_modifier(m, ctx, "static")
                            && ctx.field(m, g.f.parameters).is_some_and(|p| p.named_child_count() == 0) =>
                    {
                        return Some((Feature::StructParameterlessCtor, m));
                    }
                    K::FieldDeclaration
                        if !has_modifier(m, ctx, "static") && !has_modifier(m, ctx, "const") =>
                    {
                        let decl = kids(m).find(|c| ctx.kind(*c) == K::VariableDeclaration)?;
                        let init = kids(decl)
                            .filter(|v| ctx.kind(*v) == K::VariableDeclarator)
                            .find(|v| kids(*v).any(|c| !c.is_named() && ctx.t(c) == "="));
                        if let Some(v) = init {
                            return Some((Feature::StructFieldInitializer, v));
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        K::Interface => {
            let body = ctx.field(node, g.f.body)?;
            let m = kids(body).find(|m| {
                has_modifier(*m, ctx, "static")
                    && (has_modifier(*m, ctx, "abstract") || has_modifier(*m, ctx, "virtual"))
            })?;
            Some((Feature::StaticAbstract, m))
        }
        K::Binary => {
            let op = ctx.field(node, g.f.operator)?;
            (ctx.t(op) == ">>>").then_some((Feature::UnsignedShift, op))
        }
        K::OperatorDeclaration => has_token(node, ctx, "checked").then_some((Feature::CheckedOperator, node)),
        K::InterpolatedString => {
            let t = ctx.t(node);
            if t.starts_with("$@") || t.starts_with("@$") || t.trim_start_matches('$').starts_with("\"\"\"") {
                return None;
            }
            kids(node)
                .find(|h| h.kind() == "interpolation" && ctx.t(*h).contains('\n'))
                .map(|h| (Feature::InterpolationNewline, h))
        }
        K::Using => {
            let name = ctx.field(node, g.f.name)?;
            let aliased = kids(node).filter(|c| c.is_named() && c.id() != name.id()).last()?;
            matches!(
                aliased.kind(),
                "tuple_type"
                    | "array_type"
                    | "pointer_type"
                    | "predefined_type"
                    | "nullable_type"
                    | "function_pointer_type"
            )
            .then_some((Feature::AliasAnyType, aliased))
        }
        K::Parameter => {
            let mods: Vec<&str> =
                kids(node).filter(|c| ctx.kind(*c) == K::Modifier).map(|c| ctx.t(c)).collect();
            mods.windows(2).any(|w| w == ["ref", "readonly"]).then_some((Feature::RefReadonlyParameter, node))
        }
        K::ParameterList => {
            // `params List<int> v` parses as a list with a type and a name of its own.
            let ty = ctx.field(node, g.f.type_)?;
            (has_token(node, ctx, "params") && ty.kind() != "array_type")
                .then_some((Feature::ParamsCollection, ty))
        }
        K::StringLiteral | K::CharLiteral => escape_e(ctx.t(node)).then_some((Feature::EscapeE, node)),
        K::PropertyDeclaration => {
            has_modifier(node, ctx, "partial").then_some((Feature::PartialProperty, node))
        }
        _ => None,
    }
}
