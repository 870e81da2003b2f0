//! Security rules for generated code: what must not ship without a human deciding it should.

use tree_sitter::Node;

use super::Sink;
use super::classes::simple_name;
use super::ctx::{Callee, Ctx, Pre};
use super::source::K;

pub(crate) fn enter(node: Node<'_>, k: K, pre: &Pre<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    match k {
        K::Identifier => identifier(node, pre.text(), ctx, sink),
        K::Invocation => {
            if let Some(callee) = pre.callee() {
                invocation(node, callee, ctx, sink)
            }
        }
        K::ObjectCreation => object_creation(node, ctx, sink),
        K::MemberAccess => member_access(node, pre.text(), sink),
        K::Assignment => assignment(node, ctx, sink),
        K::VariableDeclarator => declarator(node, ctx, sink),
        K::StringLiteral | K::VerbatimString | K::RawString => literal(node, ctx, sink),
        K::UnsafeStatement => unsafe_code(node, sink),
        K::Modifier if pre.text() == "unsafe" => unsafe_code(node, sink),
        K::Attribute => attribute(node, ctx, sink),
        K::Method => method(node, ctx, sink),
        _ => {}
    }
}

fn unsafe_code(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2011",
        node,
        "`unsafe` code needs \"Allow unsafe code\" in the Player settings and bypasses memory safety; use safe code".into(),
    );
}

const DESERIALIZERS: &[&str] = &[
    "BinaryFormatter",
    "SoapFormatter",
    "NetDataContractSerializer",
    "LosFormatter",
    "ObjectStateFormatter",
    "SimpleTypeResolver",
];

fn identifier(node: Node<'_>, t: &str, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if DESERIALIZERS.contains(&t) && !ctx.in_using() {
        sink.emit_node(
            "SPK2002",
            node,
            format!("`{t}` deserializes arbitrary types and lets crafted data run code; use JsonUtility or a typed serializer"),
        );
    }
}

fn attribute(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(n) = ctx.field(node, ctx.src.g.f.name) else { return };
    let a = simple_name(ctx.t(n));
    if matches!(a, "DllImport" | "DllImportAttribute" | "LibraryImport" | "LibraryImportAttribute") {
        sink.emit_node(
            "SPK2012",
            node,
            format!("[{a}] calls native code outside the runtime's safety checks; review the library and the signature"),
        );
    }
}

/// `ValidateCertificate` overrides that accept everything.
fn method(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(n) = ctx.field(node, ctx.src.g.f.name) else { return };
    if ctx.t(n) != "ValidateCertificate" {
        return;
    }
    let Some(body) = ctx.field(node, ctx.src.g.f.body) else { return };
    if always_true(body, ctx) {
        sink.emit_node(
            "SPK2008",
            n,
            "`ValidateCertificate` returns true for every certificate: anyone can intercept the traffic"
                .into(),
        );
    }
}

/// Whether a lambda/method body returns `true` unconditionally.
fn always_true(body: Node<'_>, ctx: &Ctx<'_>) -> bool {
    let compact: String = ctx.t(body).chars().filter(|c| !c.is_whitespace()).collect();
    compact == "true"
        || compact == "=>true"
        || compact == "=>true;"
        || compact == "{returntrue;}"
        || (compact.starts_with('{')
            && compact.ends_with("returntrue;}")
            && !compact.contains("if(")
            && !compact.contains("returnfalse"))
}

