//! Values tracked within one method, so a finding can be judged (and reported) where a value is
//! used: a URL held in a local, a key filled by `System.Random`, a path built from a parameter,
//! an XML parser configured to resolve entities.
//!
//! [`scan`] runs once when the walk enters a method and reads the whole body in source order;
//! every fact is per name for the method (a name assigned twice keeps the worst value), which
//! errs towards reporting.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::super::classes::simple_name;
use super::super::ctx::Ctx;
use super::super::source::K;
use super::urls::{Url, classify};

/// Nodes a method scan reads at most: past it the facts stay empty (values untracked).
const MAX_NODES: usize = 50_000;

/// Facts about the locals of the method being walked.
#[derive(Default)]
pub(crate) struct Locals {
    /// Local → the worst request URL assigned to it.
    pub urls: HashMap<String, Url>,
    /// `System.Random` instances.
    rngs: HashSet<String>,
    /// Buffers filled by a `System.Random` (`rng.NextBytes(key)`).
    pub weak: HashSet<String>,
    /// Locals whose value is built from a parameter (not through `Path.GetFileName`).
    pub tainted: HashSet<String>,
    /// Parameters passed through `Path.GetFileName` somewhere in the method (checked or replaced).
    pub sanitized: HashSet<String>,
    /// Parameter names of the method.
    params: HashSet<String>,
    /// XmlReaderSettings with `DtdProcessing.Parse`, XmlDocuments with an `XmlUrlResolver`.
    pub xml_unsafe: HashSet<String>,
    /// XmlTextReaders left with their DTD-parsing defaults.
    pub xml_readers: HashSet<String>,
    /// Dictionaries given `["typeFilterLevel"] = "Full"`.
    pub full_filter: HashSet<String>,
    /// Locals naming a file under the user's home or a credential store (`~/.ssh/id_rsa`).
    sensitive_paths: HashSet<String>,
    /// Locals holding what was read from such a file.
    pub secret_data: HashSet<String>,
    /// Names every function may see: fields given data read from such a file (file-wide, kept
    /// across methods).
    pub secret_fields: HashSet<String>,
    /// Locals declared in the method (an assigned name that is not one is a field).
    declared: HashSet<String>,
    /// Whether the file names a sensitive path at all (computed on first use).
    sensitive_file: Option<bool>,
    /// Whether the file was searched for hidden characters (the first node does it).
    pub hidden_checked: bool,
    /// Whether any rule can read these facts in this file (see [`READERS`]; computed on first
    /// use).
    tracked: Option<bool>,
}

impl Locals {
    /// Forgets the method's values, keeps what is known file-wide.
    pub(crate) fn reset(&mut self) {
        let secret_fields = std::mem::take(&mut self.secret_fields);
        let (sensitive_file, hidden_checked, tracked) =
            (self.sensitive_file, self.hidden_checked, self.tracked);
        *self = Locals { secret_fields, sensitive_file, hidden_checked, tracked, ..Locals::default() };
    }
}

/// Paths of the user's own files that no game reads: home-folder roots, SSH and cloud keys,
/// browser and wallet stores.
const SENSITIVE: &[&str] = &[
    "SpecialFolder.UserProfile",
    "\"HOME\"",
    "\"USERPROFILE\"",
    ".ssh",
    "id_rsa",
    "id_ed25519",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".git-credentials",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "Login Data",
    "wallet.dat",
    "Keychains",
];

/// Whether code text names a sensitive file or folder.
pub(crate) fn sensitive_path(t: &str) -> bool {
    SENSITIVE.iter().any(|m| t.contains(m))
}

