//! The offline scaffold: the embedded default provider when no API key is configured.
//!
//! It is not a model. It reads the request for a few well-known gameplay features (rotation,
//! bobbing, sound, pickup, movement, jumping, health, spawning, following) and assembles a
//! compilable MonoBehaviour from tested templates, deterministically: the same request always
//! gives the same script. Its replies say so, in the code header and in the reported model name
//! (`offline-scaffold`), and [`Provider::is_offline`] is true.

use async_trait::async_trait;
use futures::stream;

use super::{
    Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, Role, StopReason, Usage,
};
use crate::error::{Error, Result};

/// Model name reported by the offline scaffold.
pub const OFFLINE_MODEL: &str = "offline-scaffold";

/// The offline scaffold provider. Needs no key and no network.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Offline {
    /// A new offline provider.
    pub fn new() -> Self {
        Offline
    }

    fn reply(&self, request: &CompletionRequest) -> Result<String> {
        let first_user = request
            .messages
            .iter()
            .find(|m| m.role == Role::User)
            .ok_or_else(|| Error::InvalidRequest("no user message".into()))?;
        let prompt = request_text(&first_user.content);
        let script = scaffold(prompt);
        Ok(format!(
            "This is SPARK's offline scaffold (no model was called). It is a starting point built \
             from templates for the features named in the request.\n\n### {}.cs\n\n```csharp\n{}```\n",
            script.class_name, script.source
        ))
    }
}

/// The request text inside SPARK's prompt envelope, or the whole message.
fn request_text(message: &str) -> &str {
    match (message.find("<request>"), message.find("</request>")) {
        (Some(a), Some(b)) if a + 9 <= b => message[a + 9..b].trim(),
        _ => message.trim(),
    }
}

#[async_trait]
impl Provider for Offline {
    fn name(&self) -> &str {
        "offline"
    }

    fn default_model(&self) -> &str {
        OFFLINE_MODEL
    }

    fn is_offline(&self) -> bool {
        true
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        Ok(Completion {
            text: self.reply(request)?,
            usage: Usage::default(),
            stop_reason: Some(StopReason::EndTurn),
            provider: "offline".into(),
            model: OFFLINE_MODEL.into(),
            request_id: None,
            cached: false,
        })
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let text = self.reply(request)?;
        let mut events = vec![Ok(ProviderEvent::start(OFFLINE_MODEL, None))];
        events
            .extend(text.split_inclusive('\n').map(|l| Ok(ProviderEvent::TextDelta { text: l.to_string() })));
        events.push(Ok(ProviderEvent::Usage { usage: Usage::default() }));
        events.push(Ok(ProviderEvent::Stop { reason: StopReason::EndTurn }));
        Ok(Box::pin(stream::iter(events)))
    }
}

/// A scaffolded script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffold {
    /// The MonoBehaviour's class name (and file stem).
    pub class_name: String,
    /// The C# source.
    pub source: String,
}

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
];
const CONNECTORS: &[&str] = &[
    "that", "which", "who", "with", "where", "when", "to", "for", "using", "and", "so", "in", "on", "by",
    "while", "whose", "if", "of",
];
/// UnityEngine type names a generated class must not shadow.
const UNITY_TYPES: &[&str] = &[
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
    "Dropdown",
    "Editor",
    "Event",
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
    "Keyframe",
    "Light",
    "LineRenderer",
    "Mask",
    "Material",
    "Math",
    "Mathf",
    "Mesh",
    "MeshCollider",
    "MonoBehaviour",
    "Motion",
    "NavMeshAgent",
    "Object",
    "ParticleSystem",
    "Physics",
    "Physics2D",
    "Plane",
    "PlayerPrefs",
    "Quaternion",
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
    "Vector2",
    "Vector3",
    "Vector4",
    "VideoPlayer",
    "WaitForSeconds",
    "WheelCollider",
    "WindZone",
];

/// The request's subject, lowercased: the noun phrase before the first connector ("a door that
/// opens when the player is near" → `door`), so that other things it names ("the player") do not
/// pick the script's features.
fn subject_words(prompt: &str) -> Vec<String> {
    let words: Vec<String> = prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    let mut start = 0;
    while start < words.len() && LEADING_NOISE.contains(&words[start].as_str()) {
        start += 1;
    }
    words[start..]
        .iter()
        .take_while(|w| !CONNECTORS.contains(&w.as_str()))
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .cloned()
        .collect()
}

