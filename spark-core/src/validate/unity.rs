//! Unity rules, decided from syntax. Meanings follow Microsoft.Unity.Analyzers (the UNT id is
//! named in each message); the ids are SPARK's own (see [`super::rules`]).

use tree_sitter::Node;

use super::Sink;
use super::classes::{UnityKind, has_modifier, simple_name};
use super::ctx::{Callee, Ctx, Pre};
use super::source::K;
use super::tree::kids;

/// A Unity message: name, parameter types and whether it may be a coroutine. Unity also calls a
/// message declared with only the first parameters of its signature (or none).
struct Msg {
    name: &'static str,
    params: &'static [&'static str],
    coroutine: bool,
}

const fn m(name: &'static str, params: &'static [&'static str], coroutine: bool) -> Msg {
    Msg { name, params, coroutine }
}

const fn mc(name: &'static str, params: &'static [&'static str]) -> Msg {
    Msg { name, params, coroutine: true }
}

/// MonoBehaviour messages (from the Unity scripting reference, as listed by
/// Microsoft.Unity.Analyzers).
const MONO: &[Msg] = &[
    m("Awake", &[], false),
    m("Start", &[], true),
    m("Update", &[], false),
    m("FixedUpdate", &[], false),
    m("LateUpdate", &[], false),
    m("OnEnable", &[], false),
    m("OnDisable", &[], false),
    m("OnDestroy", &[], false),
    m("OnValidate", &[], false),
    m("Reset", &[], true),
    m("OnGUI", &[], false),
    m("OnDrawGizmos", &[], false),
    m("OnDrawGizmosSelected", &[], true),
    m("OnApplicationFocus", &["bool"], true),
    m("OnApplicationPause", &["bool"], true),
    m("OnApplicationQuit", &[], true),
    m("OnBecameVisible", &[], true),
    m("OnBecameInvisible", &[], true),
    mc("OnCollisionEnter", &["Collision"]),
    mc("OnCollisionExit", &["Collision"]),
    mc("OnCollisionStay", &["Collision"]),
    mc("OnCollisionEnter2D", &["Collision2D"]),
    mc("OnCollisionExit2D", &["Collision2D"]),
    mc("OnCollisionStay2D", &["Collision2D"]),
    m("OnTriggerEnter", &["Collider"], true),
    m("OnTriggerExit", &["Collider"], true),
    m("OnTriggerStay", &["Collider"], true),
    m("OnTriggerEnter2D", &["Collider2D"], true),
    m("OnTriggerExit2D", &["Collider2D"], true),
    m("OnTriggerStay2D", &["Collider2D"], true),
    m("OnControllerColliderHit", &["ControllerColliderHit"], true),
    m("OnJointBreak", &["float"], true),
    m("OnJointBreak2D", &["Joint2D"], true),
    m("OnParticleCollision", &["GameObject"], true),
    m("OnParticleTrigger", &[], true),
    m("OnParticleSystemStopped", &[], true),
    m("OnParticleUpdateJobScheduled", &[], true),
    m("OnMouseDown", &[], true),
    m("OnMouseDrag", &[], true),
    m("OnMouseEnter", &[], true),
    m("OnMouseExit", &[], true),
    m("OnMouseOver", &[], true),
    m("OnMouseUp", &[], true),
    m("OnMouseUpAsButton", &[], true),
    m("OnAnimatorIK", &["int"], true),
    m("OnAnimatorMove", &[], true),
    m("OnAudioFilterRead", &["float[]", "int"], true),
    m("OnPostRender", &[], true),
    m("OnPreCull", &[], true),
    m("OnPreRender", &[], true),
    m("OnRenderImage", &["RenderTexture", "RenderTexture"], true),
    m("OnRenderObject", &[], false),
    m("OnWillRenderObject", &[], true),
    m("OnBeforeTransformParentChanged", &[], true),
    m("OnTransformParentChanged", &[], true),
    m("OnTransformChildrenChanged", &[], true),
    m("OnRectTransformDimensionsChange", &[], true),
    m("OnRectTransformRemoved", &[], true),
    m("OnCanvasGroupChanged", &[], true),
    m("OnLevelWasLoaded", &["int"], true),
    m("OnServerInitialized", &[], true),
    m("OnConnectedToServer", &[], true),
];

const SCRIPTABLE: &[Msg] = &[
    m("Awake", &[], false),
    m("OnEnable", &[], false),
    m("OnDisable", &[], false),
    m("OnDestroy", &[], false),
    m("OnValidate", &[], false),
    m("Reset", &[], false),
];

const EDITOR: &[Msg] =
    &[m("OnSceneGUI", &[], false), m("HasFrameBounds", &[], false), m("OnGetFrameBounds", &[], false)];

const EDITOR_WINDOW: &[Msg] = &[
    m("OnFocus", &[], false),
    m("OnGUI", &[], false),
    m("OnHierarchyChange", &[], false),
    m("OnInspectorUpdate", &[], false),
    m("OnLostFocus", &[], false),
    m("OnProjectChange", &[], false),
    m("OnSelectionChange", &[], false),
    m("Update", &[], false),
    m("CreateGUI", &[], false),
    m("OnBecameVisible", &[], false),
    m("OnBecameInvisible", &[], false),
    m("OnWizardUpdate", &[], false),
    m("OnWizardCreate", &[], false),
    m("OnWizardOtherButton", &[], false),
];

/// AssetPostprocessor messages (Unity scripting reference, AssetPostprocessor).
const ASSET_POSTPROCESSOR: &[Msg] = &[
    m("OnPreprocessAsset", &[], false),
    m("OnPreprocessTexture", &[], false),
    m("OnPostprocessTexture", &["Texture2D"], false),
    m("OnPreprocessModel", &[], false),
    m("OnPostprocessModel", &["GameObject"], false),
    m("OnPreprocessAudio", &[], false),
    m("OnPostprocessAudio", &["AudioClip"], false),
    m("OnPreprocessAnimation", &[], false),
    m("OnPostprocessMaterial", &["Material"], false),
    m("OnPostprocessPrefab", &["GameObject"], false),
    m("OnPostprocessSprites", &["Texture2D", "Sprite[]"], false),
    m("OnAssignMaterialModel", &["Material", "Renderer"], false),
    m("OnPostprocessGameObjectWithUserProperties", &["GameObject", "string[]", "object[]"], false),
    m("OnPostprocessAssetbundleNameChanged", &["string", "string", "string"], false),
    m("OnPostprocessAllAssets", &["string[]", "string[]", "string[]", "string[]", "bool"], false),
    m("OnGeneratedCSProjectFiles", &[], false),
    m("OnPreGeneratingCSProjectFiles", &[], false),
    m("OnGeneratedSlnSolution", &["string", "string"], false),
    m("OnGeneratedCSProject", &["string", "string"], false),
];

/// The messages Unity calls as static methods; every other message is an instance method.
const STATIC_MESSAGES: &[&str] = &[
    "OnPostprocessAllAssets",
    "OnGeneratedCSProjectFiles",
    "OnPreGeneratingCSProjectFiles",
    "OnGeneratedSlnSolution",
    "OnGeneratedCSProject",
];

fn tables(kind: UnityKind) -> &'static [&'static [Msg]] {
    match kind {
        UnityKind::MonoBehaviour => &[MONO],
        UnityKind::ScriptableObject | UnityKind::StateMachineBehaviour => &[SCRIPTABLE],
        UnityKind::Editor => &[SCRIPTABLE, EDITOR],
        UnityKind::EditorWindow => &[SCRIPTABLE, EDITOR_WINDOW],
        UnityKind::AssetPostprocessor => &[ASSET_POSTPROCESSOR],
    }
}

fn messages(kind: UnityKind) -> impl Iterator<Item = &'static Msg> {
    tables(kind).iter().flat_map(|t| t.iter())
}