fn invocation(node: Node<'_>, callee: &Callee<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let name = callee.name;
    let recv = ctx.recv_name(callee.receiver);
    let args = || ctx.args(node);
    match (recv, name) {
        ("Process", "Start") => sink.emit_node(
            "SPK2001",
            node,
            "starting a process runs arbitrary programs on the player's machine; remove it".into(),
        ),
        ("Assembly" | "CurrentDomain", "Load" | "LoadFrom" | "LoadFile" | "UnsafeLoadFrom" | "LoadWithPartialName")
        | ("CodeDomProvider", "CreateProvider")
        | ("AssemblyBuilder", "DefineDynamicAssembly")
        | ("CSharpScript", "EvaluateAsync" | "RunAsync" | "Create") => sink.emit_node(
            "SPK2003",
            node,
            format!("`{recv}.{name}` loads code at runtime, which can execute anything; reference the code statically"),
        ),
        (_, "CompileAssemblyFromSource" | "CompileAssemblyFromDom" | "CompileAssemblyFromFile") => sink.emit_node(
            "SPK2003",
            node,
            format!("`{name}` compiles and loads code at runtime; reference the code statically"),
        ),
        ("File" | "Directory" | "FileUtil", _) => file_op(node, recv, name, &args(), ctx, sink),
        (
            "UnityWebRequest" | "UnityWebRequestTexture" | "UnityWebRequestAssetBundle" | "UnityWebRequestMultimedia",
            "Get" | "Post" | "Put" | "Delete" | "Head" | "PostWwwForm" | "GetTexture" | "GetAssetBundle" | "GetAudioClip",
        )
        | ("WebRequest" | "HttpWebRequest", "Create" | "CreateHttp") => {
            if let Some(a) = args().first() {
                url_check(*a, ctx, sink);
            }
        }
        (
            _,
            "GetAsync" | "PostAsync" | "PutAsync" | "DeleteAsync" | "PatchAsync" | "GetStringAsync"
            | "GetByteArrayAsync" | "GetStreamAsync",
        ) if ctx.uses_http_client => {
            if let Some(a) = args().first() {
                url_check(*a, ctx, sink);
            }
        }
        (
            _,
            "DownloadString" | "DownloadData" | "DownloadFile" | "DownloadStringTaskAsync" | "DownloadDataTaskAsync"
            | "DownloadFileTaskAsync" | "UploadString" | "UploadData" | "UploadFile" | "UploadValues" | "OpenRead"
            | "OpenWrite",
        ) if ctx.uses_web_client => {
            if let Some(a) = args().first() {
                url_check(*a, ctx, sink);
            }
        }
        // Passwords, tokens and keys are text: `SetInt("Tokens", coins)` is an arcade counter.
        ("PlayerPrefs", "SetString") => {
            let key_secret = args().first().and_then(|a| ctx.literal(*a)).is_some_and(secret_word);
            // Judge each name in the value (`passwordInput.text`), so `tokenName` or
            // `keyToPress.ToString()` are not read as secrets.
            let value_secret = args().get(1).is_some_and(|a| {
                ctx.t(*a).split(|c: char| !(c.is_alphanumeric() || c == '_')).any(secret_name)
            });
            if key_secret || value_secret {
                sink.emit_node(
                    "SPK2010",
                    node,
                    "PlayerPrefs is plain text on disk; never store passwords, tokens or keys there".into(),
                );
            }
        }
        ("Marshal", n) if n != "SizeOf" => sink.emit_node(
            "SPK2013",
            node,
            format!("`Marshal.{n}` reads or writes raw memory; a wrong size or pointer corrupts memory"),
        ),
        ("DES" | "TripleDES" | "RC2", "Create") => sink.emit_node(
            "SPK2014",
            node,
            format!("`{recv}` is a broken cipher; use `Aes` (CBC or GCM with a random IV)"),
        ),
        ("MD5" | "SHA1", "Create") => sink.emit_node(
            "SPK2015",
            node,
            format!("`{recv}` is broken for security; use SHA256 (or HMACSHA256 for authentication)"),
        ),
        ("Regex", "IsMatch" | "Match" | "Matches" | "Replace" | "Split") => {
            let literal_input = args().first().is_some_and(|a| ctx.literal(*a).is_some());
            if !has_timeout(&args(), ctx) && !literal_input {
                sink.emit_node(
                    "SPK2018",
                    node,
                    format!("`Regex.{name}` on input without a match timeout can hang on crafted text; pass a TimeSpan timeout"),
                );
            }
        }
        ("Random", "Range" | "Next" | "NextBytes" | "value") | (_, "NextBytes") => rng_for_secret(node, ctx, sink),
        _ => {}
    }
}