/// Derives a PascalCase class name from a request: the noun phrase before the first connector.
pub fn class_name_for(prompt: &str) -> String {
    let words = subject_words(prompt);
    let mut phrase: Vec<&str> = words.iter().map(String::as_str).collect();
    if phrase.len() > 3 {
        phrase = phrase[phrase.len() - 3..].to_vec();
    }
    let mut name: String = phrase
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
    if UNITY_TYPES.contains(&name.as_str()) {
        name.push_str("Behaviour");
    }
    name
}

/// Makes the object's collider a trigger when the component is added (pickups, proximity).
const TRIGGER_RESET: &str = "private void Reset()\n    {\n        // Detection goes through a trigger collider.\n        var trigger = GetComponent<Collider>();\n        if (trigger != null)\n        {\n            trigger.isTrigger = true;\n        }\n    }";

#[derive(Default)]
struct Parts {
    usings: Vec<&'static str>,
    attributes: Vec<String>,
    fields: Vec<String>,
    awake: Vec<String>,
    start: Vec<String>,
    update: Vec<String>,
    methods: Vec<String>,
}

fn has(p: &str, words: &[&str]) -> bool {
    words.iter().any(|w| p.contains(w))
}

/// Builds the scaffold for a request. Deterministic.
pub fn scaffold(prompt: &str) -> Scaffold {
    let class_name = class_name_for(prompt);
    let p = prompt.to_lowercase();
    let mut parts = Parts { usings: vec!["UnityEngine"], ..Default::default() };

    let pickup =
        has(&p, &["pickup", "pick-up", "pick up", "collectible", "collect", "coin", "power-up", "powerup"]);
    let sound = has(&p, &["sound", "audio", "sfx", "noise", "music"]);
    let subject = subject_words(prompt).join(" ");
    let jump = p.contains("jump");
    // "player" makes a mover only as the subject: in "a door that opens when the player is near"
    // the player is who triggers the door.
    let mover =
        jump || has(&p, &["controller", "movement", "move", "walk", "run"]) || has(&subject, &["player"]);
    let door = has(&subject, &["door", "gate", "hatch"]);
    let proximity = !pickup
        && has(
            &p,
            &[" near", "nearby", "approach", "proximity", "enters", "in range", "close to", "comes close"],
        );
    let rotate = has(&p, &["rotat", "spin", "turn"]) && !mover;
    let bob = has(&p, &["bob", "float", "hover"]);
    let health = has(&p, &["health", "damage", "hp", "hit point", "die"]);
    let spawner = has(&p, &["spawn"]);
    let follow = has(&p, &["follow", "chase"]) && !mover;

    if rotate {
        parts.fields.push("[Tooltip(\"Degrees per second around each axis.\")]\n    [SerializeField] private Vector3 rotationSpeed = new Vector3(0f, 90f, 0f);".into());
        parts.update.push("transform.Rotate(rotationSpeed * Time.deltaTime, Space.World);".into());
    }
    if bob {
        parts.fields.push("[SerializeField] private float bobHeight = 0.25f;\n    [SerializeField] private float bobFrequency = 1f;".into());
        parts.fields.push("private Vector3 startPosition;".into());
        parts.start.push("startPosition = transform.position;".into());
        parts.update.push("float offset = Mathf.Sin(Time.time * bobFrequency * 2f * Mathf.PI) * bobHeight;\n        transform.position = startPosition + Vector3.up * offset;".into());
    }
    if sound && !pickup {
        parts.attributes.push("[RequireComponent(typeof(AudioSource))]".into());
        parts.fields.push("[SerializeField] private AudioClip clip;\n    [SerializeField, Range(0f, 1f)] private float volume = 1f;".into());
        parts.fields.push("private AudioSource audioSource;".into());
        parts.awake.push("audioSource = GetComponent<AudioSource>();".into());
        parts.methods.push("/// <summary>Plays the configured clip once.</summary>\n    public void PlaySound()\n    {\n        if (clip != null)\n        {\n            audioSource.PlayOneShot(clip, volume);\n        }\n    }".into());
    }
    if pickup {
        parts.usings.push("UnityEngine.Events");
        parts.fields.push("[SerializeField] private string collectorTag = \"Player\";".into());
        if sound {
            parts.fields.push("[SerializeField] private AudioClip pickupSound;\n    [SerializeField, Range(0f, 1f)] private float volume = 1f;".into());
        }
        parts.fields.push("[SerializeField] private UnityEvent onCollected = new UnityEvent();".into());
        let play = if sound {
            "\n        if (pickupSound != null)\n        {\n            // PlayClipAtPoint outlives this object, which is destroyed right away.\n            AudioSource.PlayClipAtPoint(pickupSound, transform.position, volume);\n        }"
        } else {
            ""
        };
        parts.methods.push(format!(
            "private void OnTriggerEnter(Collider other)\n    {{\n        if (!other.CompareTag(collectorTag))\n        {{\n            return;\n        }}{play}\n        onCollected.Invoke();\n        Destroy(gameObject);\n    }}"
        ));
        parts.methods.push(TRIGGER_RESET.into());
    }
    if door {
        parts.fields.push("[Tooltip(\"Degrees the door turns around its hinge (local Y) when open.\")]\n    [SerializeField] private float openAngle = 90f;\n    [SerializeField, Min(0.01f)] private float openSpeed = 180f;\n    private Quaternion closedRotation;\n    private bool isOpen;".into());
        parts.awake.push("closedRotation = transform.localRotation;".into());
        parts.update.push("Quaternion target = isOpen ? closedRotation * Quaternion.Euler(0f, openAngle, 0f) : closedRotation;\n        transform.localRotation = Quaternion.RotateTowards(transform.localRotation, target, openSpeed * Time.deltaTime);".into());
        parts.methods.push("/// <summary>Swings the door open.</summary>\n    public void Open()\n    {\n        isOpen = true;\n    }\n\n    /// <summary>Swings the door shut.</summary>\n    public void Close()\n    {\n        isOpen = false;\n    }".into());
    }
    if proximity {
        parts.usings.push("UnityEngine.Events");
        parts.fields.push("[SerializeField] private string triggerTag = \"Player\";\n    [SerializeField] private UnityEvent onEnter = new UnityEvent();\n    [SerializeField] private UnityEvent onExit = new UnityEvent();".into());
        let (enter, exit) = if door { ("\n        Open();", "\n        Close();") } else { ("", "") };
        parts.methods.push(format!(
            "private void OnTriggerEnter(Collider other)\n    {{\n        if (!other.CompareTag(triggerTag))\n        {{\n            return;\n        }}{enter}\n        onEnter.Invoke();\n    }}\n\n    private void OnTriggerExit(Collider other)\n    {{\n        if (!other.CompareTag(triggerTag))\n        {{\n            return;\n        }}{exit}\n        onExit.Invoke();\n    }}"
        ));
        parts.methods.push(TRIGGER_RESET.into());
    }
    if mover {
        let third = has(&p, &["third-person", "third person", "thirdperson"]);
        parts.attributes.push("[RequireComponent(typeof(CharacterController))]".into());
        parts.fields.push("[SerializeField] private float moveSpeed = 5f;\n    [SerializeField] private float turnSpeed = 720f;\n    [SerializeField] private float gravity = -20f;".into());
        if third {
            parts.fields.push("[Tooltip(\"Camera whose facing defines forward; defaults to Camera.main.\")]\n    [SerializeField] private Transform cameraTransform;".into());
        }
        parts.fields.push("private CharacterController controller;\n    private Vector3 velocity;".into());
        parts.awake.push("controller = GetComponent<CharacterController>();".into());
        if third {
            parts.start.push("if (cameraTransform == null && Camera.main != null)\n        {\n            cameraTransform = Camera.main.transform;\n        }".into());
        }
        let basis = if third {
            "Vector3 forward = cameraTransform != null ? Vector3.ProjectOnPlane(cameraTransform.forward, Vector3.up).normalized : Vector3.forward;\n        Vector3 right = cameraTransform != null ? Vector3.ProjectOnPlane(cameraTransform.right, Vector3.up).normalized : Vector3.right;"
        } else {
            "Vector3 forward = Vector3.forward;\n        Vector3 right = Vector3.right;"
        };
        let mut update = format!(
            "Vector2 input = new Vector2(Input.GetAxisRaw(\"Horizontal\"), Input.GetAxisRaw(\"Vertical\"));\n        {basis}\n        Vector3 move = Vector3.ClampMagnitude(forward * input.y + right * input.x, 1f);\n        if (move.sqrMagnitude > 0.0001f)\n        {{\n            Quaternion facing = Quaternion.LookRotation(move, Vector3.up);\n            transform.rotation = Quaternion.RotateTowards(transform.rotation, facing, turnSpeed * Time.deltaTime);\n        }}\n"
        );
        if jump {
            let jumps = if has(&p, &["double jump", "double-jump", "doublejump"]) {
                2
            } else if has(&p, &["triple jump", "triple-jump"]) {
                3
            } else {
                1
            };
            parts.fields.push(format!("[SerializeField] private float jumpHeight = 1.5f;\n    [Tooltip(\"Jumps allowed before landing (2 = double jump).\")]\n    [SerializeField, Min(1)] private int maxJumps = {jumps};\n    private int jumpsUsed;"));
            update.push_str("\n        if (controller.isGrounded)\n        {\n            jumpsUsed = 0;\n            if (velocity.y < 0f)\n            {\n                velocity.y = -2f;\n            }\n        }\n        if (Input.GetButtonDown(\"Jump\") && jumpsUsed < maxJumps)\n        {\n            velocity.y = Mathf.Sqrt(jumpHeight * -2f * gravity);\n            jumpsUsed++;\n        }\n");
        } else {
            update.push_str("\n        if (controller.isGrounded && velocity.y < 0f)\n        {\n            velocity.y = -2f;\n        }\n");
        }
        update.push_str("        velocity.y += gravity * Time.deltaTime;\n        controller.Move((move * moveSpeed + Vector3.up * velocity.y) * Time.deltaTime);");
        parts.update.push(update);
    }
    if health {
        parts.usings.push("UnityEngine.Events");
        parts.fields.push("[SerializeField, Min(1f)] private float maxHealth = 100f;\n    [SerializeField] private UnityEvent onDeath = new UnityEvent();\n    private float currentHealth;".into());
        parts.awake.push("currentHealth = maxHealth;".into());
        parts.methods.push("/// <summary>Current health, between 0 and the maximum.</summary>\n    public float CurrentHealth => currentHealth;\n\n    /// <summary>Removes health; invokes onDeath once when it reaches zero.</summary>\n    public void TakeDamage(float amount)\n    {\n        if (amount <= 0f || currentHealth <= 0f)\n        {\n            return;\n        }\n        currentHealth = Mathf.Max(0f, currentHealth - amount);\n        if (currentHealth <= 0f)\n        {\n            onDeath.Invoke();\n        }\n    }\n\n    /// <summary>Restores health up to the maximum.</summary>\n    public void Heal(float amount)\n    {\n        if (amount > 0f && currentHealth > 0f)\n        {\n            currentHealth = Mathf.Min(maxHealth, currentHealth + amount);\n        }\n    }".into());
    }
    if spawner {
        parts.usings.push("System.Collections");
        parts.fields.push("[SerializeField] private GameObject prefab;\n    [SerializeField, Min(0.01f)] private float interval = 2f;\n    [SerializeField, Min(0)] private int maxAlive = 10;\n    private int alive;".into());
        parts.start.push("StartCoroutine(SpawnLoop());".into());
        parts.methods.push("private IEnumerator SpawnLoop()\n    {\n        var wait = new WaitForSeconds(interval);\n        while (enabled)\n        {\n            if (prefab != null && alive < maxAlive)\n            {\n                Instantiate(prefab, transform.position, transform.rotation);\n                alive++;\n            }\n            yield return wait;\n        }\n    }".into());
    }
    if follow {
        parts.fields.push("[SerializeField] private Transform target;\n    [SerializeField] private Vector3 offset = new Vector3(0f, 5f, -8f);\n    [SerializeField, Min(0f)] private float smoothTime = 0.2f;\n    private Vector3 followVelocity;".into());
        parts.methods.push("private void LateUpdate()\n    {\n        if (target == null)\n        {\n            return;\n        }\n        Vector3 desired = target.position + offset;\n        transform.position = Vector3.SmoothDamp(transform.position, desired, ref followVelocity, smoothTime);\n        transform.LookAt(target);\n    }".into());
    }
    if parts.fields.is_empty() && parts.update.is_empty() && parts.methods.is_empty() {
        parts.fields.push("[SerializeField] private bool logLifecycle = true;".into());
        parts.start.push(
            "if (logLifecycle)\n        {\n            Debug.Log($\"{name} started\", this);\n        }"
                .into(),
        );
        parts.methods.push("private void OnDisable()\n    {\n        if (logLifecycle)\n        {\n            Debug.Log($\"{name} disabled\", this);\n        }\n    }".into());
    }
    Scaffold { source: assemble(&class_name, prompt, parts), class_name }
}