/// UnityEditor types whose use outside `#if UNITY_EDITOR` breaks player builds even when the
/// `using` itself is guarded.
const EDITOR_TYPES: &[&str] = &[
    "AssetDatabase",
    "CustomEditor",
    "EditorApplication",
    "EditorGUI",
    "EditorGUILayout",
    "EditorGUIUtility",
    "EditorPrefs",
    "EditorSceneManager",
    "EditorUtility",
    "EditorWindow",
    "Handles",
    "MenuItem",
    "PrefabUtility",
    "SerializedObject",
    "SerializedProperty",
    "Undo",
];

const GET_COMPONENT: &[&str] = &[
    "GetComponent",
    "GetComponents",
    "GetComponentInChildren",
    "GetComponentsInChildren",
    "GetComponentInParent",
    "GetComponentsInParent",
    "TryGetComponent",
];

const FIND: &[&str] = &[
    "Find",
    "FindWithTag",
    "FindGameObjectWithTag",
    "FindGameObjectsWithTag",
    "FindObjectOfType",
    "FindObjectsOfType",
    "FindAnyObjectByType",
    "FindFirstObjectByType",
    "FindObjectsByType",
];

pub(crate) fn enter(node: Node<'_>, k: K, pre: &Pre<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    match k {
        K::Identifier => {
            if !ctx.conditional {
                super::rules::keywords::identifier(node, pre.text(), sink);
            }
            identifier(node, pre.text(), ctx, sink)
        }
        K::Class => class(node, ctx, sink),
        K::Method => method(node, ctx, sink),
        K::Invocation => {
            if let Some(callee) = pre.callee() {
                invocation(node, callee, ctx, sink);
                super::rules::animator::invocation(node, callee, ctx, sink);
                super::rules::physics::invocation(node, callee, ctx, sink);
                super::rules::shaderprops::invocation(node, callee, ctx, sink);
            }
        }
        K::FieldDeclaration | K::PropertyDeclaration => {
            super::rules::serializefield::declaration(node, k, ctx, sink)
        }
        K::ObjectCreation => object_creation(node, ctx, sink),
        K::Yield => ctx.yielded = node.named_child(0).map(|e| e.id()),
        K::VariableDeclaration => implicit_creation(node, ctx, sink),
        K::Binary => {
            super::rules::tags::binary(node, ctx, sink);
            super::rules::vectormath::binary(node, ctx, sink);
        }
        K::MemberAccess => member_access(node, pre.text(), ctx, sink),
        K::ExpressionStatement => unused_coroutine(node, ctx, sink),
        K::Block => {
            super::rules::trygetcomponent::block(node, ctx, sink);
            super::rules::transform::block(node, ctx, sink);
        }
        // A file with `#if` groups is checked per configuration (see `preproc`).
        K::GlobalStatement if !ctx.top_level_reported && !ctx.conditional => {
            ctx.top_level_reported = true;
            top_level_statement(node, sink);
        }
        _ => {}
    }
}