fn has_timeout(args: &[Node<'_>], ctx: &Ctx<'_>) -> bool {
    args.iter().any(|a| {
        let t = ctx.t(*a);
        t.contains("TimeSpan") || t.to_ascii_lowercase().contains("timeout")
    })
}

fn file_op(node: Node<'_>, recv: &str, name: &str, args: &[Node<'_>], ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if matches!(name, "Exists" | "GetCurrentDirectory") {
        return;
    }
    if matches!(name, "Delete" | "DeleteFileOrDirectory") {
        sink.emit_node(
            "SPK2004",
            node,
            format!("`{recv}.{name}` deletes files; make sure the path can only point inside the game's own data folder"),
        );
    }
    let params = outside_params(ctx);
    // Only Copy/Move/Replace take more than one path; for WriteAllText & co the second argument is
    // the content, which may well come from input.
    let paths = if matches!(name, "Copy" | "Move" | "Replace" | "CopyFileOrDirectory" | "MoveFileOrDirectory")
    {
        3
    } else {
        1
    };
    for a in args.iter().take(paths) {
        if from_input(*a, &params, ctx) {
            sink.emit_node(
                "SPK2005",
                *a,
                format!("path for `{recv}.{name}` is built from method input; sanitize it with Path.GetFileName and combine it with a fixed folder"),
            );
            break;
        }
    }
}

/// Parameters that bring input from outside the type: none in a private method (its callers are
/// the type's own code, which SPARK checks where they build the path), all of them otherwise.
fn outside_params<'a>(ctx: &'a Ctx<'_>) -> Vec<&'a str> {
    if ctx.private_func() { Vec::new() } else { ctx.params().collect() }
}

