//! The mechanics table: what each mechanic is called, the phrases that ask for it, the kind of
//! type it is and its template. Adding a mechanic is one entry here plus its template.
//!
//! Template placeholders, filled by `render`: `{{NAME}}` the class name; `{{P:KEY:default}}` a
//! number from the request (`2f` renders a float, `2` an int); `{{K:KEY:E}}` a `KeyCode` member;
//! `{{T:TAG:Player}}` a tag; `{{R:id}}` the class name of another mechanic of the same reply
//! (listed in `requires`, so always present); `{{TARGET}}` the component an inspector edits.

use super::TypeKind;
use super::TypeKind::*;

mod ai;
mod camera;
mod combat;
mod data;
mod editor;
mod flow;
mod movement;
mod ui;
mod world;

/// A behaviour feature composed with others into one MonoBehaviour (see `compose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    Rotate,
    Bob,
    Sound,
    Pickup,
    Door,
    Proximity,
    Interact,
}

/// How a mechanic becomes code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body {
    /// A whole file.
    Template(&'static str),
    /// Part of the request's composed MonoBehaviour.
    Feature(Feature),
}

/// One entry of the table.
#[derive(Debug)]
pub(crate) struct Mechanic {
    /// Stable id, reported in [`super::Scaffold::mechanics`].
    pub id: &'static str,
    pub kind: TypeKind,
    /// Class name when the request does not name the thing.
    pub name: &'static str,
    /// At most one mechanic of a non-empty group per reply (one player controller, one camera).
    pub group: &'static str,
    /// Word-start phrases of the normalized request and their weights (negative ones argue against).
    pub cues: &'static [(&'static str, i32)],
    /// Mechanics this one's code references; added to the reply with it.
    pub requires: &'static [&'static str],
    /// Mechanics this one makes redundant.
    pub excludes: &'static [&'static str],
    pub body: Body,
}

#[allow(clippy::too_many_arguments)]
const fn m(
    id: &'static str,
    kind: TypeKind,
    name: &'static str,
    group: &'static str,
    body: Body,
    requires: &'static [&'static str],
    excludes: &'static [&'static str],
    cues: &'static [(&'static str, i32)],
) -> Mechanic {
    Mechanic { id, kind, name, group, cues, requires, excludes, body }
}

use Body::{Feature as F, Template as T};