/// SPK1003 at a top-level statement.
pub(crate) fn top_level_statement(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK1003",
        node,
        "top-level statements are not supported in Unity scripts; put the code in a MonoBehaviour method"
            .into(),
    );
}

fn identifier(node: Node<'_>, t: &str, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if t == "UnityEditor" {
        let guarded = ctx.editor_only(node.start_byte());
        if ctx.in_using() {
            if guarded {
                ctx.editor_using_guarded = true;
            } else {
                ctx.editor_using_unguarded = true;
            }
        }
        if !guarded {
            sink.emit_node(
                "SPK1002",
                node,
                "`UnityEditor` is not available in player builds; move this code to an `Editor` folder or wrap it in `#if UNITY_EDITOR`".into(),
            );
        }
        return;
    }
    if ctx.editor_using_guarded
        && !ctx.editor_using_unguarded
        && EDITOR_TYPES.contains(&t)
        && !ctx.editor_only(node.start_byte())
    {
        sink.emit_node(
            "SPK1002",
            node,
            format!("`{t}` comes from UnityEditor, whose `using` is inside `#if UNITY_EDITOR`; wrap this use in `#if UNITY_EDITOR` too"),
        );
    }
}

fn class(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    // Only top-level classes: nested types are never attached as components.
    if ctx.type_frame().is_some() {
        return;
    }
    let Some(stem) = ctx.stem.as_deref() else { return };
    let Some(name_node) = ctx.field(node, ctx.src.g.f.name) else { return };
    let name = ctx.t(name_node);
    let Some(b) = super::classes::base_list(node, ctx.src).and_then(|b| b.named_child(0)) else { return };
    let Some(kind) = ctx.known.get(simple_name(ctx.t(b))).copied() else { return };
    // Unity creates custom inspectors itself from `[CustomEditor]`, never from a script asset, so
    // the usual `FooEditor` next to `Foo` in `Foo.cs` (under `#if UNITY_EDITOR`) is fine.
    if matches!(kind, UnityKind::Editor | UnityKind::AssetPostprocessor) {
        return;
    }
    if has_modifier(node, ctx.src, "abstract") || has_modifier(node, ctx.src, "static") {
        return;
    }
    let mut c = node.walk();
    if node.named_children(&mut c).any(|ch| ctx.kind(ch) == K::TypeParameterList) {
        return;
    }
    let partial_ok = has_modifier(node, ctx.src, "partial") && stem.starts_with(&format!("{name}."));
    let stem = stem.to_string();
    if name != stem && !partial_ok && !is_base_of_file_class(name, &stem, ctx) {
        let family = if kind.is_mono() { "MonoBehaviour" } else { "ScriptableObject" };
        sink.emit_node(
            "SPK1001",
            name_node,
            format!(
                "class `{name}` is a {family} but the file is `{stem}.cs`; Unity needs both names equal (rename the file to `{name}.cs` or the class to `{stem}`)"
            ),
        );
    }
}

