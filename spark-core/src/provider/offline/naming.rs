//! Class names from requests: PascalCase, a valid C# identifier, never a Unity or .NET type the
//! script's `using`s bring into scope.

use super::TypeKind;

/// Words before the subject that say nothing about it.
const LEADING_NOISE: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "we",
    "me",
    "us",
    "please",
    "make",
    "create",
    "write",
    "build",
    "generate",
    "give",
    "need",
    "want",
    "add",
    "implement",
    "script",
    "unity",
    "simple",
    "basic",
    "some",
    "my",
    "c",
    "csharp",
    "monobehaviour",
    "component",
    "can",
    "you",
    "would",
    "like",
    "to",
    "for",
    "new",
    "quick",
    "small",
];
/// Words that end the subject's noun phrase.
const CONNECTORS: &[&str] = &[
    "that", "which", "who", "with", "where", "when", "to", "for", "using", "and", "so", "in", "on", "by",
    "while", "whose", "if", "of", "from", "between", "at", "after", "every", "like", "as", "you", "i", "we",
    "it", "they", "he", "she", "called", "named", "around", "the", "a", "an", "this", "into", "through",
    "over", "under", "inside", "near",
];
/// Words that never name a component: "a simple movement script" is about movement.
const FILLER_WORDS: &[&str] =
    &["script", "component", "behaviour", "monobehaviour", "unity", "simple", "basic"];
/// Words naming the kind of type rather than the thing: "a scriptable object for weapon stats"
/// is about weapon stats.
const KIND_WORDS: &[&str] = &[
    "scriptable",
    "object",
    "objects",
    "scriptableobject",
    "editor",
    "window",
    "custom",
    "inspector",
    "static",
    "utility",
    "class",
    "plain",
    "c",
    "csharp",
    "script",
    "component",
    "asset",
    "tool",
    "monobehaviour",
    "poco",
    "pure",
    "menu",
    "behaviour",
    "unity",
    "simple",
    "basic",
    "the",
    "a",
    "an",
    "my",
    "our",
    "type",
    "helper",
    "serializable",
    "extension",
    "methods",
    "method",
];
/// Unity and .NET type names a generated class must not shadow.
const RESERVED: &[&str] = &[
    "Action",
    "Animation",
    "AnimationCurve",
    "Animator",
    "Application",
    "AudioClip",
    "AudioListener",
    "AudioSource",
    "Avatar",
    "Behaviour",
    "Bounds",
    "BoxCollider",
    "Button",
    "Camera",
    "Canvas",
    "CanvasGroup",
    "CapsuleCollider",
    "CharacterController",
    "Cloth",
    "Collider",
    "Collider2D",
    "Collision",
    "Color",
    "Component",
    "Coroutine",
    "Cubemap",
    "Cursor",
    "Debug",
    "Dictionary",
    "Dropdown",
    "Editor",
    "EditorGUILayout",
    "EditorWindow",
    "Event",
    "File",
    "Font",
    "GameObject",
    "Gizmos",
    "Gradient",
    "Grid",
    "GUI",
    "GUILayout",
    "Handles",
    "Health",
    "Image",
    "Input",
    "InputField",
    "Joint",
    "JsonUtility",
    "Keyframe",
    "Light",
    "LineRenderer",
    "List",
    "Mask",
    "Material",
    "Math",
    "Mathf",
    "Mesh",
    "MeshCollider",
    "MenuItem",
    "MonoBehaviour",
    "Motion",
    "NavMeshAgent",
    "Object",
    "ParticleSystem",
    "Path",
    "Physics",
    "Physics2D",
    "Plane",
    "PlayerPrefs",
    "Quaternion",
    "Queue",
    "Random",
    "Ray",
    "RaycastHit",
    "Rect",
    "RectTransform",
    "Renderer",
    "RenderTexture",
    "Resources",
    "Rigidbody",
    "Rigidbody2D",
    "Scene",
    "SceneManager",
    "ScriptableObject",
    "Screen",
    "Scrollbar",
    "Selection",
    "SerializedObject",
    "SerializedProperty",
    "Shader",
    "Skybox",
    "Slider",
    "SphereCollider",
    "Sprite",
    "String",
    "Task",
    "Terrain",
    "Text",
    "Texture",
    "Tilemap",
    "Time",
    "Timer",
    "Toggle",
    "TrailRenderer",
    "Transform",
    "Tree",
    "Undo",
    "Vector2",
    "Vector3",
    "Vector4",
    "VideoPlayer",
    "WaitForSeconds",
    "WheelCollider",
    "WindZone",
];