/// At an outermost type of a file that names a sensitive path: reads every method first, so a
/// field given secret data in one method is known where another sends it.
pub(crate) fn scan_fields(class: Node<'_>, ctx: &mut Ctx<'_>) {
    // Untracked, every method scan below finds nothing (and the text search is done once).
    if !tracked(ctx) {
        return;
    }
    let sensitive = *ctx.sec.sensitive_file.get_or_insert_with(|| sensitive_path(ctx.src.text));
    if !sensitive {
        return;
    }
    let mut methods = Vec::new();
    let mut cursor = class.walk();
    let mut seen = 0;
    'walk: loop {
        seen += 1;
        if seen > MAX_NODES * 4 {
            break;
        }
        let n = cursor.node();
        if matches!(ctx.kind(n), K::Method | K::Constructor) {
            methods.push(n);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() || cursor.node().id() == class.id() {
                break 'walk;
            }
        }
    }
    for m in methods {
        scan(m, ctx);
    }
    ctx.sec.reset();
}

/// Names without one of which no rule reads a fact of [`Locals`] with a value in it: the file
/// and stream path rules (`File`, `Directory`, `Stream`), the URL rules (`WebRequest`, `WWW`,
/// `HttpRequestMessage`, `HttpClient`, `WebClient`, `OpenURL`), weak keys (`NextBytes`), remoting
/// (`typeFilterLevel`) and XML (`Xml`, `DtdProcessing`); the secret-data facts need a sensitive
/// path. A file naming none of them (most scripts) skips the per-method scan, a third of the
/// rule pass. A rule that reads `ctx.sec` for another call adds that call's name here (the test
/// `gated_scan_changes_nothing` compares both ways over the fixtures).
const READERS: &[&str] = &[
    "File",
    "Directory",
    "Stream",
    "WebRequest",
    "WWW",
    "HttpRequestMessage",
    "HttpClient",
    "WebClient",
    "OpenURL",
    "NextBytes",
    "typeFilterLevel",
    "Xml",
    "DtdProcessing",
];

#[cfg(test)]
thread_local! {
    /// Tests turn the [`READERS`] gate off to compare.
    pub(crate) static UNGATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a rule may read the facts [`scan`] gathers in this file.
fn tracked(ctx: &mut Ctx<'_>) -> bool {
    #[cfg(test)]
    if UNGATED.with(|u| u.get()) {
        return true;
    }
    if let Some(t) = ctx.sec.tracked {
        return t;
    }
    // One pass over the text the rules read (`ctx.t`): facts come from it, and so do the
    // calls that read them.
    static MARKERS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    let markers = MARKERS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(READERS.iter().chain(SENSITIVE))
            .ok()
    });
    // Without an automaton (never seen), every file is scanned.
    let t = markers.as_ref().is_none_or(|m| m.is_match(&*ctx.src.scan));
    ctx.sec.tracked = Some(t);
    t
}

