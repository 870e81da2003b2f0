//! SPK1020: C# features newer than the compiler of the target Unity version.
//!
//! Unity ships its own Roslyn with a fixed language version; code using a later feature parses
//! (tree-sitter knows C# 13) but fails in the editor. The table below says which version each
//! feature needs; `target.rs` says which Unity compiles which C#.

use super::feature::Feature;
use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::Ctx;
use super::super::source::K;
use super::super::target::Lang;
use super::super::tree::kids;

/// Each feature SPARK detects: its name in messages, the C# version that introduced it, and the
/// C# 9 (or older) way to write the same thing.
const FEATURES: &[(Feature, &str, Lang, &str)] = &[
    (Feature::SwitchExpression, "a switch expression", (8, 0), "use a switch statement"),
    (Feature::Range, "a range or index expression (`..`, `^`)", (8, 0), "use Substring / explicit indices"),
    (Feature::CoalesceAssign, "`??=`", (8, 0), "write `if (x == null) x = …;`"),
    (Feature::Record, "a record", (9, 0), "declare a class with properties"),
    (Feature::InitAccessor, "an `init` accessor", (9, 0), "use a private setter"),
    (Feature::TargetTypedNew, "target-typed `new()`", (9, 0), "name the type: `new T()`"),
    (
        Feature::PatternCombinator,
        "a pattern combinator (`and`, `or`, `not`, `<`)",
        (9, 0),
        "use `&&`, `||`, `!` and comparisons",
    ),
    (Feature::StaticLambda, "a static lambda", (9, 0), "drop `static`"),
    (Feature::FunctionPointer, "a function pointer type", (9, 0), "use a delegate"),
    (Feature::WithExpression, "a `with` expression", (9, 0), "copy the object and set the member"),
    (Feature::FileScopedNamespace, "a file-scoped namespace", (10, 0), "use a block: `namespace X { … }`"),
    (Feature::GlobalUsing, "a global using", (10, 0), "put the `using` in each file"),
    (Feature::RecordStruct, "a record struct", (10, 0), "declare a struct with properties"),
    (Feature::RawString, "a raw string literal (`\"\"\"`)", (11, 0), "use a verbatim string `@\"…\"`"),
    (Feature::ListPattern, "a list pattern (`[a, .. rest]`)", (11, 0), "test Length and index the elements"),
    (Feature::Required, "a `required` member", (11, 0), "set the member in a constructor"),
    (Feature::GenericAttribute, "a generic attribute", (11, 0), "pass the type as `typeof(T)`"),
    (Feature::Utf8Literal, "a UTF-8 string literal (`u8`)", (11, 0), "use `Encoding.UTF8.GetBytes(\"…\")`"),
    (Feature::FileLocalType, "a `file`-local type", (11, 0), "make the type `internal`"),
    (Feature::Scoped, "a `scoped` parameter or local", (11, 0), "drop `scoped`"),
    (
        Feature::CollectionExpression,
        "a collection expression (`[1, 2]`)",
        (12, 0),
        "use `new[] { 1, 2 }` or `new List<T> { … }`",
    ),
    (
        Feature::PrimaryConstructor,
        "a primary constructor on a class or struct",
        (12, 0),
        "declare fields and a constructor",
    ),
    (
        Feature::LambdaReturnType,
        "a lambda with an explicit return type",
        (10, 0),
        "let the delegate type decide it",
    ),
    (
        Feature::LambdaAttribute,
        "an attribute on a lambda",
        (10, 0),
        "use a local function with the attribute",
    ),
    (
        Feature::NaturalLambda,
        "a lambda assigned to `var`",
        (10, 0),
        "name the delegate type (`Func<…>`, `Action<…>`)",
    ),
    (
        Feature::ExtendedPropertyPattern,
        "an extended property pattern (`{ A.B: … }`)",
        (10, 0),
        "nest the pattern: `{ A: { B: … } }`",
    ),
    (
        Feature::ConstInterpolated,
        "a `const` interpolated string",
        (10, 0),
        "concatenate the constants with `+`",
    ),
    (
        Feature::MixedDeconstruction,
        "a deconstruction that both declares and assigns",
        (10, 0),
        "declare every variable first",
    ),
    (Feature::RecordClass, "`record class`", (10, 0), "write `record` alone"),
    (Feature::SealedRecordToString, "a `sealed` ToString in a record", (10, 0), "drop `sealed`"),
    (
        Feature::StructParameterlessCtor,
        "a parameterless struct constructor",
        (10, 0),
        "use a static factory method",
    ),
    (
        Feature::StructFieldInitializer,
        "a field initializer in a struct",
        (10, 0),
        "set the field in a constructor",
    ),
    (
        Feature::StaticAbstract,
        "a `static abstract` interface member",
        (11, 0),
        "use an instance member or a generic helper",
    ),
    (Feature::UnsignedShift, "the `>>>` operator", (11, 0), "cast to an unsigned type and use `>>`"),
    (Feature::CheckedOperator, "a `checked` user-defined operator", (11, 0), "drop `checked`"),
    (Feature::RefField, "a `ref` field", (11, 0), "store an index or a Span in a method"),
    (
        Feature::InterpolationNewline,
        "a line break inside an interpolation hole",
        (11, 0),
        "keep each `{…}` on one line",
    ),
    (Feature::LambdaDefault, "a default value on a lambda parameter", (12, 0), "use a local function"),
    (
        Feature::AliasAnyType,
        "a `using` alias of a tuple, array or built-in type",
        (12, 0),
        "declare a struct or write the type out",
    ),
    (Feature::RefReadonlyParameter, "a `ref readonly` parameter", (12, 0), "use `in`"),
    (Feature::ParamsCollection, "`params` on a type that is not an array", (13, 0), "use `params T[]`"),
    (Feature::EscapeE, "the `\\e` escape", (13, 0), "write `\\u001b`"),
    (Feature::PartialProperty, "a `partial` property", (13, 0), "implement the property in one part"),
];