/// Whether `name` is a base (direct or not) of the class the file is named after, declared in the
/// same file: the base is never attached on its own, so its name need not match.
fn is_base_of_file_class(name: &str, stem: &str, ctx: &mut Ctx<'_>) -> bool {
    let src = ctx.src;
    let bases = ctx.class_bases.get_or_insert_with(|| {
        super::classes::collect_classes(src).into_iter().filter_map(|c| Some((c.name, c.base?))).collect()
    });
    let mut at = stem;
    // Real chains are short; the bound also ends a cycle (invalid code).
    for _ in 0..MAX_BASE_CHAIN {
        let Some(base) = bases.get(at) else { return false };
        if base == name {
            return true;
        }
        at = base;
    }
    false
}

/// Longest base-class chain followed inside one file.
const MAX_BASE_CHAIN: usize = 32;

/// The text of a type node without whitespace, with qualifiers dropped from the simple name.
fn type_key(text: &str) -> String {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (head, suffix) = match compact.find('[') {
        Some(i) => (compact[..i].to_string(), compact[i..].to_string()),
        None => (compact.clone(), String::new()),
    };
    format!("{}{}", simple_name(&head), suffix)
}

/// What a method declaration's direct children say, gathered in one pass.
#[derive(Default)]
struct Shape {
    is_static: bool,
    polymorphic: bool,
    explicit_interface: bool,
    attributes: bool,
}

fn shape(node: Node<'_>, ctx: &Ctx<'_>) -> Shape {
    let mut s = Shape::default();
    for ch in kids(node) {
        match ctx.kind(ch) {
            K::Modifier => match ctx.t(ch) {
                "static" => s.is_static = true,
                "virtual" | "override" | "abstract" => s.polymorphic = true,
                _ => {}
            },
            K::ExplicitInterface => s.explicit_interface = true,
            K::AttributeList => s.attributes = true,
            _ => {}
        }
    }
    s
}