/// Reads the method `node` and replaces `ctx.sec` with what it shows.
pub(crate) fn scan(node: Node<'_>, ctx: &mut Ctx<'_>) {
    ctx.sec.reset();
    if !tracked(ctx) {
        return;
    }
    let g = ctx.src.g;
    if let Some(list) = ctx.field(node, g.f.parameters) {
        let mut c = list.walk();
        for p in list.named_children(&mut c) {
            if let Some(n) = ctx.field(p, g.f.name) {
                ctx.sec.params.insert(ctx.t(n).to_string());
            }
        }
    }
    let Some(body) = ctx.field(node, g.f.body) else { return };
    // Source order, so a local built from another sees that one's value.
    let mut nodes = Vec::new();
    let mut cursor = body.walk();
    'walk: loop {
        nodes.push(cursor.node());
        if nodes.len() >= MAX_NODES {
            return;
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() || cursor.node().id() == body.id() {
                break 'walk;
            }
        }
    }
    for n in &nodes {
        if ctx.kind(*n) == K::Invocation
            && let Some(c) = ctx.callee(*n)
            && c.name == "GetFileName"
        {
            for a in ctx.args(*n) {
                ctx.sec.sanitized.insert(ctx.t(a).to_string());
            }
        }
    }
    for n in nodes {
        match ctx.kind(n) {
            K::VariableDeclarator => {
                let Some(name) = ctx.field(n, g.f.name) else { continue };
                let Some(value) = n.named_child(n.named_child_count().saturating_sub(1) as u32) else {
                    continue;
                };
                ctx.sec.declared.insert(ctx.t(name).to_string());
                if value.id() == name.id() {
                    continue;
                }
                assign(ctx.t(name).to_string(), value, ctx);
            }
            K::Assignment => {
                let (Some(l), Some(r)) = (ctx.field(n, g.f.left), ctx.field(n, g.f.right)) else { continue };
                let op = ctx.field(n, g.f.operator).map(|o| ctx.t(o)).unwrap_or("=");
                if op != "=" {
                    continue;
                }
                let lt = ctx.t(l);
                // `this.data = File.ReadAllText(keyPath)`
                if let Some(field) = lt.strip_prefix("this.") {
                    assign(field.to_string(), r, ctx);
                    if ctx.sec.secret_data.contains(field) {
                        ctx.sec.secret_fields.insert(field.to_string());
                    }
                    continue;
                }
                match lt.rsplit_once('.') {
                    Some((obj, member)) => member_assign(obj, member.trim(), r, ctx),
                    None if ctx.kind(l) == K::Identifier => {
                        assign(lt.to_string(), r, ctx);
                        if ctx.sec.secret_data.contains(lt) && !ctx.sec.declared.contains(lt) {
                            ctx.sec.secret_fields.insert(lt.to_string());
                        }
                    }
                    // `props["typeFilterLevel"] = "Full"`
                    None => {
                        if lt.contains("\"typeFilterLevel\"")
                            && ctx.literal(r).is_some_and(|v| v.eq_ignore_ascii_case("full"))
                            && let Some((obj, _)) = lt.split_once('[')
                        {
                            ctx.sec.full_filter.insert(obj.trim().to_string());
                        }
                    }
                }
            }
            K::Invocation => {
                let Some(c) = ctx.callee(n) else { continue };
                let recv = c.receiver.map(|r| ctx.t(r)).unwrap_or("");
                if c.name == "NextBytes"
                    && ctx.sec.rngs.contains(recv)
                    && let Some(a) = ctx.args(n).first()
                {
                    ctx.sec.weak.insert(ctx.t(*a).to_string());
                }
            }
            _ => {}
        }
    }
}

/// `name = value` (or a declarator's initializer).
fn assign(name: String, value: Node<'_>, ctx: &mut Ctx<'_>) {
    let url = classify(value, ctx, 0);
    let worst = match ctx.sec.urls.get(&name) {
        Some(prev) => prev.worst(url),
        None => url,
    };
    ctx.sec.urls.insert(name.clone(), worst);
    let t = ctx.t(value);
    let created = (ctx.kind(value) == K::ObjectCreation)
        .then(|| ctx.field(value, ctx.src.g.f.type_))
        .flatten()
        .map(|ty| simple_name(ctx.t(ty)));
    match created {
        Some("Random") => {
            ctx.sec.rngs.insert(name.clone());
        }
        Some("XmlTextReader") => {
            ctx.sec.xml_readers.insert(name.clone());
        }
        Some("XmlReaderSettings" | "XmlDocument")
            if t.contains("DtdProcessing.Parse") || t.contains("XmlUrlResolver") =>
        {
            ctx.sec.xml_unsafe.insert(name.clone());
        }
        _ => {}
    }
    let reads = t.contains("Read") || t.contains("Open");
    let read_private = reads && (sensitive_path(t) || names_any(value, ctx, &ctx.sec.sensitive_paths));
    if read_private
        || names_any(value, ctx, &ctx.sec.secret_data)
        || names_any(value, ctx, &ctx.sec.secret_fields)
    {
        ctx.sec.secret_data.insert(name.clone());
    } else if sensitive_path(t) || names_any(value, ctx, &ctx.sec.sensitive_paths) {
        ctx.sec.sensitive_paths.insert(name.clone());
    }
    if !t.contains("GetFileName") && mentions(value, ctx) {
        ctx.sec.tainted.insert(name);
    }
}

