//! UNT0024: in a product of a vector and two or more scalars, every scalar the vector meets is a
//! vector operation (three multiplications each); multiplying the scalars first leaves one.
//! `Vector3.up * speed * Time.deltaTime` → `speed * Time.deltaTime * Vector3.up`.
//!
//! Types come from syntax only, so the rule fires only when every factor's type is known: a
//! literal, a local, parameter or field declared in the file, or a well-known Unity member. One
//! factor of unknown type (a method call, a property of another class) and it stays silent.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Ctx, literal_type, vector_constant};
use super::super::source::K;

/// Longest product looked at (a generated 10,000-factor product is not worth a message).
const MAX_FACTORS: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Factor {
    Scalar,
    /// The vector type's name.
    Vector(&'static str),
}

/// The vector types a product can hold (Unity's and Unity.Mathematics').
const VECTORS: &[&str] = &["Vector2", "Vector3", "Vector4", "float2", "float3", "float4"];

fn vector(name: &str) -> Option<Factor> {
    VECTORS.iter().find(|v| **v == name).map(|v| Factor::Vector(v))
}

/// A `*` expression: the product it heads, analysed once at its outermost `*`.
pub(crate) fn binary(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if !is_product(node, ctx) {
        return;
    }
    let g = ctx.src.g;
    // The inner links of a product (`a * b` in `a * b * c`) are its left operands: they start
    // where the outer product starts and end inside it. Nothing else inside it starts there (a
    // parenthesised product starts after its `(`).
    let (start, end) = (node.start_byte(), node.end_byte());
    if start == ctx.product.start && end < ctx.product.end {
        return;
    }
    ctx.product = start..end;
    // Walk the left spine: factors come right to left. The product needs reordering when some
    // vector stands before the last scalar, i.e. (right to left) a vector follows a scalar.
    let mut tally = Tally::default();
    let mut at = node;
    loop {
        let (Some(left), Some(right)) = (ctx.field(at, g.f.left), ctx.field(at, g.f.right)) else { return };
        if !tally.add(factor(right, ctx)) || tally.factors > MAX_FACTORS {
            return;
        }
        if is_product(left, ctx) {
            at = left;
        } else if tally.add(factor(left, ctx)) {
            break;
        } else {
            return;
        }
    }
    let Tally { vector, scalars, misplaced, .. } = tally;
    if !(misplaced && scalars >= 2) {
        return;
    }
    let Some(vector) = vector else { return };
    let (mut first, mut last) = (Vec::new(), Vec::new());
    collect(node, ctx, &mut first, &mut last);
    first.extend(last);
    sink.emit_node(
        "SPK1035",
        node,
        format!(
            "the {vector} is multiplied before the scalars: each scalar costs a vector multiplication; multiply the scalars first: `{}`",
            first.join(" * ")
        ),
    );
}

/// What the factors seen so far (right to left) say.
#[derive(Default)]
struct Tally {
    vector: Option<&'static str>,
    scalars: usize,
    factors: usize,
    seen_scalar: bool,
    /// A vector stands left of a scalar.
    misplaced: bool,
}

impl Tally {
    /// Counts one factor; false when its type is unknown or a second vector type shows up.
    fn add(&mut self, f: Option<Factor>) -> bool {
        self.factors += 1;
        match f {
            Some(Factor::Scalar) => {
                self.scalars += 1;
                self.seen_scalar = true;
            }
            Some(Factor::Vector(t)) => {
                if self.vector.is_some_and(|v| v != t) {
                    return false;
                }
                self.vector = Some(t);
                self.misplaced |= self.seen_scalar;
            }
            None => return false,
        }
        true
    }
}

/// A `*` binary expression. The operator is the second child (`left`, operator, `right`): cheaper
/// to read than a field look-up, on every binary expression of the file.
fn is_product(n: Node<'_>, ctx: &Ctx<'_>) -> bool {
    ctx.kind(n) == K::Binary && n.child(1).is_some_and(|o| o.kind() == "*")
}

/// The factors' texts, scalars into `scalars` and vectors into `vectors`, left to right (only
/// when reporting: the product was already checked and bounded).
fn collect<'s>(node: Node<'_>, ctx: &Ctx<'s>, scalars: &mut Vec<&'s str>, vectors: &mut Vec<&'s str>) {
    let g = ctx.src.g;
    let mut rights = Vec::new();
    let mut at = node;
    while is_product(at, ctx) {
        let (Some(l), Some(r)) = (ctx.field(at, g.f.left), ctx.field(at, g.f.right)) else { return };
        rights.push(r);
        at = l;
    }
    rights.push(at);
    for f in rights.into_iter().rev() {
        match factor(f, ctx) {
            Some(Factor::Vector(_)) => vectors.push(ctx.t(f)),
            _ => scalars.push(ctx.t(f)),
        }
    }
}