/// Whether an expression mentions a parameter of the enclosing function without passing it
/// through `Path.GetFileName`.
fn from_input(expr: Node<'_>, params: &[&str], ctx: &Ctx<'_>) -> bool {
    if params.is_empty() {
        return false;
    }
    let t = ctx.t(expr);
    if t.contains("GetFileName") {
        return false;
    }
    let mut stack = vec![expr];
    let mut steps = 0;
    while let Some(n) = stack.pop() {
        steps += 1;
        if steps > 256 {
            break;
        }
        if ctx.kind(n) == K::Identifier && params.contains(&ctx.t(n)) {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

enum Url {
    Safe,
    Plain,
    Dynamic,
}

fn classify(expr: Node<'_>, ctx: &Ctx<'_>, depth: u32) -> Url {
    if depth > 16 {
        return Url::Dynamic;
    }
    let from_text = |s: &str| {
        let lower = s.trim_start().to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("http://") {
            let host = rest.split(['/', ':', '?']).next().unwrap_or("");
            if matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "10.0.2.2") {
                Url::Safe
            } else {
                Url::Plain
            }
        } else {
            Url::Safe
        }
    };
    if let Some(lit) = ctx.literal(expr) {
        return from_text(lit);
    }
    match ctx.kind(expr) {
        K::InterpolatedString => {
            let t = ctx.t(expr);
            let body = t.trim_start_matches(['$', '@']).trim_start_matches('"');
            match body.strip_prefix('{') {
                // A leading hole naming a known constant: `$"{BaseUrl}/scores"`.
                Some(hole) => {
                    let name = hole.split(['}', ':', ',']).next().unwrap_or("").trim();
                    let last = name.rsplit('.').next().unwrap_or(name);
                    match ctx.strings.get(last) {
                        Some(v) => from_text(v),
                        None => Url::Dynamic,
                    }
                }
                None => from_text(body),
            }
        }
        K::Binary => match ctx.field(expr, ctx.src.g.f.left) {
            Some(l) => classify(l, ctx, depth + 1),
            None => Url::Dynamic,
        },
        K::Parenthesized => match expr.named_child(0) {
            Some(i) => classify(i, ctx, depth + 1),
            None => Url::Dynamic,
        },
        K::Identifier | K::MemberAccess => {
            let t = ctx.t(expr);
            let last = t.rsplit('.').next().unwrap_or(t);
            match ctx.strings.get(last) {
                Some(v) => from_text(v),
                None => Url::Dynamic,
            }
        }
        K::ObjectCreation => {
            let is_uri = ctx.field(expr, ctx.src.g.f.type_).is_some_and(|t| simple_name(ctx.t(t)) == "Uri");
            match ctx.args(expr).first() {
                Some(a) if is_uri => classify(*a, ctx, depth + 1),
                _ => Url::Dynamic,
            }
        }
        _ => Url::Dynamic,
    }
}

fn url_check(expr: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    match classify(expr, ctx, 0) {
        Url::Safe => {}
        Url::Plain => sink.emit_node(
            "SPK2006",
            expr,
            "plain http:// sends data unencrypted and Unity blocks it by default; use https://".into(),
        ),
        Url::Dynamic => sink.emit_node(
            "SPK2007",
            expr,
            format!(
                "request URL `{}` is not a literal; make sure it cannot be pointed at an arbitrary host",
                shorten(ctx.t(expr))
            ),
        ),
    }
}

fn shorten(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 { format!("{}…", one.chars().take(60).collect::<String>()) } else { one }
}

fn object_creation(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(ty) = ctx.field(node, ctx.src.g.f.type_) else { return };
    let t = simple_name(ctx.t(ty));
    let args = || ctx.args(node);
    match t {
        "Process" | "ProcessStartInfo" => sink.emit_node(
            "SPK2001",
            node,
            format!("`{t}` runs arbitrary programs on the player's machine; remove it"),
        ),
        "CSharpCodeProvider" | "VBCodeProvider" => sink.emit_node(
            "SPK2003",
            node,
            format!("`{t}` compiles and loads code at runtime; reference the code statically"),
        ),
        "UnityWebRequest" | "WWW" => {
            if let Some(a) = args().first() {
                url_check(*a, ctx, sink);
            }
        }
        "HttpRequestMessage" => {
            if let Some(a) = args().get(1) {
                url_check(*a, ctx, sink);
            }
        }
        "FileStream" | "StreamWriter" | "StreamReader" | "FileInfo" | "DirectoryInfo" => {
            let params = outside_params(ctx);
            if let Some(a) = args().first()
                && from_input(*a, &params, ctx)
            {
                sink.emit_node(
                    "SPK2005",
                    *a,
                    format!("path for `new {t}` is built from method input; sanitize it with Path.GetFileName and combine it with a fixed folder"),
                );
            }
        }
        "DESCryptoServiceProvider"
        | "TripleDESCryptoServiceProvider"
        | "RC2CryptoServiceProvider"
        | "RC4" => sink.emit_node(
            "SPK2014",
            node,
            format!("`{t}` is a broken cipher; use `Aes` (CBC or GCM with a random IV)"),
        ),
        "MD5CryptoServiceProvider" | "SHA1Managed" | "SHA1CryptoServiceProvider" | "HMACMD5" | "HMACSHA1" => {
            sink.emit_node("SPK2015", node, format!("`{t}` is broken for security; use SHA256 / HMACSHA256"))
        }
        "XmlUrlResolver" => sink.emit_node(
            "SPK2017",
            node,
            "an XmlUrlResolver lets documents pull external entities (XXE); leave XmlResolver null".into(),
        ),
        "Regex" => {
            let literal_pattern = args().first().is_some_and(|a| ctx.literal(*a).is_some());
            if !has_timeout(&args(), ctx) {
                let what = if literal_pattern { "" } else { " with a pattern built at runtime" };
                sink.emit_node(
                    "SPK2018",
                    node,
                    format!("Regex{what} without a match timeout can hang on crafted input; pass a TimeSpan timeout"),
                );
            }
        }
        "Random" | "System.Random" => rng_for_secret(node, ctx, sink),
        _ => {}
    }
}

/// The last two segments of a dotted name (`a.B.C` → (`B`, `C`)), on bytes: this runs for every
/// member access of the file.
fn last_two(t: &str) -> Option<(&str, &str)> {
    let b = t.as_bytes();
    let dot = b.iter().rposition(|&c| c == b'.')?;
    let start = b[..dot].iter().rposition(|&c| c == b'.').map_or(0, |i| i + 1);
    Some((&t[start..dot], &t[dot + 1..]))
}

fn member_access(node: Node<'_>, t: &str, sink: &mut Sink<'_>) {
    let Some((head, last)) = last_two(t) else { return };
    match (head, last) {
        ("TypeNameHandling", v) if v != "None" => sink.emit_node(
            "SPK2002",
            node,
            format!("`TypeNameHandling.{v}` lets JSON choose the types to create, which allows code execution; use TypeNameHandling.None"),
        ),
        ("CipherMode", "ECB") => sink.emit_node(
            "SPK2014",
            node,
            "ECB mode leaks patterns of the plaintext; use CBC with a random IV or GCM".into(),
        ),
        ("DtdProcessing", "Parse") => sink.emit_node(
            "SPK2017",
            node,
            "DtdProcessing.Parse lets XML documents declare external entities (XXE); use DtdProcessing.Prohibit".into(),
        ),
        ("HttpClientHandler", "DangerousAcceptAnyServerCertificateValidator") => sink.emit_node(
            "SPK2008",
            node,
            "accepting any server certificate lets anyone intercept the traffic".into(),
        ),
        _ => {}
    }
}

fn assignment(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let g = ctx.src.g;
    let (Some(l), Some(r)) = (ctx.field(node, g.f.left), ctx.field(node, g.f.right)) else { return };
    let lt = ctx.t(l);
    let last = lt.rsplit('.').next().unwrap_or(lt).trim();
    match last {
        "ServerCertificateValidationCallback" | "ServerCertificateCustomValidationCallback"
            if ctx.kind(r) == K::Lambda || ctx.kind(r) == K::AnonymousMethod =>
        {
            if let Some(body) = ctx.field(r, g.f.body)
                && always_true(body, ctx)
            {
                sink.emit_node(
                    "SPK2008",
                    node,
                    "certificate validation that always returns true lets anyone intercept the traffic"
                        .into(),
                );
            }
        }
        "ProhibitDtd" if ctx.t(r) == "false" => sink.emit_node(
            "SPK2017",
            node,
            "ProhibitDtd = false lets XML documents declare external entities (XXE)".into(),
        ),
        _ => secret_value(last, r, ctx, sink),
    }
}

fn declarator(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(n) = ctx.field(node, ctx.src.g.f.name) else { return };
    let Some(value) = node.named_child(node.named_child_count().saturating_sub(1) as u32) else { return };
    if value.id() == n.id() {
        return;
    }
    secret_value(ctx.t(n), value, ctx, sink);
}

/// Words that make a name or key hold a secret.
fn secret_word(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "apikey",
        "api_key",
        "accesskey",
        "access_key",
        "privatekey",
        "private_key",
        "token",
        "credential",
        "connectionstring",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// Whether a variable name says it holds a secret (not the name of a setting that stores one:
/// `PasswordPrefKey`, `TokenFieldName`).
fn secret_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase().replace('_', "");
    if !secret_word(&l) && !matches!(l.as_str(), "key" | "pwd" | "pass") {
        return false;
    }
    const NOT_SECRET: &[&str] = &[
        "name",
        "label",
        "field",
        "path",
        "url",
        "prefix",
        "header",
        "hint",
        "message",
        "text",
        "title",
        "id",
        "length",
        "count",
        "prompt",
        "format",
        "type",
        "endpoint",
        // Game nouns: a secret level or a coin token is content, not a credential.
        "level",
        "scene",
        "area",
        "room",
        "spawn",
        "prefab",
        "door",
        "item",
        "chest",
        "passage",
        "ending",
        "zone",
        "sprite",
        "icon",
        "sound",
        "clip",
        "material",
        "reward",
        "achievement",
        "unlocked",
        "found",
    ];
    if NOT_SECRET.iter().any(|s| l.ends_with(s)) {
        return false;
    }
    if let Some(before) = l.strip_suffix("key") {
        const KEY_OWNERS: &[&str] = &[
            "api",
            "secret",
            "private",
            "access",
            "encryption",
            "signing",
            "client",
            "license",
            "master",
            "",
        ];
        return KEY_OWNERS
            .iter()
            .any(|o| before.ends_with(o) && (o.is_empty() && before.is_empty() || !o.is_empty()));
    }
    true
}

/// Whether a literal looks like a real secret rather than a placeholder or a label.
fn secret_like(v: &str) -> bool {
    if v.chars().count() < 8 || v.chars().any(char::is_whitespace) {
        return false;
    }
    let l = v.to_ascii_lowercase();
    const PLACEHOLDERS: &[&str] = &[
        "your",
        "xxx",
        "<",
        "example",
        "placeholder",
        "changeme",
        "change_me",
        "replace",
        "insert",
        "todo",
        "dummy",
        "***",
        "...",
        "${",
        "{0}",
    ];
    if PLACEHOLDERS.iter().any(|p| l.contains(p)) {
        return false;
    }
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric() && !matches!(c, '_' | '.' | '-')),
    ];
    classes.iter().filter(|x| **x).count() >= 2
}