/// `obj.member = value`: the settings that make a parser unsafe (or safe again).
fn member_assign(obj: &str, member: &str, value: Node<'_>, ctx: &mut Ctx<'_>) {
    let v = ctx.t(value);
    let obj = obj.trim().to_string();
    match member {
        "DtdProcessing" if v.ends_with("Parse") => {
            ctx.sec.xml_unsafe.insert(obj);
        }
        "DtdProcessing" => {
            ctx.sec.xml_readers.remove(&obj);
        }
        "XmlResolver" if v.contains("XmlUrlResolver") => {
            ctx.sec.xml_unsafe.insert(obj);
        }
        "XmlResolver" if v == "null" => {
            ctx.sec.xml_readers.remove(&obj);
        }
        _ => {}
    }
}

/// Whether an expression mentions a parameter that no `Path.GetFileName` vetted, or a local
/// built from one.
pub(super) fn mentions(expr: Node<'_>, ctx: &Ctx<'_>) -> bool {
    any_identifier(expr, ctx, |t| {
        (ctx.sec.params.contains(t) && !ctx.sec.sanitized.contains(t)) || ctx.sec.tainted.contains(t)
    })
}

/// Whether an expression mentions one of `names` (as an identifier, `this.x` included).
pub(super) fn names_any(expr: Node<'_>, ctx: &Ctx<'_>, names: &HashSet<String>) -> bool {
    !names.is_empty() && any_identifier(expr, ctx, |t| names.contains(t))
}

/// Whether an identifier in `expr` satisfies `hit`, looking at no more than 256 nodes: a huge
/// expression is cut short rather than walked whole for every call it sits in.
pub(super) fn any_identifier(expr: Node<'_>, ctx: &Ctx<'_>, hit: impl Fn(&str) -> bool) -> bool {
    let mut stack = vec![expr];
    let mut steps = 0;
    while let Some(n) = stack.pop() {
        steps += 1;
        if steps > 256 {
            break;
        }
        if ctx.kind(n) == K::Identifier && hit(ctx.t(n)) {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{READERS, SENSITIVE, UNGATED};
    use crate::validate::{ValidationConfig, validate_source};

    /// Skipping the scan in files that name no reader must not change a single diagnostic: the
    /// fixture scripts, and snippets where a reader fires, validated with and without the gate.
    #[test]
    fn gated_scan_changes_nothing() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        let mut texts: Vec<(String, String)> = Vec::new();
        for dir in ["valid", "post9", "bench"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "cs") {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    texts.push((name, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        let snippets = [
            "using System.IO;\npublic class Save { public void Write(string name) { var p = name + \".txt\"; File.WriteAllText(p, \"x\"); } }",
            "using UnityEngine.Networking;\npublic class Net { void Get() { var url = \"http://api.example.com/x\"; UnityWebRequest.Get(url); } }",
        ];
        for (i, s) in snippets.iter().enumerate() {
            texts.push((format!("Snippet{i}.cs"), s.to_string()));
        }
        let cfg = ValidationConfig::default();
        let mut untracked = 0;
        for (name, text) in &texts {
            let gated = validate_source(text, name, &cfg);
            UNGATED.with(|u| u.set(true));
            let full = validate_source(text, name, &cfg);
            UNGATED.with(|u| u.set(false));
            assert_eq!(gated, full, "{name}");
            untracked += usize::from(!READERS.iter().chain(SENSITIVE).any(|m| text.contains(m)));
        }
        assert!(untracked >= 20, "only {untracked} fixtures skip the scan");
        // The readers still fire where the gate lets the scan run.
        let rules =
            |s: &str| validate_source(s, "Net.cs", &cfg).into_iter().map(|d| d.rule).collect::<Vec<_>>();
        assert!(rules(snippets[0]).contains(&"SPK2005".to_string()), "{:?}", rules(snippets[0]));
        assert!(rules(snippets[1]).contains(&"SPK2006".to_string()), "{:?}", rules(snippets[1]));
    }
}
