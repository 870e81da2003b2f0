//! Material and shader properties named by a string in `Update`, `FixedUpdate` or `LateUpdate`:
//! every call hashes the name again (`Shader.PropertyToID`). The id, computed once into a
//! `static readonly int`, is what the `int` overloads take. The same cost as UNT0041 for Animator
//! (SPK1031), with another cure, so a rule of its own.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Callee, Ctx};
use super::super::source::K;

/// `Material` and `MaterialPropertyBlock` methods whose first parameter is a property name or
/// its id.
const PROPERTY: &[&str] = &[
    "SetFloat",
    "SetInt",
    "SetInteger",
    "SetColor",
    "SetVector",
    "SetTexture",
    "SetMatrix",
    "SetBuffer",
    "SetConstantBuffer",
    "SetFloatArray",
    "SetVectorArray",
    "SetMatrixArray",
    "SetTextureOffset",
    "SetTextureScale",
    "GetFloat",
    "GetInt",
    "GetInteger",
    "GetColor",
    "GetVector",
    "GetTexture",
    "GetMatrix",
    "GetTextureOffset",
    "GetTextureScale",
    "HasProperty",
];

/// `Shader` statics whose first parameter is a global property name or its id.
const GLOBAL: &[&str] = &[
    "SetGlobalFloat",
    "SetGlobalInt",
    "SetGlobalInteger",
    "SetGlobalColor",
    "SetGlobalVector",
    "SetGlobalTexture",
    "SetGlobalMatrix",
    "SetGlobalBuffer",
    "SetGlobalConstantBuffer",
    "SetGlobalFloatArray",
    "SetGlobalVectorArray",
    "SetGlobalMatrixArray",
    "GetGlobalFloat",
    "GetGlobalInt",
    "GetGlobalInteger",
    "GetGlobalColor",
    "GetGlobalVector",
    "GetGlobalTexture",
    "GetGlobalMatrix",
];

pub(crate) fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    if !matches!(name.as_bytes().first(), Some(b'S' | b'G' | b'H')) {
        return;
    }
    let Some(update) = ctx.per_frame() else { return };
    let Some(recv) = callee.receiver else { return };
    let owner = if GLOBAL.contains(&name) {
        let r = ctx.t(recv);
        if r != "Shader" && r != "UnityEngine.Shader" {
            return;
        }
        "Shader"
    } else if PROPERTY.contains(&name) {
        match material_type(recv, ctx) {
            Some(t) => t,
            None => return,
        }
    } else {
        return;
    };
    let Some(a) = ctx.arg(node, 0) else { return };
    let (shown, prop) = match ctx.literal(a) {
        Some(p) => (format!("\"{p}\""), p),
        None => match string_field(a, ctx) {
            Some(p) => (ctx.t(a).to_string(), p),
            None => return,
        },
    };
    sink.emit_node(
        "SPK1037",
        a,
        format!("`{owner}.{name}({shown}, …)` hashes the property name on every call in `{update}`; cache `Shader.PropertyToID(\"{prop}\")` in a static readonly int field and pass that"),
    );
}

/// The value of a string constant or initialised string field named by `a`
/// (`const string ColorName = "_Color"`): passing it is still a name hashed on every call. A
/// local or parameter of the same name hides the field, unless it is a string as well.
fn string_field<'c>(a: Node<'_>, ctx: &'c Ctx<'_>) -> Option<&'c str> {
    if ctx.kind(a) != K::Identifier {
        return None;
    }
    let name = ctx.t(a);
    if simple_name(ctx.type_of(name)?.trim()) != "string" {
        return None;
    }
    ctx.strings.get(name).map(String::as_str)
}

/// `Material` or `MaterialPropertyBlock` when the receiver is known to be one: a declared name,
/// or a renderer's `material` / `sharedMaterial`.
fn material_type(recv: Node<'_>, ctx: &Ctx<'_>) -> Option<&'static str> {
    let t = ctx.t(recv);
    let declared = match ctx.kind(recv) {
        K::Identifier => ctx.type_of(t),
        K::MemberAccess => match t.strip_prefix("this.") {
            Some(rest) if !rest.contains('.') => ctx.type_of(rest),
            _ => {
                let last = t.rsplit('.').next().unwrap_or(t);
                return matches!(last, "material" | "sharedMaterial").then_some("Material");
            }
        },
        _ => None,
    };
    match simple_name(declared?.trim()) {
        "Material" => Some("Material"),
        "MaterialPropertyBlock" => Some("MaterialPropertyBlock"),
        _ => None,
    }
}