fn secret_value(name: &str, value: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    if let Some(lit) = ctx.literal(value) {
        if lit.len() >= 8 && secret_name(name) && secret_like(lit) {
            sink.emit_node(
                "SPK2009",
                value,
                format!("`{name}` holds a hard-coded secret; anyone can read it from the build. Load it from a server or a user prompt"),
            );
        }
        return;
    }
    // Secret values from a non-cryptographic generator.
    let t = ctx.t(value);
    if !t.contains("Random") && !t.contains(".Next(") {
        return;
    }
    let l = name.to_ascii_lowercase();
    let generated = ["salt", "nonce", "iv", "otp"].iter().any(|w| l.ends_with(w));
    if (generated || secret_name(name))
        && (t.contains("Random.Range")
            || t.contains("new Random(")
            || t.contains("new System.Random(")
            || t.contains(".Next("))
    {
        sink.emit_node(
            "SPK2016",
            value,
            format!("`{name}` comes from a predictable random generator; use RandomNumberGenerator"),
        );
    }
}

/// `Random` used inside a function that generates a secret.
fn rng_for_secret(node: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(f) = ctx.func() else { return };
    let l = f.name.to_ascii_lowercase();
    let secretish = ["password", "token", "secret", "apikey", "salt", "nonce", "otp", "sessionid", "key"];
    if (l.starts_with("generate") || l.starts_with("create") || l.starts_with("new") || l.starts_with("make"))
        && secretish.iter().any(|w| l.contains(w))
        && !l.contains("keyframe")
    {
        sink.emit_node(
            "SPK2016",
            node,
            format!(
                "`{}` builds a secret from a predictable random generator; use RandomNumberGenerator",
                f.name
            ),
        );
    }
}

