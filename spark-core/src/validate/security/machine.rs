//! What a malicious reply does to the player's machine: sends the user's own files away, starts
//! programs at login or through reflection, kills the process, opens local files, or hides code
//! from the reviewer with invisible characters.

use tree_sitter::Node;

use super::super::Sink;
use super::super::ctx::{Callee, Ctx};
use super::locals::names_any;
use super::urls::{Url, classify};

/// Calls that send their arguments off the machine.
const SENDS: &[&str] = &[
    "Post",
    "Put",
    "PostWwwForm",
    "PostAsync",
    "PutAsync",
    "PatchAsync",
    "SendAsync",
    "UploadString",
    "UploadData",
    "UploadFile",
    "UploadValues",
    "UploadStringAsync",
    "UploadDataAsync",
    "UploadFileAsync",
    "UploadValuesAsync",
    "UploadStringTaskAsync",
    "UploadDataTaskAsync",
    "UploadFileTaskAsync",
    "UploadValuesTaskAsync",
    "AddField",
    "AddBinaryData",
    "Send",
    "SendTo",
    "BeginSend",
    "Write",
    "WriteAsync",
];

pub(super) fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    let recv = ctx.recv_name(callee.receiver);
    match (recv, name) {
        // Editor scripts run in batch mode (CI builds) may end the process on purpose.
        ("Environment", "Exit" | "FailFast") if !ctx.editor_only(node.start_byte()) => sink.emit_node(
            "SPK2023",
            node,
            format!("`Environment.{name}` kills the whole process (the Unity Editor in Play mode); use Application.Quit"),
        ),
        (_, "CreateInstanceFrom" | "CreateInstanceFromAndUnwrap" | "ExecuteAssembly" | "ExecuteAssemblyByName") => {
            sink.emit_node(
                "SPK2003",
                node,
                format!("`{name}` loads and runs code from a file at runtime; reference the code statically"),
            )
        }
        ("Application", "OpenURL") => {
            let Some(a) = ctx.arg(node, 0) else { return };
            if ctx.t(a).to_ascii_lowercase().contains("file:") {
                sink.emit_node(
                    "SPK2024",
                    a,
                    "Application.OpenURL on a file:// URL opens (or runs) a local file; open only https:// pages".into(),
                );
            } else if matches!(classify(a, ctx, 0), Url::Dynamic) {
                sink.emit_node(
                    "SPK2007",
                    a,
                    "Application.OpenURL with a URL that is not a literal can open any program or local file; open a fixed https:// page".into(),
                );
            }
        }
        ("Type", "GetType") | (_, "GetMethod" | "InvokeMember")
            if ctx.args(node).first().is_some_and(|a| ctx.literal(*a).is_some_and(|v| v == "Start"))
                && callee.receiver.is_some_and(|r| ctx.t(r).contains("Process")) =>
        {
            reflected_process(node, sink)
        }
        (_, n) if SENDS.contains(&n) => {
            let secret = ctx
                .args(node)
                .iter()
                .any(|a| names_any(*a, ctx, &ctx.sec.secret_data) || names_any(*a, ctx, &ctx.sec.secret_fields));
            // A stream write leaves the machine only where the file opens a connection.
            let network = !matches!(n, "Write" | "WriteAsync" | "Send" | "SendTo" | "BeginSend")
                || ["TcpClient", "Socket", "NetworkStream", "UdpClient", "SslStream"]
                    .iter()
                    .any(|s| ctx.src.scan.contains(s));
            if secret && network {
                sink.emit_node(
                    "SPK2021",
                    node,
                    format!("`{name}` sends data read from the user's private files (home folder, SSH or credential stores) off the machine; remove it"),
                );
            }
        }
        _ => {}
    }
}

/// `new StringContent(keyText)` & co: the body of a request made of secret data.
pub(super) fn creation(node: Node<'_>, ty: &str, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if !matches!(ty, "StringContent" | "ByteArrayContent" | "StreamContent" | "FormUrlEncodedContent") {
        return;
    }
    if ctx
        .args(node)
        .iter()
        .any(|a| names_any(*a, ctx, &ctx.sec.secret_data) || names_any(*a, ctx, &ctx.sec.secret_fields))
    {
        sink.emit_node(
            "SPK2021",
            node,
            format!("`{ty}` wraps data read from the user's private files (home folder, SSH or credential stores) to send it; remove it"),
        );
    }
}

fn reflected_process(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2001",
        node,
        "starting a process through reflection runs arbitrary programs on the player's machine; remove it"
            .into(),
    );
}

/// String literals that name a way to run code: the Process type for reflection, a registry
/// Run key, a startup folder.
pub(super) fn literal(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(v) = ctx.literal(node) else { return };
    if v.len() < 7 {
        return;
    }
    if v.starts_with("System.Diagnostics.Process") && !v.contains("Info") {
        reflected_process(node, sink);
        return;
    }
    let norm = v.replace("\\\\", "\\").to_ascii_lowercase();
    let run_key =
        ["currentversion\\run", "currentversion\\runonce", "currentversion\\policies\\explorer\\run"]
            .iter()
            .any(|k| norm.contains(k) && !norm.contains("currentversion\\runtime"));
    let startup = norm.contains("start menu\\programs\\startup")
        || norm.contains(".config/autostart")
        || norm.contains("library/launchagents");
    if run_key || startup {
        persistence(node, sink);
    }
}

/// `Environment.SpecialFolder.Startup` / `CommonStartup`.
pub(super) fn member_access(node: Node<'_>, head: &str, last: &str, sink: &mut Sink<'_>) {
    if head == "SpecialFolder" && matches!(last, "Startup" | "CommonStartup") {
        persistence(node, sink);
    }
}

fn persistence(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2022",
        node,
        "a registry Run key or a startup folder makes a program start at every login; a game never needs this".into(),
    );
}

/// Bidirectional controls and invisible characters anywhere in the file (Trojan Source,
/// CVE-2021-42574): the code the compiler sees differs from what the reviewer reads.
pub(super) fn hidden_chars(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    const MAX: usize = 20;
    let text = ctx.src.text;
    let mut found = 0;
    for (i, c) in text.char_indices() {
        let hidden = matches!(c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{061C}')
            || (c == '\u{FEFF}' && i > 0);
        if hidden {
            sink.emit_bytes(
                "SPK2025",
                i,
                i + c.len_utf8(),
                format!("invisible or bidirectional control character U+{:04X} makes the code read differently than it compiles (Trojan Source); remove it", c as u32),
            );
            found += 1;
            if found == MAX {
                break;
            }
        }
    }
}

/// Whether the file holds any character [`hidden_chars`] reports (a quick byte test first: all
/// of them encode with a lead byte 0xE2, 0xD8 or 0xEF).
pub(super) fn may_hide(ctx: &Ctx<'_>) -> bool {
    ctx.src.text.bytes().any(|b| matches!(b, 0xE2 | 0xD8 | 0xEF))
}