fn method(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let g = ctx.src.g;
    let Some(name_node) = ctx.field(node, g.f.name) else { return };
    let name = ctx.t(name_node);
    let sh = shape(node, ctx);
    if sh.attributes {
        load_attributes(node, name_node, sh.is_static, ctx, sink);
    }

    let Some((tf, kind)) = ctx.unity_type() else { return };
    if sh.explicit_interface {
        return;
    }
    let msgs = || messages(kind).filter(move |m| m.name == name);
    let Some(first_msg) = msgs().next() else {
        // UNT0033: a message name with the wrong case is never called. A static method is
        // not a misspelt instance message (Unity's messages here are all instance methods).
        if sh.polymorphic {
            return;
        }
        if let Some(msg) = messages(kind).find(|m| m.name.eq_ignore_ascii_case(name))
            && sh.is_static == STATIC_MESSAGES.contains(&msg.name)
            && !tf.methods.iter().any(|x| x == msg.name)
        {
            sink.emit_node(
                "SPK1009",
                name_node,
                format!("`{name}` looks like the Unity message `{}` with the wrong case; Unity will never call it", msg.name),
            );
        }
        return;
    };
    // UNT0006: signature.
    let params: Vec<(String, bool)> = match ctx.field(node, g.f.parameters) {
        Some(list) => {
            let mut c = list.walk();
            list.named_children(&mut c)
                .filter(|p| ctx.kind(*p) == K::Parameter)
                .map(|p| {
                    let ty = ctx.field(p, g.f.type_).map(|t| type_key(ctx.t(t))).unwrap_or_default();
                    let mut c2 = p.walk();
                    let modded = p.children(&mut c2).any(|x| ctx.kind(x) == K::Modifier);
                    (ty, modded)
                })
                .collect()
        }
        None => Vec::new(),
    };
    let returns = ctx.field(node, g.f.returns).map(|r| type_key(ctx.t(r))).unwrap_or_default();
    let is_static = sh.is_static;
    // Unity passes a message's arguments only to the parameters declared, so any leading part
    // of the signature is valid (`OnTriggerEnter()`, `OnApplicationPause()`).
    let param_ok = |m: &Msg| {
        params.len() <= m.params.len()
            && params.iter().zip(m.params).all(|((t, modded), want)| !modded && t == want)
    };
    let return_ok = |m: &Msg| match returns.as_str() {
        "void" => true,
        "IEnumerator" => m.coroutine,
        "bool" | "int" | "float" | "double" | "string" | "object" | "long" | "byte" | "char" => {
            // HasFrameBounds and the project-file hooks return values.
            (matches!(m.name, "HasFrameBounds" | "OnPreGeneratingCSProjectFiles") && returns == "bool")
                || (matches!(m.name, "OnGeneratedSlnSolution" | "OnGeneratedCSProject")
                    && returns == "string")
        }
        _ => true,
    };
    let matched = msgs().any(|m| param_ok(m) && return_ok(m));
    if !matched && is_static == STATIC_MESSAGES.contains(&first_msg.name) {
        let m = first_msg;
        let expected =
            if m.params.is_empty() { "()".to_string() } else { format!("({})", m.params.join(", ")) };
        let why = if msgs().any(param_ok) {
            format!("`{}` cannot return `{returns}`", m.name)
        } else {
            format!("`{}` takes {expected}", m.name)
        };
        sink.emit_node(
            "SPK1008",
            name_node,
            format!("wrong signature for the Unity message: {why}; Unity will not call it"),
        );
        return;
    }
    // UNT0001: an empty message still costs a native→managed call every time.
    if matched && !sh.polymorphic {
        let Some(body) = ctx.field(node, g.f.body) else { return };
        if ctx.kind(body) == K::Block {
            let mut c = body.walk();
            let has_statement = body.named_children(&mut c).any(|s| s.kind() != "comment");
            if !has_statement {
                sink.emit_node(
                    "SPK1004",
                    name_node,
                    format!("empty Unity message `{name}`: Unity calls it anyway; remove it"),
                );
            }
        }
    }
}

/// UNT0020 / UNT0015: `[MenuItem]` and load-time attributes need static (parameterless) methods.
fn load_attributes(node: Node<'_>, name_node: Node<'_>, is_static: bool, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let params = ctx.field(node, ctx.src.g.f.parameters).map(|p| p.named_child_count()).unwrap_or(0);
    let mut outer = node.walk();
    for list in node.children(&mut outer).filter(|ch| ctx.kind(*ch) == K::AttributeList) {
        let mut c = list.walk();
        for attr in list.named_children(&mut c).filter(|a| ctx.kind(*a) == K::Attribute) {
            let Some(an) = ctx.field(attr, ctx.src.g.f.name) else { continue };
            let a = simple_name(ctx.t(an));
            let a = a.strip_suffix("Attribute").unwrap_or(a);
            match a {
                // At the attribute, where Microsoft.Unity.Analyzers reports UNT0020.
                "MenuItem" if !is_static => sink.emit_node(
                    "SPK1014",
                    attr,
                    format!("[MenuItem] only works on static methods; make `{}` static", ctx.t(name_node)),
                ),
                "RuntimeInitializeOnLoadMethod" | "InitializeOnLoadMethod" | "DidReloadScripts"
                    if !is_static || params > 0 =>
                {
                    sink.emit_node(
                        "SPK1015",
                        name_node,
                        format!(
                            "[{a}] needs a static method without parameters; Unity will not call `{}`",
                            ctx.t(name_node)
                        ),
                    )
                }
                _ => {}
            }
        }
    }
}

fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    super::rules::tags::equals(node, callee, ctx, sink);
    let first = if GET_COMPONENT.contains(&name)
        || matches!(
            name,
            "GetKey"
                | "GetKeyDown"
                | "GetKeyUp"
                | "Destroy"
                | "DestroyImmediate"
                | "Invoke"
                | "InvokeRepeating"
                | "CancelInvoke"
                | "IsInvoking"
                | "StartCoroutine"
                | "StopCoroutine"
        ) {
        ctx.arg(node, 0)
    } else {
        None
    };

    if GET_COMPONENT.contains(&name) {
        // UNT0003
        if !callee.generic && first.is_some_and(|a| ctx.kind(a) == K::TypeofExpression) {
            let ty = first.and_then(|a| a.named_child(0)).map(|t| ctx.t(t)).unwrap_or("T");
            sink.emit_node(
                "SPK1006",
                node,
                format!("use the generic `{name}<{ty}>()` instead of `{name}(typeof({ty}))`: type-safe and no cast"),
            );
        }
        // Per-frame lookups on this object are cacheable.
        if let Some(update) = ctx.per_frame() {
            let recv_ok = ctx.is_self(callee.receiver)
                || callee.receiver.is_some_and(|r| matches!(ctx.t(r), "gameObject" | "transform"));
            if recv_ok && !lazily_cached(node, ctx) {
                sink.emit_node(
                    "SPK1019",
                    node,
                    format!("`{name}` runs every frame in `{update}`; cache the component in Awake or Start"),
                );
            }
        }
        return;
    }
    if FIND.contains(&name) {
        if let Some(update) = ctx.per_frame() {
            let recv = ctx.recv_name(callee.receiver);
            let scene_search = match name {
                "Find" => recv == "GameObject",
                _ => matches!(recv, "" | "GameObject" | "Object"),
            };
            if scene_search && !lazily_cached(node, ctx) {
                sink.emit_node(
                    "SPK1019",
                    node,
                    format!("`{name}` searches the scene every frame in `{update}`; find once in Awake or Start and keep the reference"),
                );
            }
        }
        return;
    }
    match name {
        // UNT0025
        "GetKey" | "GetKeyDown" | "GetKeyUp" if ctx.recv_name(callee.receiver) == "Input" => {
            if let Some(a) = first
                && let Some(key) = ctx.literal(a)
            {
                sink.emit_node(
                    "SPK1016",
                    a,
                    format!(
                        "`Input.{name}(\"{key}\")` takes a KeyCode; a misspelt string only fails at runtime"
                    ),
                );
            }
        }
        // UNT0030
        "Destroy" | "DestroyImmediate" if matches!(ctx.recv_name(callee.receiver), "" | "Object") => {
            if let Some(a) = first {
                let t = ctx.t(a);
                if t == "transform" || t.ends_with(".transform") {
                    sink.emit_node(
                        "SPK1017",
                        a,
                        format!("`{name}` on a Transform fails at runtime; destroy `{t}.gameObject` instead"),
                    );
                }
            }
        }
        // UNT0016
        "Invoke" | "InvokeRepeating" | "CancelInvoke" | "IsInvoking" | "StartCoroutine" | "StopCoroutine" => {
            // On this MonoBehaviour, or on a field or local whose declared type is one.
            let on_mono = if ctx.is_self(callee.receiver) {
                ctx.unity_type().is_some_and(|(_, k)| k.is_mono())
            } else {
                callee
                    .receiver
                    .filter(|r| ctx.kind(*r) == K::Identifier)
                    .and_then(|r| ctx.type_of(ctx.t(r)))
                    .and_then(|t| ctx.known.get(simple_name(t)))
                    .is_some_and(|k| k.is_mono())
            };
            if on_mono
                && let Some(a) = first
                && let Some(method) = ctx.literal(a)
            {
                let fix = if name.ends_with("Coroutine") {
                    format!("pass the call `{method}()`")
                } else {
                    format!("use `nameof({method})`")
                };
                sink.emit_node("SPK1013", a, format!("method name passed as a string to `{name}`; {fix}"));
            }
        }
        _ => {}
    }
}

