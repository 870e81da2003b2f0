//! SPK1021 / SPK1022: Unity APIs that are gone (or not there yet) in the target Unity version,
//! and APIs it marks obsolete — the ones models keep writing from years of old tutorials. Each
//! row names the replacement and cites where Unity says so.

use tree_sitter::Node;

use super::super::Sink;
use super::super::classes::simple_name;
use super::super::ctx::{Ctx, Pre};
use super::super::source::K;

/// How an API shows up in code.
#[derive(Debug, Clone, Copy)]
enum Pat {
    /// A type name (`WWW`, `GUIText`) used anywhere.
    Type(&'static str),
    /// A static member (`Application.LoadLevel`).
    Static(&'static str, &'static str),
    /// A Unity message declared in a MonoBehaviour.
    Message(&'static str),
    /// A Component shortcut property used on the component itself (`rigidbody.AddForce`).
    Shortcut(&'static str),
    /// A member of a value whose type is one of these (`body.velocity` on a Rigidbody).
    Member(&'static [&'static str], &'static str),
    /// A type of UNet, Unity's removed networking (only with `using UnityEngine.Networking`).
    UNet(&'static str),
}

/// Whether the row's API is an error (missing) or a warning (obsolete) in the range it applies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    /// Compiles with a CS0618 warning from `from` on.
    Obsolete,
    /// Does not compile from `from` on.
    Removed,
    /// Does not compile before `from` (a newer API in an older target).
    Added,
}

struct Api {
    pat: Pat,
    status: Status,
    from: (u32, u32),
    fix: &'static str,
}

const fn api(pat: Pat, status: Status, from: (u32, u32), fix: &'static str) -> Api {
    Api { pat, status, from, fix }
}

use Pat::{Member, Message, Shortcut, Static, Type, UNet};
use Status::{Added, Obsolete, Removed};

const RIGIDBODIES: &[&str] = &["Rigidbody", "Rigidbody2D"];

/// The curated table. Sources: the Unity Scripting Reference page of each API for the version
/// named (docs.unity3d.com/<version>/Documentation/ScriptReference/<Type>.<member>.html).
const APIS: &[Api] = &[
    // WWW: "Obsolete: Use UnityWebRequest" from 2018.3 (ScriptReference/WWW.html, 2018.3).
    api(
        Type("WWW"),
        Obsolete,
        (2018, 3),
        "use `UnityWebRequest.Get(url)` and `yield return request.SendWebRequest()`",
    ),
    // SceneManager replaced the level API in 5.3 (ScriptReference/Application.LoadLevel.html, 5.3);
    // every later version keeps it only as [Obsolete].
    api(Static("Application", "LoadLevel"), Obsolete, (2017, 1), "use `SceneManager.LoadScene(name)`"),
    api(
        Static("Application", "LoadLevelAsync"),
        Obsolete,
        (2017, 1),
        "use `SceneManager.LoadSceneAsync(name)`",
    ),
    api(
        Static("Application", "LoadLevelAdditive"),
        Obsolete,
        (2017, 1),
        "use `SceneManager.LoadScene(name, LoadSceneMode.Additive)`",
    ),
    api(
        Static("Application", "loadedLevel"),
        Obsolete,
        (2017, 1),
        "use `SceneManager.GetActiveScene().buildIndex`",
    ),
    api(
        Static("Application", "loadedLevelName"),
        Obsolete,
        (2017, 1),
        "use `SceneManager.GetActiveScene().name`",
    ),
    // "OnLevelWasLoaded is deprecated" (ScriptReference/MonoBehaviour.OnLevelWasLoaded.html, 2017.1).
    api(
        Message("OnLevelWasLoaded"),
        Obsolete,
        (2017, 1),
        "subscribe to `SceneManager.sceneLoaded` in OnEnable",
    ),
    // GUIText / GUITexture: deprecated in 2017.2, no longer in the engine from 2019.3
    // (ScriptReference/GUIText.html exists up to 2019.2 only).
    api(Type("GUIText"), Removed, (2019, 3), "use `TextMeshProUGUI` (TMPro) or `UnityEngine.UI.Text`"),
    api(Type("GUITexture"), Removed, (2019, 3), "use `UnityEngine.UI.Image` / `RawImage`"),
    // Component shortcut properties: [Obsolete(error: true)] since Unity 5.0
    // (ScriptReference/Component-rigidbody.html, 5.0: "Use GetComponent<Rigidbody>()").
    api(Shortcut("rigidbody"), Removed, (2017, 1), "use `GetComponent<Rigidbody>()` (cache it in Awake)"),
    api(Shortcut("rigidbody2D"), Removed, (2017, 1), "use `GetComponent<Rigidbody2D>()` (cache it in Awake)"),
    api(Shortcut("renderer"), Removed, (2017, 1), "use `GetComponent<Renderer>()` (cache it in Awake)"),
    api(Shortcut("collider"), Removed, (2017, 1), "use `GetComponent<Collider>()` (cache it in Awake)"),
    api(Shortcut("collider2D"), Removed, (2017, 1), "use `GetComponent<Collider2D>()` (cache it in Awake)"),
    api(Shortcut("audio"), Removed, (2017, 1), "use `GetComponent<AudioSource>()` (cache it in Awake)"),
    api(Shortcut("animation"), Removed, (2017, 1), "use `GetComponent<Animation>()` (cache it in Awake)"),
    api(Shortcut("light"), Removed, (2017, 1), "use `GetComponent<Light>()` (cache it in Awake)"),
    api(Shortcut("camera"), Removed, (2017, 1), "use `GetComponent<Camera>()` (cache it in Awake)"),
    api(
        Shortcut("particleSystem"),
        Removed,
        (2017, 1),
        "use `GetComponent<ParticleSystem>()` (cache it in Awake)",
    ),
    api(Shortcut("hingeJoint"), Removed, (2017, 1), "use `GetComponent<HingeJoint>()` (cache it in Awake)"),
    // FindObjectOfType & co: obsolete from 2023.1 and in Unity 6
    // (ScriptReference/Object.FindObjectOfType.html, 6000.0).
    api(
        Static("", "FindObjectOfType"),
        Obsolete,
        (2023, 1),
        "use `FindAnyObjectByType<T>()` (or `FindFirstObjectByType<T>()` when the order matters)",
    ),
    api(
        Static("", "FindObjectsOfType"),
        Obsolete,
        (2023, 1),
        "use `FindObjectsByType<T>(FindObjectsSortMode.None)`",
    ),
    // Unity 6 renamed the rigidbody velocity and damping (ScriptReference/Rigidbody-linearVelocity.html,
    // 6000.0; Rigidbody-velocity.html is marked obsolete there).
    api(Member(RIGIDBODIES, "velocity"), Obsolete, (6000, 0), "use `linearVelocity` (Unity 6)"),
    api(Member(RIGIDBODIES, "drag"), Obsolete, (6000, 0), "use `linearDamping` (Unity 6)"),
    api(Member(RIGIDBODIES, "angularDrag"), Obsolete, (6000, 0), "use `angularDamping` (Unity 6)"),
    api(Member(RIGIDBODIES, "linearVelocity"), Added, (6000, 0), "use `velocity` before Unity 6"),
    api(Member(RIGIDBODIES, "linearDamping"), Added, (6000, 0), "use `drag` before Unity 6"),
    api(Member(RIGIDBODIES, "angularDamping"), Added, (6000, 0), "use `angularDrag` before Unity 6"),
    // UNet's high-level API left the engine in 2019.1 (UNet Deprecation FAQ,
    // support.unity.com/hc/en-us/articles/360001252086).
    api(
        UNet("NetworkBehaviour"),
        Removed,
        (2019, 1),
        "use Netcode for GameObjects: `Unity.Netcode.NetworkBehaviour`",
    ),
    api(
        UNet("NetworkManager"),
        Removed,
        (2019, 1),
        "use Netcode for GameObjects: `Unity.Netcode.NetworkManager`",
    ),
    api(UNet("NetworkIdentity"), Removed, (2019, 1), "use Netcode for GameObjects: `NetworkObject`"),
    api(UNet("SyncVar"), Removed, (2019, 1), "use Netcode for GameObjects: `NetworkVariable<T>`"),
    api(
        UNet("ClientRpc"),
        Removed,
        (2019, 1),
        "use Netcode for GameObjects: `[ClientRpc]` / `[Rpc]` on a `Unity.Netcode.NetworkBehaviour`",
    ),
];

/// Whether `row` applies to the target, and at which rule.
fn rule_for(row: &Api, target: (u32, u32)) -> Option<&'static str> {
    match row.status {
        Obsolete if target >= row.from => Some("SPK1022"),
        Removed if target >= row.from => Some("SPK1021"),
        Added if target < row.from => Some("SPK1021"),
        _ => None,
    }
}

fn report(row: &Api, what: &str, node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let t = ctx.target.unity;
    let Some(rule) = rule_for(row, t) else { return };
    if !ctx.on_target(node.start_byte()) {
        return;
    }
    let state = match row.status {
        Obsolete => "is obsolete in",
        Removed => "no longer exists in",
        Added => "does not exist yet in",
    };
    sink.emit_node(rule, node, format!("`{what}` {state} Unity {}.{}; {}", t.0, t.1, row.fix));
}

/// Whether the code is in a MonoBehaviour deriving directly from a Unity base, where a bare
/// `rigidbody` can only mean the removed shortcut (a project base class may declare its own).
fn own_component(ctx: &Ctx<'_>) -> bool {
    ctx.unity_type().is_some_and(|(t, k)| k.is_mono() && t.direct_unity_base)
}

/// Whether the file uses UNet (its namespace without a newer networking stack).
fn uses_unet(ctx: &Ctx<'_>) -> bool {
    let text = &ctx.src.scan;
    text.contains("using UnityEngine.Networking;")
        && !["Unity.Netcode", "using Mirror", "using Fusion", "using FishNet"]
            .iter()
            .any(|s| text.contains(s))
}

pub(crate) fn enter(node: Node<'_>, k: K, pre: &Pre<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    match k {
        K::Identifier => identifier(node, ctx, sink),
        K::MemberAccess => member(node, ctx, sink),
        K::Invocation => {
            let Some(c) = pre.callee() else { return };
            if !matches!(c.name, "FindObjectOfType" | "FindObjectsOfType") {
                return;
            }
            if !matches!(ctx.recv_name(c.receiver), "" | "Object" | "GameObject") {
                return;
            }
            for row in APIS {
                if let Static("", name) = row.pat
                    && name == c.name
                {
                    report(row, name, node, ctx, sink);
                }
            }
        }
        K::Method => {
            let Some(n) = ctx.field(node, ctx.src.g.f.name) else { return };
            if ctx.unity_type().is_some_and(|(_, k)| k.is_mono()) {
                for row in APIS {
                    if let Message(m) = row.pat
                        && m == ctx.t(n)
                    {
                        report(row, m, n, ctx, sink);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Which text lengths (up to 63 bytes) the table's names have: most identifiers and member
/// accesses are ruled out by their length before the table is read (bit `n` of `.0` for the
/// type names, of `.1` for the member and receiver names).
fn name_lengths() -> (u64, u64) {
    static LENGTHS: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    *LENGTHS.get_or_init(|| {
        let bit = |s: &str| if s.len() < 64 { 1u64 << s.len() } else { 0 };
        let (mut types, mut members) = (0, 0);
        for row in APIS {
            match row.pat {
                Type(n) | UNet(n) => types |= bit(n),
                Static(_, m) | Shortcut(m) | Member(_, m) => members |= bit(m),
                Message(_) => {}
            }
        }
        (types, members)
    })
}

/// Whether a text of `len` bytes may equal a name whose lengths are the bits of `set`.
fn may_name(set: u64, len: usize) -> bool {
    len < 64 && set & (1 << len) != 0
}

fn identifier(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    // `x.WWW` is some other member; only the name itself counts.
    if ctx.take_member_name(node) {
        return;
    }
    let t = ctx.t(node);
    if !may_name(name_lengths().0, t.len()) {
        return;
    }
    for row in APIS {
        match row.pat {
            Type(name) if name == t => report(row, name, node, ctx, sink),
            UNet(name) if name == t && uses_unet(ctx) => report(row, name, node, ctx, sink),
            _ => {}
        }
    }
}

fn member(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let g = ctx.src.g;
    let (Some(recv), Some(name)) = (ctx.field(node, g.f.expression), ctx.field(node, g.f.name)) else {
        return;
    };
    if ctx.kind(name) == K::Identifier {
        ctx.push_member_name(name);
    }
    let (rt, nt) = (ctx.t(recv), ctx.t(name));
    // Every row matches on the member name, or on the receiver (a bare shortcut).
    let members = name_lengths().1;
    if !may_name(members, nt.len()) && !may_name(members, rt.len()) {
        return;
    }
    for row in APIS {
        match row.pat {
            // A bare shortcut used as a receiver (`rigidbody.AddForce`), in a component, not
            // shadowed by a declaration.
            Shortcut(m)
                if m == rt
                    && ctx.kind(recv) == K::Identifier
                    && ctx.type_of(rt).is_none()
                    && own_component(ctx) =>
            {
                report(row, m, recv, ctx, sink)
            }
            Static(ty, m) if !ty.is_empty() && m == nt && (rt == ty || rt.ends_with(&format!(".{ty}"))) => {
                report(row, &format!("{ty}.{m}"), node, ctx, sink)
            }
            Shortcut(m)
                if m == nt
                    && matches!(rt, "this" | "gameObject" | "transform")
                    && (own_component(ctx) || rt != "this") =>
            {
                report(row, m, name, ctx, sink)
            }
            Member(types, m) if m == nt => {
                let ty = match ctx.kind(recv) {
                    K::Identifier => ctx.type_of(rt).map(|t| simple_name(t.trim_end_matches('?'))),
                    K::Invocation => super::super::ctx::infer_type(recv, ctx).map(simple_name),
                    _ => None,
                };
                if ty.is_some_and(|t| types.contains(&t)) {
                    report(row, &format!("{}.{m}", ty.unwrap_or_default()), name, ctx, sink);
                }
            }
            _ => {}
        }
    }
}
