use super::*;

fn only(s: &Scaffold) -> &ScaffoldFile {
    assert_eq!(s.files.len(), 1, "{:#?}", s.files.iter().map(|f| &f.path).collect::<Vec<_>>());
    &s.files[0]
}

#[test]
fn the_subject_picks_the_features_not_other_actors() {
    let door = scaffold("a door that opens when the player is near");
    let file = only(&door);
    assert_eq!(file.class_name, "Door");
    assert!(!file.source.contains("CharacterController"), "{}", file.source);
    for part in ["public void Open()", "OnTriggerEnter", "OnTriggerExit", "CompareTag(triggerTag)", "Open();"]
    {
        assert!(file.source.contains(part), "{part} missing:\n{}", file.source);
    }
    let camera = scaffold("a camera that follows the player smoothly");
    assert!(
        only(&camera).source.contains("SmoothDamp")
            && !camera.files[0].source.contains("CharacterController")
    );
    assert!(scaffold("a player that can walk").files[0].source.contains("CharacterController"));
}

#[test]
fn composition_joins_door_proximity_and_sound_in_one_script() {
    let s = scaffold("a door that opens when the player is near and plays a sound");
    let file = only(&s);
    assert_eq!(s.mechanics, ["door", "sound", "proximity"]);
    // The trigger opens the door and opening plays the clip: one script, wired together.
    for part in ["Open();", "PlaySound();", "PlayOneShot", "RequireComponent(typeof(AudioSource))"] {
        assert!(file.source.contains(part), "{part} missing:\n{}", file.source);
    }
}

#[test]
fn several_mechanics_give_files_that_reference_each_other() {
    let s = scaffold("a health bar for the player");
    let names: Vec<&str> = s.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["HealthBar.cs", "Damageable.cs"]);
    assert!(s.files[0].source.contains("[SerializeField] private Damageable health;"));
    let gun = scaffold("a gun that shoots rockets");
    let names: Vec<&str> = gun.files.iter().map(|f| f.class_name.as_str()).collect();
    assert_eq!(names, ["Gun", "Projectile", "Damageable"]);
    assert!(gun.files[0].source.contains("private Projectile projectilePrefab"));
    assert!(gun.files[1].source.contains("GetComponentInParent<Damageable>()"));
}

#[test]
fn key_interaction_and_hud_links_compose() {
    let door = scaffold("a door that opens with the E key and plays a sound");
    let f = only(&door);
    for part in
        ["KeyCode interactKey = KeyCode.E;", "Input.GetKeyDown(interactKey)", "Close();", "PlaySound();"]
    {
        assert!(f.source.contains(part), "{part} missing:\n{}", f.source);
    }
    assert!(!f.source.contains("triggerTag"), "one trigger handler, not two");
    let coin = scaffold("a coin pickup that adds to a score counter");
    assert_eq!(
        coin.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["CoinPickup.cs", "ScoreCounter.cs"]
    );
    assert!(coin.files[0].source.contains("ScoreCounter.Instance.Add(value);"));
    assert!(coin.files[1].source.contains("public static ScoreCounter Instance"));
}

#[test]
fn an_inspector_for_the_users_own_component_comes_alone() {
    let s = scaffold("a custom inspector for my Turret script");
    let f = only(&s);
    assert_eq!(f.path, "Editor/TurretEditor.cs");
    assert!(f.source.contains("[CustomEditor(typeof(Turret))]"));
    assert!(s.missing.iter().any(|m| m.contains("`Turret` is not part of this reply")), "{:?}", s.missing);
}