/// The type of one factor, when syntax alone says it.
fn factor(n: Node<'_>, ctx: &Ctx<'_>) -> Option<Factor> {
    let g = ctx.src.g;
    match ctx.kind(n) {
        K::Identifier => declared(ctx.type_of(ctx.t(n))?),
        K::MemberAccess => member(n, ctx),
        K::ObjectCreation => vector(simple_name(ctx.t(ctx.field(n, g.f.type_)?))),
        K::Cast => match declared(ctx.t(ctx.field(n, g.f.type_)?))? {
            Factor::Scalar => Some(Factor::Scalar),
            Factor::Vector(_) => None,
        },
        K::Invocation => call(n, ctx),
        K::Other => match n.kind() {
            // `2.0` is a double (and `2m` a decimal): no vector operator takes them.
            kind @ ("real_literal" | "integer_literal") => declared(literal_type(ctx.t(n), kind)?),
            "prefix_unary_expression" if matches!(ctx.t(n).as_bytes().first(), Some(b'-' | b'+')) => {
                // One level: `-speed`, `-2f`, `-Vector3.up` (no recursion on `- - - x`).
                let inner = n.named_child(0).filter(|i| i.kind() != "prefix_unary_expression")?;
                factor(inner, ctx)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A declared type: the numeric types a vector multiplies with, or a vector type.
fn declared(t: &str) -> Option<Factor> {
    match simple_name(t.trim()) {
        "float" | "int" | "short" | "ushort" | "byte" | "sbyte" | "uint" | "long" | "ulong" => {
            Some(Factor::Scalar)
        }
        v => vector(v),
    }
}

/// `Time.deltaTime`, `Vector3.up`, `transform.forward`, `velocity.y` (of a declared vector).
fn member(n: Node<'_>, ctx: &Ctx<'_>) -> Option<Factor> {
    let g = ctx.src.g;
    let recv = ctx.field(n, g.f.expression)?;
    let name = ctx.t(ctx.field(n, g.f.name)?);
    let r = ctx.t(recv);
    let r = r.strip_prefix("UnityEngine.").unwrap_or(r);
    match r {
        "Time" => {
            return matches!(
                name,
                "deltaTime"
                    | "fixedDeltaTime"
                    | "unscaledDeltaTime"
                    | "smoothDeltaTime"
                    | "fixedUnscaledDeltaTime"
                    | "time"
                    | "timeScale"
                    | "unscaledTime"
                    | "fixedTime"
            )
            .then_some(Factor::Scalar);
        }
        "Mathf" => return matches!(name, "PI" | "Deg2Rad" | "Rad2Deg").then_some(Factor::Scalar),
        "Vector2" | "Vector3" | "Vector4" => return vector_constant(r, name).and_then(vector),
        "this" => return declared(ctx.type_of(name)?),
        _ => {}
    }
    let direction = matches!(
        name,
        "position" | "localPosition" | "forward" | "right" | "up" | "localScale" | "lossyScale"
    );
    if direction && (r.ends_with(".transform") || (r == "transform" && own_transform(ctx))) {
        return Some(Factor::Vector("Vector3"));
    }
    // A component or the length of a declared vector.
    if ctx.kind(recv) == K::Identifier
        && let Some(Factor::Vector(_)) = declared(ctx.type_of(r)?)
    {
        return matches!(name, "x" | "y" | "z" | "w" | "magnitude" | "sqrMagnitude")
            .then_some(Factor::Scalar);
    }
    None
}

/// `transform` is the MonoBehaviour's own (no local, parameter or field of that name).
fn own_transform(ctx: &Ctx<'_>) -> bool {
    match ctx.type_of("transform") {
        Some(t) => simple_name(t) == "Transform",
        None => ctx.unity_type().is_some_and(|(_, k)| k.is_mono()),
    }
}

/// `Mathf.Sin(…)`, `Input.GetAxis(…)`, `Random.Range(…)`: calls known to return a number.
fn call(n: Node<'_>, ctx: &Ctx<'_>) -> Option<Factor> {
    let c = ctx.callee(n)?;
    let recv = ctx.t(c.receiver?);
    let recv = recv.strip_prefix("UnityEngine.").unwrap_or(recv);
    let scalar = match recv {
        // Every Mathf method returns a number but these three.
        "Mathf" => !matches!(c.name, "Approximately" | "IsPowerOfTwo" | "CorrelatedColorTemperatureToRGB"),
        "Input" => matches!(c.name, "GetAxis" | "GetAxisRaw"),
        "Random" => c.name == "Range",
        _ => false,
    };
    scalar.then_some(Factor::Scalar)
}