/// Every mechanic, in tie-break order: `m(id, kind, default name, group, body, requires,
/// excludes, cues)`. Kept compact on purpose (one entry reads as one row).
#[rustfmt::skip]
pub(crate) const MECHANICS: &[Mechanic] = &[
    // Movement: one controller per reply.
    m("first_person", MonoBehaviour, "FirstPersonController", "mover", T(movement::FIRST_PERSON), &[], &[], &[
        ("first person", 9), ("fps", 6), ("mouse look", 4), ("jump", 1), ("sprint", 1), ("double jump", 1),
        ("triple jump", 1),
    ]),
    m("third_person", MonoBehaviour, "ThirdPersonController", "mover", T(movement::THIRD_PERSON), &[], &[], &[
        ("third person", 9), ("character controller", 3), ("player controller", 4), ("player movement", 3),
        ("movement", 2), ("controller", 1), ("walk", 2), ("run", 1), ("jump", 2), ("move", 1), ("player", 1),
        ("sprint", 2), ("camera", -3), ("platform", -2), ("double jump", 1), ("triple jump", 1),
    ]),
    m("top_down", MonoBehaviour, "TopDownController", "mover", T(movement::TOP_DOWN), &[], &[], &[
        ("top down", 9), ("topdown", 9), ("twin stick", 6), ("isometric", 5),
    ]),
    m("platformer_2d", MonoBehaviour, "PlatformerController2D", "mover", T(movement::PLATFORMER_2D), &[], &[], &[
        ("2d platformer", 7), ("platformer", 5), ("2d player", 5), ("2d character", 5), ("side scroller", 5),
        ("2d", 1), ("jump", 1), ("coyote", 1), ("double jump", 1), ("triple jump", 1),
    ]),
    // Cameras: one per reply.
    m("follow_camera", MonoBehaviour, "CameraFollow", "camera", T(camera::FOLLOW), &[], &["third_person"], &[
        ("camera", 2), ("follow", 2), ("smooth", 1), ("cam ", 2),
    ]),
    m("orbit_camera", MonoBehaviour, "OrbitCamera", "camera", T(camera::ORBIT), &[], &["third_person", "rotate"], &[
        ("orbit", 6), ("third person camera", 6), ("rotate around", 3), ("camera", 1), ("mouse", 1),
    ]),
    m("minimap", MonoBehaviour, "MinimapCamera", "camera", T(camera::MINIMAP), &[], &[], &[
        ("minimap", 7), ("mini map", 7), ("radar", 4), ("follow", 1),
    ]),
    m("camera_shake", MonoBehaviour, "CameraShake", "", T(camera::SHAKE), &[], &["explosion"], &[
        ("shake", 5), ("screen shake", 2), ("hit", 1), ("explosion", 1),
    ]),
    // Behaviour features, composed into one script.
    m("rotate", MonoBehaviour, "Rotator", "", F(Feature::Rotate), &[], &[], &[
        ("rotat", 3), ("spin", 3), ("revolv", 3),
    ]),
    m("bob", MonoBehaviour, "Bobber", "", F(Feature::Bob), &[], &[], &[
        ("bob", 3), ("float", 3), ("hover", 3),
    ]),
    m("sound", MonoBehaviour, "SoundEmitter", "", F(Feature::Sound), &[], &[], &[
        ("sound", 3), ("audio", 3), ("sfx", 3), ("noise", 3), ("clip", 2),
    ]),
    m("pickup", MonoBehaviour, "Pickup", "", F(Feature::Pickup), &[], &["proximity", "interact"], &[
        ("pickup", 4), ("pick up", 4), ("collectible", 4), ("collect", 3), ("coin", 3), ("power up", 4),
        ("powerup", 4), ("gem", 3), ("loot", 3), ("score", -1), ("counter", -2), ("hud", -2),
    ]),
    m("door", MonoBehaviour, "Door", "", F(Feature::Door), &[], &[], &[
        ("door", 5), ("gate", 4), ("hatch", 4), ("drawbridge", 4), ("open", 1),
    ]),
    m("proximity", MonoBehaviour, "ProximityTrigger", "", F(Feature::Proximity), &[], &[], &[
        ("near", 3), ("approach", 3), ("proximity", 4), ("enters", 3), ("in range", 3), ("close to", 3),
        ("comes close", 3), ("trigger zone", 4), ("trigger", 2), ("walks into", 3), ("steps on", 3),
        ("pressure plate", 4),
    ]),
    // Combat.
    m("health", MonoBehaviour, "Damageable", "health", T(combat::HEALTH), &[], &[], &[
        ("health", 4), ("damage", 3), ("hp ", 3), ("hit points", 3), ("dies", 2), ("death", 2), ("die ", 2),
        ("takes damage", 2), ("event", 1),
    ]),
    m("damage_zone", MonoBehaviour, "DamageZone", "", T(combat::DAMAGE_ZONE), &["health"], &[], &[
        ("spikes", 6), ("lava", 6), ("hazard", 6), ("damage zone", 6), ("kill zone", 5), ("trap", 4),
        ("on contact", 2), ("hurt", 2), ("deal", 1),
    ]),
    m("projectile", MonoBehaviour, "Projectile", "", T(combat::PROJECTILE), &["health"], &["explosion"], &[
        ("projectile", 6), ("bullet", 4), ("rocket", 5), ("missile", 5), ("arrow", 4), ("fireball", 5),
        ("grenade", 5), ("explod", 1), ("impact", 1), ("enemies", 1),
    ]),
    m("shooter", MonoBehaviour, "Shooter", "", T(combat::SHOOTER), &["projectile"], &[], &[
        ("shoot", 5), ("gun", 5), ("fire rate", 4), ("fires", 3), ("turret", 4), ("weapon", 2),
    ]),
    m("explosion", MonoBehaviour, "Explosion", "", T(combat::EXPLOSION), &[], &[], &[
        ("explosion", 6), ("explod", 4), ("blast", 3), ("barrel", 2),
    ]),
    // World and game flow.
    m("spawner", MonoBehaviour, "Spawner", "spawn", T(world::SPAWNER), &[], &[], &[
        ("spawn", 4), ("spawner", 2), ("enemies", 1), ("random", 1), ("point", 1),
    ]),
    m("waves", MonoBehaviour, "WaveSpawner", "spawn", T(world::WAVES), &[], &[], &[
        ("wave", 8), ("zombie", 1), ("harder", 1), ("round", 1),
    ]),
    m("object_pool", MonoBehaviour, "ObjectPool", "", T(world::POOL), &[], &["projectile"], &[
        ("pool", 6), ("pooling", 2), ("recycl", 2), ("bullet", 1),
    ]),
    m("checkpoint", MonoBehaviour, "Checkpoint", "", T(world::CHECKPOINT), &[], &[], &[
        ("checkpoint", 6), ("respawn", 4), ("save point", 4), ("last", 1),
    ]),
    m("timer", MonoBehaviour, "CountdownTimer", "", T(world::TIMER), &[], &[], &[
        ("timer", 4), ("countdown", 6), ("count down", 6), ("counts down", 6), ("stopwatch", 4),
        ("time limit", 5),
    ]),
    m("moving_platform", MonoBehaviour, "MovingPlatform", "", T(world::MOVING_PLATFORM), &[], &["patrol_chase"], &[
        ("moving platform", 7), ("platform that moves", 7), ("elevator", 5), ("lift", 3), ("platform", 2),
        ("back and forth", 2), ("up and down", 1), ("waypoint", 1),
    ]),
    m("game_manager", MonoBehaviour, "GameManager", "", T(flow::GAME_MANAGER), &[], &[], &[
        ("game manager", 7), ("game over", 5), ("restart", 3), ("lives", 3), ("win condition", 4),
        ("score", 1),
    ]),
    m("level_exit", MonoBehaviour, "LevelExit", "", T(flow::LEVEL_EXIT), &[], &[], &[
        ("next level", 6), ("load scene", 5), ("level exit", 7), ("portal", 4), ("finish line", 5),
        ("loads the", 2),
    ]),
    m("interact", MonoBehaviour, "Interactable", "", F(Feature::Interact), &[], &["proximity"], &[
        ("interact", 6), ("lever", 5), ("chest", 4), ("press ", 2), ("pressing", 2), ("open", 1), ("key", 2),
    ]),
    // AI and game systems.
    m("patrol_chase", MonoBehaviour, "EnemyAI", "ai", T(ai::PATROL_CHASE), &[], &["proximity", "follow_camera"], &[
        ("patrol", 6), ("waypoint", 2), ("chase", 5), ("enemy ai", 5), ("guard", 3), ("pursue", 5),
        ("hunts", 4), ("enemy", 1),
    ]),
    m("follower", MonoBehaviour, "Follower", "ai", T(ai::FOLLOWER), &[], &["follow_camera"], &[
        ("companion", 6), ("pet ", 5), ("follower", 6), ("sidekick", 5), ("follow", 1),
    ]),
    m("fsm", PlainClass, "StateMachine", "", T(ai::FSM), &[], &[], &[
        ("state machine", 7), ("fsm", 7), ("state pattern", 6), ("states", 2),
    ]),
    m("inventory", MonoBehaviour, "Inventory", "", T(ai::INVENTORY), &[], &[], &[
        ("inventory", 7), ("backpack", 5), ("item slots", 5), ("slots", 2),
    ]),
    m("dialogue", MonoBehaviour, "DialogueRunner", "", T(ai::DIALOGUE), &[], &[], &[
        ("dialogue", 7), ("dialog", 7), ("conversation", 6), ("choices", 2),
    ]),
    m("quest", MonoBehaviour, "QuestLog", "", T(flow::QUEST), &[], &["pickup"], &[
        ("quest", 7), ("mission", 6), ("objective", 4),
    ]),
    // UI.
    m("main_menu", MonoBehaviour, "MainMenu", "menu", T(ui::MAIN_MENU), &[], &[], &[
        ("main menu", 8), ("start menu", 7), ("title screen", 7), ("play button", 3), ("quit button", 3),
        ("menu", 2), ("options", 1), ("buttons", 1),
    ]),
    m("pause_menu", MonoBehaviour, "PauseMenu", "menu", T(ui::PAUSE), &[], &[], &[
        ("pause", 9), ("escape", 1), ("press", 1),
    ]),
    m("settings_menu", MonoBehaviour, "SettingsMenu", "menu", T(ui::SETTINGS), &[], &[], &[
        ("settings", 9), ("options menu", 9), ("volume slider", 4), ("graphics options", 4),
        ("resolution", 3), ("fullscreen", 1), ("quality", 1), ("volume", 1),
    ]),
    m("hud_counter", MonoBehaviour, "ScoreCounter", "", T(ui::HUD_COUNTER), &[], &[], &[
        ("score", 5), ("counter", 3), ("hud", 3), ("adds", 1), ("textmeshpro", 2), ("tmp ", 2), ("ui text", 2),
        ("high score", -5), ("best score", -5), ("game manager", -5),
    ]),
    m("health_bar", MonoBehaviour, "HealthBar", "", T(ui::HEALTH_BAR), &["health"], &[], &[
        ("health bar", 9), ("healthbar", 9), ("hp bar", 9), ("life bar", 8),
    ]),
    m("fade", MonoBehaviour, "ScreenFader", "", T(ui::FADE), &[], &[], &[
        ("fade", 6), ("fader", 6), ("black", 1), ("screen", 1), ("transition", 1), ("scene", 1),
    ]),
    // Data.
    m("scriptable_data", ScriptableObject, "GameData", "", T(data::SCRIPTABLE), &[], &[], &[
        ("scriptable object", 8), ("scriptableobject", 8), ("data asset", 6), ("createassetmenu", 6),
        ("config asset", 6), ("stats asset", 6), ("item", 1), ("definition", 1), ("stats", 1), ("weapon", 1),
    ]),
    m("save_json", StaticUtility, "SaveSystem", "save", T(data::SAVE_JSON), &[], &[], &[
        ("save", 4), ("load", 2), ("json", 4), ("persist", 3), ("file", 2),
    ]),
    m("player_prefs", StaticUtility, "PrefsStore", "save", T(data::PREFS), &[], &[], &[
        ("playerprefs", 9), ("player prefs", 9), ("high score", 6), ("highscore", 6), ("best score", 6),
        ("session", 1),
    ]),
    m("static_utility", StaticUtility, "MathUtils", "", T(data::UTILITY), &[], &[], &[
        ("static utility", 7), ("utility class", 7), ("helper class", 7), ("extension method", 7),
        ("helpers", 3), ("utils", 4), ("static class", 6), ("vector", 1),
    ]),
    m("plain_class", PlainClass, "DataModel", "", T(data::PLAIN), &[], &[], &[
        ("plain c", 7), ("plain class", 7), ("poco", 7), ("pure c", 6), ("not a monobehaviour", 7),
        ("without monobehaviour", 7), ("serializable class", 5),
    ]),
    // Audio and effects.
    m("audio_manager", MonoBehaviour, "AudioManager", "", T(flow::AUDIO_MANAGER), &[], &["sound"], &[
        ("audio manager", 7), ("sound manager", 7), ("music", 5), ("background music", 2), ("mute", 2),
        ("effects", 1), ("scene", 1), ("playing", 1),
    ]),
    m("day_night", MonoBehaviour, "DayNightCycle", "", T(camera::DAY_NIGHT), &[], &[], &[
        ("day night", 7), ("day and night", 7), ("sun ", 2), ("time of day", 6),
    ]),
    m("light_flicker", MonoBehaviour, "LightFlicker", "", T(camera::FLICKER), &[], &[], &[
        ("flicker", 7), ("torch", 3), ("candle", 3),
    ]),
    // Editor tooling, under Editor/.
    m("rename_window", EditorWindow, "BatchRenameWindow", "editor_window", T(editor::RENAME_WINDOW), &[], &[], &[
        ("rename", 7), ("editor window", 3), ("window", 2), ("selected", 1), ("tool", 1),
    ]),
    m("editor_window", EditorWindow, "ToolWindow", "editor_window", T(editor::TOOL_WINDOW), &[], &[], &[
        ("editor window", 7), ("editor tool", 5), ("tool window", 6), ("window", 2),
    ]),
    m("custom_inspector", CustomEditor, "Editor", "", T(editor::INSPECTOR), &[], &[], &[
        ("custom inspector", 9), ("custom editor", 9), ("inspector", 4),
    ]),
    m("menu_item", EditorMenu, "EditorMenuItems", "", T(editor::MENU_ITEM), &[], &[], &[
        ("menu item", 8), ("menuitem", 8), ("editor menu", 6), ("tools menu", 6), ("context menu", 5),
        ("selected", 1), ("group", 1),
    ]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        assert!(MECHANICS.len() >= 40, "{} mechanics", MECHANICS.len());
        for (i, mech) in MECHANICS.iter().enumerate() {
            assert!(!MECHANICS[..i].iter().any(|o| o.id == mech.id), "duplicate id {}", mech.id);
            for dep in mech.requires.iter().chain(mech.excludes) {
                assert!(MECHANICS.iter().any(|o| o.id == *dep), "{} names unknown {dep}", mech.id);
            }
            for (cue, _) in mech.cues {
                let normal = cue.chars().all(|c| c.is_lowercase() || c.is_ascii_digit() || c == ' ');
                assert!(normal && !cue.starts_with(' '), "{}: cue {cue:?} would never match", mech.id);
            }
            if let Body::Template(t) = mech.body {
                assert!(t.contains("{{NAME}}"), "{} template does not declare its class", mech.id);
            }
        }
    }
}