/// UNT0012: `Coroutine();` alone does nothing.
fn unused_coroutine(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    // Cheap context checks first: most statements are not in a class declaring coroutines.
    let Some((tf, kind)) = ctx.unity_type() else { return };
    if !kind.is_mono() || tf.coroutines.is_empty() {
        return;
    }
    let Some(expr) = node.named_child(0) else { return };
    if ctx.kind(expr) != K::Invocation {
        return;
    }
    let Some(callee) = ctx.callee(expr) else { return };
    if !ctx.is_self(callee.receiver) {
        return;
    }
    let name = callee.name;
    if tf.coroutines.iter().any(|c| c == name)
        && tf.methods.iter().filter(|m| *m == name).count()
            == tf.coroutines.iter().filter(|c| *c == name).count()
    {
        sink.emit_node(
            "SPK1012",
            expr,
            format!(
                "`{name}` is a coroutine: calling it directly does nothing; use `StartCoroutine({name}(…))`"
            ),
        );
    }
}

fn creation_kind(ctx: &Ctx<'_>, type_text: &str) -> Option<UnityKind> {
    ctx.known.get(simple_name(type_text)).copied().filter(|k| k.is_object())
}

fn report_creation(node: Node<'_>, ty: &str, kind: UnityKind, sink: &mut Sink<'_>) {
    if kind.is_mono() {
        sink.emit_node(
            "SPK1010",
            node,
            format!("`{ty}` is a MonoBehaviour: create it with `gameObject.AddComponent<{ty}>()`, never with `new`"),
        );
    } else {
        sink.emit_node(
            "SPK1011",
            node,
            format!("`{ty}` is a ScriptableObject: create it with `ScriptableObject.CreateInstance<{ty}>()`, never with `new`"),
        );
    }
}

