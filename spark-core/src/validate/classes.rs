//! The classes a file declares and the Unity base each derives from, as far as syntax tells:
//! what every rule needs to know before the walk starts.

use std::collections::HashMap;

use tree_sitter::Node;

use super::source::{K, Source};
use super::tree::kids;

/// The Unity base a class derives from, as far as syntax tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum UnityKind {
    MonoBehaviour,
    ScriptableObject,
    Editor,
    EditorWindow,
    StateMachineBehaviour,
    /// An editor import hook: Unity calls its messages, but it is no `UnityEngine.Object`.
    AssetPostprocessor,
}

impl UnityKind {
    /// MonoBehaviour and everything deriving from it.
    pub fn is_mono(self) -> bool {
        self == UnityKind::MonoBehaviour
    }

    /// Whether instances are `UnityEngine.Object`s (created by Unity, null-checked by Unity).
    pub fn is_object(self) -> bool {
        self != UnityKind::AssetPostprocessor
    }
}

/// Unity types whose subclasses are MonoBehaviours or ScriptableObjects.
pub(crate) const BUILTIN_BASES: &[(&str, UnityKind)] = &[
    ("MonoBehaviour", UnityKind::MonoBehaviour),
    // Components that are not MonoBehaviours: what holds for creating them (no `new`) holds here.
    ("Behaviour", UnityKind::MonoBehaviour),
    ("Component", UnityKind::MonoBehaviour),
    ("NetworkBehaviour", UnityKind::MonoBehaviour),
    ("UIBehaviour", UnityKind::MonoBehaviour),
    ("Graphic", UnityKind::MonoBehaviour),
    ("MaskableGraphic", UnityKind::MonoBehaviour),
    ("Selectable", UnityKind::MonoBehaviour),
    ("BaseMeshEffect", UnityKind::MonoBehaviour),
    ("BaseRaycaster", UnityKind::MonoBehaviour),
    ("BaseInputModule", UnityKind::MonoBehaviour),
    ("PointerInputModule", UnityKind::MonoBehaviour),
    ("LayoutGroup", UnityKind::MonoBehaviour),
    ("ScriptableObject", UnityKind::ScriptableObject),
    ("PlayableAsset", UnityKind::ScriptableObject),
    ("ScriptableRendererFeature", UnityKind::ScriptableObject),
    ("ScriptableSingleton", UnityKind::ScriptableObject),
    ("Editor", UnityKind::Editor),
    ("EditorWindow", UnityKind::EditorWindow),
    ("ScriptableWizard", UnityKind::EditorWindow),
    ("StateMachineBehaviour", UnityKind::StateMachineBehaviour),
    ("AssetPostprocessor", UnityKind::AssetPostprocessor),
];

/// A class declaration found before the walk (for inheritance resolution).
#[derive(Debug, Clone)]
pub(crate) struct ClassDecl {
    pub name: String,
    /// The first base type, without qualifier or type arguments.
    pub base: Option<String>,
    /// Declared `partial`: without a base list it is a part of a type declared elsewhere.
    pub partial: bool,
}

/// The last simple name of a type (`UnityEngine.MonoBehaviour` → `MonoBehaviour`,
/// `Singleton<T>` → `Singleton`).
pub(crate) fn simple_name(text: &str) -> &str {
    let head = text.split('<').next().unwrap_or(text);
    let last = head.rsplit(['.', ':']).next().unwrap_or(head);
    last.trim()
}

/// Class declarations of a file (namespaces and nested types included, method bodies skipped).
pub(crate) fn collect_classes(src: &Source<'_>) -> Vec<ClassDecl> {
    let g = src.g;
    let mut out = Vec::new();
    let mut stack = vec![src.tree.root_node()];
    while let Some(n) = stack.pop() {
        let mut c = n.walk();
        for ch in n.named_children(&mut c) {
            match g.kind(ch) {
                K::Class | K::Record => {
                    let name =
                        ch.child_by_field_id(g.f.name).map(|x| src.t(x).to_string()).unwrap_or_default();
                    let base = base_list(ch, src)
                        .and_then(|b| b.named_child(0))
                        .map(|b| simple_name(src.t(b)).to_string());
                    let partial = has_modifier(ch, src, "partial");
                    out.push(ClassDecl { name, base, partial });
                    if let Some(body) = ch.child_by_field_id(g.f.body) {
                        stack.push(body);
                    }
                }
                K::Namespace | K::DeclarationList | K::Struct => {
                    if let Some(body) = ch.child_by_field_id(g.f.body) {
                        stack.push(body);
                    } else {
                        stack.push(ch);
                    }
                }
                _ if n.is_error() || ch.is_error() => stack.push(ch),
                _ => {}
            }
        }
    }
    out
}

/// Whether a declaration carries the modifier `word` (`partial`, `static`, `abstract`…).
pub(crate) fn has_modifier(node: Node<'_>, src: &Source<'_>, word: &str) -> bool {
    kids(node).any(|m| src.g.kind(m) == K::Modifier && src.t(m) == word)
}

pub(crate) fn base_list<'t>(class: Node<'t>, src: &Source<'_>) -> Option<Node<'t>> {
    kids(class).find(|n| src.g.kind(*n) == K::BaseList)
}

/// Which class names are Unity objects: the built-in bases plus every class deriving from one,
/// transitively. A name the project also declares as a plain class (not `partial`, deriving from
/// nothing Unity) is left out: without resolving namespaces, `new Settings()` may mean either.
pub(crate) fn resolve_unity(classes: &[&ClassDecl]) -> HashMap<String, UnityKind> {
    let mut map: HashMap<String, UnityKind> =
        BUILTIN_BASES.iter().map(|(n, k)| (n.to_string(), *k)).collect();
    let pending: Vec<(&str, &str)> =
        classes.iter().filter_map(|c| c.base.as_deref().map(|b| (c.name.as_str(), b))).collect();
    loop {
        let mut changed = false;
        for (name, base) in &pending {
            if map.contains_key(*name) {
                continue;
            }
            if let Some(k) = map.get(*base).copied() {
                map.insert(name.to_string(), k);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for c in classes {
        let plain = match &c.base {
            None => !c.partial,
            Some(b) => !map.contains_key(b.as_str()),
        };
        if plain && !BUILTIN_BASES.iter().any(|(n, _)| *n == c.name) {
            map.remove(&c.name);
        }
    }
    map
}