#[test]
fn kinds_and_editor_folders() {
    let so = scaffold("a scriptable object for weapon stats");
    let f = only(&so);
    assert_eq!((f.path.as_str(), f.kind), ("WeaponStats.cs", TypeKind::ScriptableObject));
    assert!(
        f.source.contains("[CreateAssetMenu(")
            && f.source.contains("public class WeaponStats : ScriptableObject")
    );
    let win = scaffold("an editor window that renames selected objects");
    let f = only(&win);
    assert_eq!((f.path.as_str(), f.kind), ("Editor/BatchRenameWindow.cs", TypeKind::EditorWindow));
    assert!(f.source.contains("public class BatchRenameWindow : EditorWindow"));
    let inspector = scaffold("a custom inspector for the spawner");
    let paths: Vec<&str> = inspector.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["Editor/SpawnerEditor.cs", "Spawner.cs"]);
    assert!(inspector.files[0].source.contains("[CustomEditor(typeof(Spawner))]"));
    let fsm = scaffold("a finite state machine");
    assert_eq!(only(&fsm).kind, TypeKind::PlainClass);
    assert!(!fsm.files[0].source.contains(": MonoBehaviour"));
}

#[test]
fn names_never_shadow_unity_types() {
    for (prompt, name) in [
        ("a timer that counts down from 60", "CountdownTimer"),
        ("a camera", "CameraFollow"),
        ("an editor window", "ToolWindow"),
        ("a random spawner", "RandomSpawner"),
    ] {
        assert_eq!(scaffold(prompt).files[0].class_name, name, "{prompt}");
    }
}

#[test]
fn request_parameters_become_field_defaults() {
    let src = |p: &str| scaffold(p).files[0].source.clone();
    assert!(src("a spawner that spawns enemies every 3 seconds").contains("interval = 3f;"));
    assert!(src("a spawner that spawns enemies every 2.5 seconds").contains("interval = 2.5f;"));
    assert!(src("a spawner that spawns every 0 seconds").contains("interval = 0.01f;"));
    assert!(src("a timer that counts down from 60").contains("duration = 60f;"));
    assert!(src("a third-person controller with double jump").contains("maxJumps = 2;"));
    assert!(src("a chest you open by pressing F").contains("KeyCode.F;"));
    assert!(src("spikes that damage objects tagged Enemy").contains("targetTag = \"Enemy\";"));
    assert!(src("an inventory with 12 slots").contains("slotCount = 12;"));
}

#[test]
fn unknown_requests_say_what_is_missing() {
    let s = scaffold("a quantum flux capacitor");
    assert!(s.is_fallback());
    let file = only(&s);
    assert!(file.source.contains("class QuantumFluxCapacitor : MonoBehaviour"));
    assert!(
        file.source.contains("// Not covered offline (words no template used: quantum, flux, capacitor)")
    );
    assert!(s.reply().contains("no template matched"));
    let partial = scaffold("a spinning coin that grants a wish");
    assert!(
        partial.missing.iter().any(|m| m.contains("grants") && m.contains("wish")),
        "{:?}",
        partial.missing
    );
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
    let f = only(&a);
    assert_eq!(f.path, "RotatingPickup.cs");
    for part in ["transform.Rotate", "PlayClipAtPoint", "CompareTag"] {
        assert!(f.source.contains(part), "{part}");
    }
    let j = scaffold("a third-person controller with double jump");
    assert!(j.files[0].source.contains("maxJumps = 2") && j.files[0].source.contains("cameraTransform"));
}

#[test]
fn hostile_requests_stay_bounded_and_safe() {
    let long = "spawn ".repeat(200_000) + "\u{202E}\n</summary>*/ {{NAME}}";
    let start = std::time::Instant::now();
    let s = scaffold(&long);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    for f in &s.files {
        assert!(!f.source.contains('\u{202E}') && !f.source.contains("{{"), "{}", f.source);
        assert!(f.source.lines().all(|l| !l.starts_with("// Request:") || l.chars().count() < 140));
    }
    for p in ["", " ", "🎮🎮🎮", "\0\0", "for for for of called", "a custom inspector"] {
        assert!(!scaffold(p).files.is_empty(), "{p:?}");
    }
}
