//! Security rules for generated code: what must not ship without a human deciding it should.

use tree_sitter::Node;

mod locals;
mod machine;
mod paths;
mod secrets;
mod urls;
mod uses;

pub(crate) use locals::Locals;
use paths::{file_op, from_input, outside_params};
use secrets::{literal, rng_for_secret, secret_name, secret_value, secret_word};
use urls::url_check;
use uses::Timeout;

use super::Sink;
use super::classes::simple_name;
use super::ctx::{Callee, Ctx, Pre};
use super::source::K;

pub(crate) fn enter(node: Node<'_>, k: K, pre: &Pre<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    if !ctx.sec.hidden_checked {
        ctx.sec.hidden_checked = true;
        if machine::may_hide(ctx) {
            machine::hidden_chars(ctx, sink);
        }
    }
    match k {
        K::Identifier => identifier(node, pre.text(), ctx, sink),
        K::Invocation => {
            if let Some(callee) = pre.callee() {
                invocation(node, callee, ctx, sink);
                uses::invocation(node, callee, ctx, sink);
                machine::invocation(node, callee, ctx, sink);
            }
        }
        K::Binary => uses::binary(node, ctx, sink),
        K::ObjectCreation => object_creation(node, ctx, sink),
        K::MemberAccess => member_access(node, pre.text(), sink),
        K::Assignment => assignment(node, ctx, sink),
        K::VariableDeclarator => declarator(node, ctx, sink),
        K::StringLiteral | K::VerbatimString | K::RawString => {
            literal(node, ctx, sink);
            machine::literal(node, ctx, sink);
        }
        K::UnsafeStatement => unsafe_code(node, sink),
        K::Modifier if pre.text() == "unsafe" => unsafe_code(node, sink),
        K::Attribute => attribute(node, ctx, sink),
        K::Method => {
            locals::scan(node, ctx);
            method(node, ctx, sink)
        }
        K::Constructor => locals::scan(node, ctx),
        K::LocalFunction if ctx.func().is_none() => locals::scan(node, ctx),
        // Code outside methods (field initializers, accessors) tracks no values.
        K::Class | K::Struct if ctx.type_frame().is_none() => {
            ctx.sec.reset();
            locals::scan_fields(node, ctx);
        }
        K::Class | K::Struct | K::FieldDeclaration | K::PropertyDeclaration => ctx.sec.reset(),
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
    if t == "DataContractResolver" && !ctx.in_using() {
        sink.emit_node(
            "SPK2002",
            node,
            "a custom DataContractResolver lets the data name the types to create, which allows code execution; use a typed serializer".into(),
        );
    }
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
            | "OpenWrite" | "OpenReadAsync" | "OpenWriteAsync" | "OpenReadTaskAsync" | "OpenWriteTaskAsync"
            | "DownloadStringAsync" | "DownloadDataAsync" | "DownloadFileAsync" | "UploadStringAsync"
            | "UploadDataAsync" | "UploadFileAsync" | "UploadValuesAsync" | "UploadStringTaskAsync"
            | "UploadDataTaskAsync" | "UploadFileTaskAsync" | "UploadValuesTaskAsync",
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
            match uses::timeout(&args(), ctx) {
                Timeout::Missing if !literal_input => sink.emit_node(
                    "SPK2018",
                    node,
                    format!("`Regex.{name}` on input without a match timeout can hang on crafted text; pass a TimeSpan timeout"),
                ),
                Timeout::Infinite => infinite_timeout(node, sink),
                _ => {}
            }
        }
        ("Random", "Range" | "Next" | "NextBytes" | "value") | (_, "NextBytes") => rng_for_secret(node, ctx, sink),
        _ => {}
    }
}

fn infinite_timeout(node: Node<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2018",
        node,
        "a regex match timeout this long (or infinite) never stops a runaway match in time; use at most a few seconds".into(),
    );
}

fn object_creation(node: Node<'_>, ctx: &mut Ctx<'_>, sink: &mut Sink<'_>) {
    let Some(ty) = ctx.field(node, ctx.src.g.f.type_) else { return };
    let t = simple_name(ctx.t(ty));
    machine::creation(node, t, ctx, sink);
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
            match uses::timeout(&args(), ctx) {
                Timeout::Missing => {
                    let what = if literal_pattern { "" } else { " with a pattern built at runtime" };
                    sink.emit_node(
                        "SPK2018",
                        node,
                        format!("Regex{what} without a match timeout can hang on crafted input; pass a TimeSpan timeout"),
                    );
                }
                Timeout::Infinite => infinite_timeout(node, sink),
                Timeout::Finite => {}
            }
        }
        "Random" | "System.Random" => rng_for_secret(node, ctx, sink),
        "AesGcm" | "AesCcm" | "ChaCha20Poly1305" | "HMACSHA256" | "HMACSHA512" => {
            if let Some(a) = args().first()
                && ctx.sec.weak.contains(ctx.t(*a))
            {
                weak_key(*a, ctx, sink);
            }
        }
        "BinaryServerFormatterSinkProvider"
        | "BinaryClientFormatterSinkProvider"
        | "SoapServerFormatterSinkProvider"
        | "SoapClientFormatterSinkProvider" => {
            if let Some(a) = args().first()
                && ctx.sec.full_filter.contains(ctx.t(*a))
            {
                sink.emit_node(
                    "SPK2002",
                    node,
                    format!("`{t}` with typeFilterLevel Full deserializes any type a remote caller sends; use TypeFilterLevel.Low"),
                );
            }
        }
        "JavaScriptSerializer" => {
            if let Some(a) = args().first()
                && !ctx.t(*a).contains("SimpleTypeResolver")
            {
                sink.emit_node(
                    "SPK2002",
                    node,
                    "a JavaScriptSerializer with a type resolver lets the JSON choose the types to create; use one without a resolver".into(),
                );
            }
        }
        _ => {}
    }
}

/// A key buffer filled by `System.Random` handed to a cipher.
fn weak_key(key: Node<'_>, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    sink.emit_node(
        "SPK2016",
        key,
        format!(
            "key `{}` was filled by System.Random, which is predictable; fill it with RandomNumberGenerator",
            ctx.t(key)
        ),
    );
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
    machine::member_access(node, head, last, sink);
    match (head, last) {
        ("TypeNameHandling", v) if v != "None" => sink.emit_node(
            "SPK2002",
            node,
            format!("`TypeNameHandling.{v}` lets JSON choose the types to create, which allows code execution; use TypeNameHandling.None"),
        ),
        ("TypeFilterLevel", "Full") => sink.emit_node(
            "SPK2002",
            node,
            "TypeFilterLevel.Full lets remoting deserialize any type a caller sends, which allows code execution; use TypeFilterLevel.Low".into(),
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
        "Key" if ctx.sec.weak.contains(ctx.t(r)) => weak_key(r, ctx, sink),
        "BadListTypeChecking" if ctx.t(r) == "false" => sink.emit_node(
            "SPK2002",
            node,
            "fastJSON with BadListTypeChecking off creates whatever types the JSON names; leave the check on"
                .into(),
        ),
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