/// Words too vague to be a name alone: "a data asset for item definitions" is `ItemDefinitions`.
const WEAK_NAMES: &[&str] = &["data", "system", "item", "items", "manager", "thing", "stuff"];
/// Verbs a request may start with: "press E to interact" names no thing, so the default applies.
const VERBS: &[&str] = &[
    "press", "pause", "respawn", "save", "load", "remember", "shoot", "rename", "show", "play", "open",
    "collect", "fade", "move", "rotate", "spin", "track", "count", "display", "store", "keep", "let",
    "allow",
];
/// Longest name made from request words, in words: longer phrases are sentences, not names.
const MAX_NAME_WORDS: usize = 3;
/// The same for template names, which drop filler first ("top down shooter player controller").
const MAX_TEMPLATE_WORDS: usize = 5;

pub(super) fn words(prompt: &str) -> Vec<String> {
    prompt
        .chars()
        .take(super::matcher::MAX_MATCH_CHARS)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The request's subject, lowercased: the noun phrase before the first connector ("a door that
/// opens when the player is near" → `door`), so that other things it names ("the player") do not
/// pick the script's features.
pub(super) fn subject_words(prompt: &str) -> Vec<String> {
    let words = words(prompt);
    let start = words.iter().take_while(|w| LEADING_NOISE.contains(&w.as_str())).count();
    words[start..]
        .iter()
        .take_while(|w| !CONNECTORS.contains(&w.as_str()))
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .cloned()
        .collect()
}

/// The noun phrase after the first "for"/"of"/"called"/"named" ("a custom inspector for the
/// spawner" → `spawner`), without kind words.
pub(super) fn object_words(prompt: &str) -> Vec<String> {
    let words = words(prompt);
    let Some(at) = words.iter().position(|w| matches!(w.as_str(), "for" | "of" | "called" | "named")) else {
        return Vec::new();
    };
    words[at + 1..]
        .iter()
        .skip_while(|w| LEADING_NOISE.contains(&w.as_str()))
        .take_while(|w| !CONNECTORS.contains(&w.as_str()))
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()) && !KIND_WORDS.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// PascalCase of the last few words; `None` when that is empty, starts with a digit or is
/// reserved.
pub(super) fn pascal(words: &[String]) -> Option<String> {
    let tail = &words[words.len().saturating_sub(MAX_TEMPLATE_WORDS)..];
    let name: String = tail
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    let ok = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && !is_reserved(&name);
    ok.then_some(name)
}

/// Whether `name` would hide a Unity or .NET type.
pub(super) fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// The name for a template of the request's main mechanic: the subject without filler words,
/// and for other kinds than components without kind words ("a scriptable object for weapon
/// stats" → `WeaponStats`), or `default`.
pub(super) fn template_name(prompt: &str, default: &str, suffix: &str, kind: TypeKind) -> String {
    let strip = if kind == TypeKind::MonoBehaviour { FILLER_WORDS } else { KIND_WORDS };
    // "a menu item that ..." names no thing; "an item database" does.
    let item = |w: &str| kind == TypeKind::EditorMenu && (w == "item" || w == "items");
    let subject: Vec<String> =
        subject_words(prompt).into_iter().filter(|w| !strip.contains(&w.as_str()) && !item(w)).collect();
    if starts_with_verb(prompt) {
        return default.to_string();
    }
    let weak = subject.iter().all(|w| WEAK_NAMES.contains(&w.as_str()));
    let words = if weak { object_words(prompt) } else { subject };
    match pascal(&words) {
        Some(n) if n.ends_with(suffix) => n,
        Some(n) if !is_reserved(&format!("{n}{suffix}")) => format!("{n}{suffix}"),
        _ => default.to_string(),
    }
}

/// Whether the request's subject starts with a verb ("press E to interact"): it names no thing.
pub(super) fn starts_with_verb(prompt: &str) -> bool {
    subject_words(prompt).first().is_some_and(|w| VERBS.contains(&w.as_str()))
}

/// Derives a PascalCase class name from a request: the noun phrase before the first connector.
pub fn class_name_for(prompt: &str) -> String {
    let words = subject_words(prompt);
    let tail = &words[words.len().saturating_sub(MAX_NAME_WORDS)..];
    let mut name: String = tail
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    if name.is_empty() {
        name = "GeneratedBehaviour".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("Spark{name}");
    }
    if is_reserved(&name) {
        name.push_str("Behaviour");
    }
    name
}