fn assemble(class_name: &str, prompt: &str, mut parts: Parts) -> String {
    parts.usings.sort_unstable();
    parts.usings.dedup();
    let summary: String = prompt
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect::<String>()
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('&', "&amp;")
        .replace("&amp;lt;", "&lt;")
        .replace("&amp;gt;", "&gt;");
    let mut s = String::new();
    s.push_str("// Generated by SPARK's offline scaffold (no model was called).\n");
    for u in &parts.usings {
        s.push_str(&format!("using {u};\n"));
    }
    s.push_str(&format!("\n/// <summary>\n/// {}\n/// </summary>\n", summary.trim()));
    for a in &parts.attributes {
        s.push_str(a);
        s.push('\n');
    }
    s.push_str(&format!("public class {class_name} : MonoBehaviour\n{{\n"));
    for f in &parts.fields {
        s.push_str(&format!("    {f}\n"));
    }
    for (name, body) in [("Awake", &parts.awake), ("Start", &parts.start), ("Update", &parts.update)] {
        if body.is_empty() {
            continue;
        }
        s.push_str(&format!("\n    private void {name}()\n    {{\n"));
        for line in body {
            s.push_str(&format!("        {line}\n"));
        }
        s.push_str("    }\n");
    }
    for m in &parts.methods {
        s.push_str(&format!("\n    {m}\n"));
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_picks_the_features_not_other_actors() {
        let door = scaffold("a door that opens when the player is near");
        assert_eq!(door.class_name, "Door");
        assert!(!door.source.contains("CharacterController"), "{}", door.source);
        for part in
            ["public void Open()", "OnTriggerEnter", "OnTriggerExit", "CompareTag(triggerTag)", "Open();"]
        {
            assert!(door.source.contains(part), "{part} missing:\n{}", door.source);
        }
        let camera = scaffold("a camera that follows the player smoothly");
        assert!(camera.source.contains("SmoothDamp") && !camera.source.contains("CharacterController"));
        let player = scaffold("a player that can walk");
        assert!(player.source.contains("CharacterController"));
    }

    #[test]
    fn class_names_from_requests() {
        assert_eq!(class_name_for("a rotating pickup that plays a sound"), "RotatingPickup");
        assert_eq!(class_name_for("a third-person controller with double jump"), "ThirdPersonController");
        assert_eq!(class_name_for("Make a camera that follows the player"), "CameraBehaviour");
        assert_eq!(class_name_for("!!!"), "GeneratedBehaviour");
        assert_eq!(class_name_for("3d spinner"), "Spark3dSpinner");
        assert_eq!(class_name_for("a character controller with triple jump"), "CharacterControllerBehaviour");
    }

    #[test]
    fn deterministic_and_feature_driven() {
        let a = scaffold("a rotating pickup that plays a sound");
        assert_eq!(a, scaffold("a rotating pickup that plays a sound"));
        assert!(a.source.contains("transform.Rotate"));
        assert!(a.source.contains("PlayClipAtPoint"));
        assert!(a.source.contains("CompareTag"));
        let j = scaffold("a third-person controller with double jump");
        assert!(j.source.contains("maxJumps = 2"));
        assert!(j.source.contains("cameraTransform"));
    }
}