/// Well-known credential formats, whatever the variable name.
fn literal(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if node.end_byte() - node.start_byte() < 18 {
        return;
    }
    let Some(v) = ctx.literal(node) else { return };
    let found = if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        Some("a private key")
    } else if token_after(v, "sk-ant-", 20) || token_after(v, "sk-proj-", 20) || token_after(v, "sk-", 32) {
        Some("an API key")
    } else if token_after(v, "AKIA", 16) {
        Some("an AWS access key")
    } else if token_after(v, "ghp_", 30) || token_after(v, "github_pat_", 30) {
        Some("a GitHub token")
    } else if token_after(v, "AIza", 30) {
        Some("a Google API key")
    } else if token_after(v, "xoxb-", 20) || token_after(v, "xoxp-", 20) {
        Some("a Slack token")
    } else if token_after(v, "Bearer ", 20) || token_after(v, "bearer ", 20) {
        Some("a bearer token")
    } else if is_jwt(v) {
        Some("a JSON Web Token")
    } else {
        None
    };
    if let Some(what) = found {
        sink.emit_node(
            "SPK2009",
            node,
            format!("string literal contains {what}; anyone can read it from the build. Load it at runtime from a secure source"),
        );
    }
}

/// A signed JWT: three base64url segments joined by dots, the first an encoded JSON object.
fn is_jwt(v: &str) -> bool {
    v.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))).any(|t| {
        let parts: Vec<&str> = t.split('.').collect();
        parts.len() == 3 && parts[0].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 10)
    })
}

fn token_after(v: &str, prefix: &str, min: usize) -> bool {
    v.match_indices(prefix).any(|(i, _)| {
        let before_ok = i == 0 || !v.as_bytes()[i - 1].is_ascii_alphanumeric();
        let rest = &v[i + prefix.len()..];
        let run = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
        before_ok && run >= min
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert!(secret_name("apiKey"));
        assert!(secret_name("API_KEY"));
        assert!(secret_name("password"));
        assert!(secret_name("authToken"));
        assert!(!secret_name("PasswordPrefKey"));
        assert!(!secret_name("tokenFieldName"));
        assert!(!secret_name("AuthTokenKey"));
        assert!(!secret_name("playerName"));
        assert!(secret_like("sUp3rS3cret!"));
        assert!(!secret_like("player_password"));
        assert!(!secret_like("YOUR_API_KEY_HERE"));
        assert!(!secret_like("Enter password"));
    }
}