fn object_creation(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(ty) = ctx.field(node, ctx.src.g.f.type_) else { return };
    let tt = ctx.t(ty);
    let simple = simple_name(tt);
    // `new ObjectPool<T>()` (UnityEngine.Pool) is another type than a project's non-generic
    // `ObjectPool` MonoBehaviour: names are matched without type arguments, so generic
    // creations are left alone.
    if let Some(kind) = creation_kind(ctx, tt).filter(|_| ctx.kind(ty) != K::GenericName) {
        report_creation(node, simple, kind, sink);
        return;
    }
    // UNT0038: `yield return new WaitForSeconds(<literal>)` allocates on every pass; the
    // analyzer flags it wherever it is (a literal delay can always be cached).
    let yielded = ctx.yielded == Some(node.id());
    if yielded && matches!(simple, "WaitForSeconds" | "WaitForSecondsRealtime") {
        let args = ctx.args(node);
        if let [a] = args.as_slice()
            && matches!(a.kind(), "integer_literal" | "real_literal")
        {
            sink.emit_node(
                "SPK1018",
                node,
                format!("`new {simple}({})` allocates every time it is yielded; cache it in a static readonly field and yield the field", ctx.t(*a)),
            );
            return;
        }
    }
    // In loops, also when the delay is a field or constant: the same instance could be reused.
    if matches!(
        simple,
        "WaitForSeconds" | "WaitForSecondsRealtime" | "WaitForEndOfFrame" | "WaitForFixedUpdate"
    ) && ctx.in_loop()
    {
        let fields = ctx.type_frame().map(|t| t.fields.as_slice()).unwrap_or(&[]);
        let cacheable = ctx.args(node).iter().all(|a| {
            let t = ctx.t(*a);
            let numeric = t.trim_end_matches(['f', 'F', 'd', 'D']).parse::<f64>().is_ok();
            numeric || fields.iter().any(|f| f == t) || t.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        if cacheable {
            sink.emit_node(
                "SPK1018",
                node,
                format!("`new {simple}` allocates on every loop iteration; create it once before the loop and yield the cached instance"),
            );
        }
    }
}

/// `Foo f = new();` where `Foo` is a Unity object.
fn implicit_creation(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(ty) = ctx.field(node, ctx.src.g.f.type_) else { return };
    let tt = ctx.t(ty);
    let Some(kind) = creation_kind(ctx, tt) else { return };
    for v in kids(node).filter(|v| ctx.kind(*v) == K::VariableDeclarator) {
        if let Some(init) = kids(v).find(|x| ctx.kind(*x) == K::ImplicitObjectCreation) {
            report_creation(init, simple_name(tt), kind, sink);
        }
    }
}

/// UNT0004, UNT0005
fn member_access(node: Node<'_>, t: &str, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    // Writing it (`Time.fixedDeltaTime = 0.02f * Time.timeScale`, Unity's slow-motion recipe)
    // sets the physics step; only reading it as a frame time is the mistake. The parent is looked
    // up last: tree-sitter finds it by walking down from the root, for every member access.
    let written = || {
        node.parent().is_some_and(|p| {
            ctx.kind(p) == K::Assignment
                && ctx.field(p, ctx.src.g.f.left).is_some_and(|l| l.id() == node.id())
        })
    };
    if (t == "Time.fixedDeltaTime" || t == "UnityEngine.Time.fixedDeltaTime")
        && ctx.per_frame() == Some("Update")
        && !written()
    {
        sink.emit_node(
            "SPK1007",
            node,
            "`Time.fixedDeltaTime` in `Update` is the physics step, not the frame time; use `Time.deltaTime`"
                .into(),
        );
    }
    // UNT0005: Unity returns the physics step there too, but the code reads as a frame time.
    if (t == "Time.deltaTime" || t == "UnityEngine.Time.deltaTime") && ctx.per_frame() == Some("FixedUpdate")
    {
        sink.emit_node(
            "SPK1029",
            node,
            "`Time.deltaTime` in `FixedUpdate` is the physics step; say so with `Time.fixedDeltaTime`".into(),
        );
    }
}

/// Whether a per-frame lookup is the lazy-cache idiom: its result is assigned to a variable that
/// an enclosing `if` checks for null (`if (rb == null) rb = GetComponent<Rigidbody>();`) or with
/// `??=`, so the lookup runs once rather than every frame.
fn lazily_cached(call: Node<'_>, ctx: &Ctx<'_>) -> bool {
    let mut value = call;
    let mut parent = call.parent();
    while let Some(p) = parent {
        if matches!(ctx.kind(p), K::Parenthesized | K::Cast) || p.kind() == "as_expression" {
            value = p;
            parent = p.parent();
        } else {
            break;
        }
    }
    let Some(assign) = parent.filter(|p| ctx.kind(*p) == K::Assignment) else { return false };
    let g = ctx.src.g;
    if ctx.field(assign, g.f.right) != Some(value) {
        return false;
    }
    let Some(left) = ctx.field(assign, g.f.left) else { return false };
    let squash = |t: &str| t.split_whitespace().collect::<String>().replace("this.", "");
    let target = squash(ctx.t(left));
    if ctx.field(assign, g.f.operator).is_some_and(|o| ctx.t(o) == "??=") {
        return true;
    }
    let mut up = assign.parent();
    for _ in 0..6 {
        let Some(a) = up else { break };
        if a.kind() == "if_statement" {
            let Some(cond) = a.child_by_field_name("condition") else { return false };
            let cond = squash(ctx.t(cond));
            let negated = cond.match_indices(&format!("!{target}")).any(|(i, m)| {
                !cond[i + m.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
            });
            return negated
                || cond.contains(&format!("{target}==null"))
                || cond.contains(&format!("null=={target}"))
                || cond.contains(&format!("{target}isnull"));
        }
        up = a.parent();
    }
    false
}