/// The feature `node` uses, if it is one of the tracked ones.
fn feature(node: Node<'_>, k: K, ctx: &Ctx<'_>) -> Option<Feature> {
    let has_token = |word: &str| kids(node).any(|c| !c.is_named() && ctx.t(c) == word);
    Some(match k {
        K::SwitchExpression => Feature::SwitchExpression,
        K::RangeExpression => Feature::Range,
        K::Assignment if ctx.field(node, ctx.src.g.f.operator).is_some_and(|o| ctx.t(o) == "??=") => {
            Feature::CoalesceAssign
        }
        K::Record if has_token("struct") => Feature::RecordStruct,
        K::Record => Feature::Record,
        K::AccessorDeclaration if ctx.field(node, ctx.src.g.f.name).is_some_and(|n| ctx.t(n) == "init") => {
            Feature::InitAccessor
        }
        K::ImplicitObjectCreation => Feature::TargetTypedNew,
        K::RelationalPattern | K::AndPattern | K::OrPattern | K::NegatedPattern => Feature::PatternCombinator,
        K::Lambda | K::AnonymousMethod
            if kids(node).any(|c| ctx.kind(c) == K::Modifier && ctx.t(c) == "static") =>
        {
            Feature::StaticLambda
        }
        K::FunctionPointerType => Feature::FunctionPointer,
        K::WithExpression => Feature::WithExpression,
        K::FileScopedNamespace => Feature::FileScopedNamespace,
        K::Using if ctx.t(node).starts_with("global") => Feature::GlobalUsing,
        K::RawString => Feature::RawString,
        K::InterpolatedString if ctx.t(node).trim_start_matches('$').starts_with("\"\"\"") => {
            Feature::RawString
        }
        K::ListPattern => Feature::ListPattern,
        K::Modifier => match ctx.t(node) {
            "required" => Feature::Required,
            "file" => Feature::FileLocalType,
            "scoped" => Feature::Scoped,
            _ => return None,
        },
        K::Attribute if ctx.field(node, ctx.src.g.f.name).is_some_and(|n| ctx.kind(n) == K::GenericName) => {
            Feature::GenericAttribute
        }
        K::StringLiteral if ctx.t(node).ends_with("u8") || ctx.t(node).ends_with("U8") => {
            Feature::Utf8Literal
        }
        K::ScopedType => Feature::Scoped,
        K::CollectionExpression => Feature::CollectionExpression,
        K::Class | K::Struct if kids(node).any(|c| ctx.kind(c) == K::ParameterList) => {
            Feature::PrimaryConstructor
        }
        _ => return None,
    })
}

/// Reports a feature newer than the target's C#.
pub(crate) fn enter(node: Node<'_>, k: K, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if let Some(f) = feature(node, k, ctx) {
        report(f, node, ctx, sink);
    }
    if let Some((f, at)) = super::version_later::feature(node, k, ctx) {
        report(f, at, ctx, sink);
    }
}

fn report(f: Feature, node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(&(_, name, need, fix)) = FEATURES.iter().find(|(x, ..)| *x == f) else { return };
    let t = ctx.target;
    if need <= t.lang || !ctx.on_target(node.start_byte()) {
        return;
    }
    let at = match (f, ctx.field(node, ctx.src.g.f.name)) {
        // Point at the declaration's name, not at its attributes and whole body.
        (Feature::PrimaryConstructor | Feature::Record | Feature::RecordStruct, Some(n)) => n,
        _ => node,
    };
    let unity = format!("Unity {}.{}", t.unity.0, t.unity.1);
    sink.emit_node(
        "SPK1020",
        at,
        format!(
            "{name} needs C# {}.{}, but {unity} compiles C# {}.{}; {fix}",
            need.0, need.1, t.lang.0, t.lang.1
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_one_row() {
        for (f, ..) in FEATURES {
            assert_eq!(FEATURES.iter().filter(|(g, ..)| g == f).count(), 1, "{f:?}");
        }
    }
}
