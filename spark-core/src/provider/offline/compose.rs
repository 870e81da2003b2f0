//! Composes behaviour features (rotation, bobbing, sound, pickup, door, proximity trigger,
//! key interaction) into one MonoBehaviour, so that "a door that opens when the player is near
//! and plays a sound" is one script whose trigger opens the door and plays the clip.

use super::params::Params;
use super::templates::Feature;

/// Makes the object's collider a trigger when the component is added (pickups, proximity).
const TRIGGER_RESET: &str = "private void Reset()\n    {\n        // Detection goes through a trigger collider.\n        if (TryGetComponent(out Collider trigger))\n        {\n            trigger.isTrigger = true;\n        }\n    }";

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

/// The composed MonoBehaviour `class_name` for the request's behaviour features. `counter` is
/// the class name of the reply's HUD counter, which a pickup then adds to. Deterministic.
pub(super) fn compose(
    class_name: &str,
    features: &[Feature],
    params: &Params,
    prompt: &str,
    counter: Option<&str>,
) -> String {
    let on = |f: Feature| features.contains(&f);
    let mut parts = Parts { usings: vec!["UnityEngine"], ..Default::default() };
    let pickup = on(Feature::Pickup);
    let sound = on(Feature::Sound);
    let door = on(Feature::Door);
    let interact = on(Feature::Interact) && !pickup;
    // Both read the same trigger: a key interaction already knows when the player is near.
    let proximity = on(Feature::Proximity) && !pickup && !interact;
    let rotate = on(Feature::Rotate);
    let bob = on(Feature::Bob);
    let tag = params.word("TAG").unwrap_or("Player");

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
        parts.fields.push(format!("[SerializeField] private string collectorTag = \"{tag}\";"));
        if sound {
            parts.fields.push("[SerializeField] private AudioClip pickupSound;\n    [SerializeField, Range(0f, 1f)] private float volume = 1f;".into());
        }
        parts.fields.push("[SerializeField] private UnityEvent onCollected = new UnityEvent();".into());
        let play = if sound {
            "\n        if (pickupSound != null)\n        {\n            // PlayClipAtPoint outlives this object, which is destroyed right away.\n            AudioSource.PlayClipAtPoint(pickupSound, transform.position, volume);\n        }"
        } else {
            ""
        };
        let add = match counter {
            Some(c) => {
                parts.fields.push("[Tooltip(\"Added to the HUD counter when collected.\")]\n    [SerializeField] private int value = 1;".into());
                format!(
                    "\n        if ({c}.Instance != null)\n        {{\n            {c}.Instance.Add(value);\n        }}"
                )
            }
            None => String::new(),
        };
        parts.methods.push(format!(
            "private void OnTriggerEnter(Collider other)\n    {{\n        if (!other.CompareTag(collectorTag))\n        {{\n            return;\n        }}{play}{add}\n        onCollected.Invoke();\n        Destroy(gameObject);\n    }}"
        ));
        parts.methods.push(TRIGGER_RESET.into());
    }
    if door {
        let angle = params.number("ANGLE").map_or("90f".to_string(), |a| format!("{a:.0}f"));
        parts.fields.push(format!("[Tooltip(\"Degrees the door turns around its hinge (local Y) when open.\")]\n    [SerializeField] private float openAngle = {angle};\n    [SerializeField, Min(0.01f)] private float openSpeed = 180f;\n    private Quaternion closedRotation;\n    private bool isOpen;"));
        parts.awake.push("closedRotation = transform.localRotation;".into());
        parts.update.push("Quaternion target = isOpen ? closedRotation * Quaternion.Euler(0f, openAngle, 0f) : closedRotation;\n        transform.localRotation = Quaternion.RotateTowards(transform.localRotation, target, openSpeed * Time.deltaTime);".into());
        let door_sound = if sound { "\n        PlaySound();" } else { "" };
        parts.methods.push(format!("/// <summary>Swings the door open.</summary>\n    public void Open()\n    {{\n        isOpen = true;{door_sound}\n    }}\n\n    /// <summary>Swings the door shut.</summary>\n    public void Close()\n    {{\n        isOpen = false;\n    }}"));
    }
    if proximity {
        parts.usings.push("UnityEngine.Events");
        parts.fields.push(format!("[SerializeField] private string triggerTag = \"{tag}\";\n    [SerializeField] private UnityEvent onEnter = new UnityEvent();\n    [SerializeField] private UnityEvent onExit = new UnityEvent();"));
        let (enter, exit) = if door {
            ("\n        Open();", "\n        Close();")
        } else if sound {
            ("\n        PlaySound();", "")
        } else {
            ("", "")
        };
        parts.methods.push(format!(
            "private void OnTriggerEnter(Collider other)\n    {{\n        if (!other.CompareTag(triggerTag))\n        {{\n            return;\n        }}{enter}\n        onEnter.Invoke();\n    }}\n\n    private void OnTriggerExit(Collider other)\n    {{\n        if (!other.CompareTag(triggerTag))\n        {{\n            return;\n        }}{exit}\n        onExit.Invoke();\n    }}"
        ));
        parts.methods.push(TRIGGER_RESET.into());
    }
    if interact {
        let key = params.word("KEY").unwrap_or("E");
        parts.usings.push("UnityEngine.Events");
        parts.fields.push(format!("[SerializeField] private KeyCode interactKey = KeyCode.{key};\n    [SerializeField] private string interactorTag = \"{tag}\";\n    [Tooltip(\"Shown while the key can be pressed, e.g. a 'Press {key}' label.\")]\n    [SerializeField] private GameObject prompt;\n    [SerializeField] private UnityEvent onInteract = new UnityEvent();\n    private bool interactorInRange;"));
        let action = if door {
            "\n            if (isOpen)\n            {\n                Close();\n            }\n            else\n            {\n                Open();\n            }"
        } else if sound {
            "\n            PlaySound();"
        } else {
            ""
        };
        parts.update.push(format!("if (interactorInRange && Input.GetKeyDown(interactKey))\n        {{{action}\n            onInteract.Invoke();\n        }}"));
        parts.methods.push("private void OnTriggerEnter(Collider other)\n    {\n        if (other.CompareTag(interactorTag))\n        {\n            SetInRange(true);\n        }\n    }\n\n    private void OnTriggerExit(Collider other)\n    {\n        if (other.CompareTag(interactorTag))\n        {\n            SetInRange(false);\n        }\n    }\n\n    private void SetInRange(bool inRange)\n    {\n        interactorInRange = inRange;\n        if (prompt != null)\n        {\n            prompt.SetActive(inRange);\n        }\n    }".into());
        parts.methods.push(TRIGGER_RESET.into());
    }
    assemble(class_name, prompt, parts)
}
fn assemble(class_name: &str, prompt: &str, mut parts: Parts) -> String {
    parts.usings.sort_unstable();
    parts.usings.dedup();
    let summary: String = prompt
        .chars()
        // Bidirectional and invisible characters would make the summary a Trojan Source line.
        .map(|c| if c.is_control() || super::render::is_invisible(c) { ' ' } else { c })
        .take(120)
        .collect::<String>()
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('&', "&amp;")
        .replace("&amp;lt;", "&lt;")
        .replace("&amp;gt;", "&gt;");
    let mut s = String::new();
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
