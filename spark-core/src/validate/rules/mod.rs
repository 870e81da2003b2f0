//! The rule table: every diagnostic SPARK reports has a stable id listed here.
//!
//! Ids never change meaning once released. `SPK0xxx` are syntax, `SPK1xxx` Unity rules (modelled on
//! Microsoft.Unity.Analyzers; the `UNTxxxx` id of the analyzer with the same meaning is named),
//! `SPK2xxx` security rules for generated code.

use super::Severity;

pub(crate) mod animator;
pub(crate) mod api;
mod feature;
pub(crate) mod keywords;
pub(crate) mod nullsafety;
pub(crate) mod physics;
pub(crate) mod serializefield;
pub(crate) mod shaderprops;
pub(crate) mod tags;
pub(crate) mod transform;
pub(crate) mod trygetcomponent;
pub(crate) mod vectormath;
pub(crate) mod version;
mod version_later;

/// Which family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The file does not parse.
    Syntax,
    /// Unity conventions and runtime pitfalls.
    Unity,
    /// Code that must not ship without review.
    Security,
}

/// One rule of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id (`SPK1005`).
    pub id: &'static str,
    /// Default severity (overridable per rule in `validation.severity`).
    pub severity: Severity,
    /// Family.
    pub category: Category,
    /// The Microsoft.Unity.Analyzers rule with the same meaning, if any.
    pub unity_analyzer: Option<&'static str>,
    /// One-line meaning.
    pub title: &'static str,
}

const fn r(
    id: &'static str,
    severity: Severity,
    category: Category,
    unity_analyzer: Option<&'static str>,
    title: &'static str,
) -> Rule {
    Rule { id, severity, category, unity_analyzer, title }
}

use Category::{Security as Sec, Syntax as Syn, Unity as Uni};
use Severity::{Error as E, Warning as W};

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    r("SPK0001", E, Syn, None, "Syntax error: unexpected token"),
    r("SPK0002", E, Syn, None, "Syntax error: missing token"),
    r("SPK0003", E, Syn, None, "Unbalanced brace, bracket or parenthesis"),
    r("SPK0004", E, Syn, None, "Source is not valid UTF-8 text"),
    r("SPK1001", E, Uni, None, "MonoBehaviour/ScriptableObject class name differs from the file name"),
    r("SPK1002", E, Uni, None, "UnityEditor API used outside an Editor folder and outside #if UNITY_EDITOR"),
    r("SPK1003", E, Uni, None, "Top-level statements in a Unity script"),
    r("SPK1004", W, Uni, Some("UNT0001"), "Empty Unity message"),
    r("SPK1005", W, Uni, Some("UNT0002"), "Tag compared with == instead of CompareTag"),
    r("SPK1006", W, Uni, Some("UNT0003"), "Non-generic GetComponent(typeof(T))"),
    r("SPK1007", W, Uni, Some("UNT0004"), "Time.fixedDeltaTime used in Update"),
    r("SPK1008", E, Uni, Some("UNT0006"), "Unity message with a wrong signature"),
    r("SPK1009", W, Uni, Some("UNT0033"), "Unity message with the wrong letter case"),
    r("SPK1010", E, Uni, Some("UNT0010"), "MonoBehaviour created with new"),
    r("SPK1011", E, Uni, Some("UNT0011"), "ScriptableObject created with new"),
    r("SPK1012", E, Uni, Some("UNT0012"), "Coroutine called without StartCoroutine"),
    r("SPK1013", W, Uni, Some("UNT0016"), "Method name passed as a string to Invoke/StartCoroutine"),
    r("SPK1014", E, Uni, Some("UNT0020"), "[MenuItem] on a non-static method"),
    r(
        "SPK1015",
        E,
        Uni,
        Some("UNT0015"),
        "[(Runtime)InitializeOnLoadMethod] on a non-static or parameterized method",
    ),
    r("SPK1016", W, Uni, Some("UNT0025"), "Input.GetKey with a string key name"),
    r("SPK1017", E, Uni, Some("UNT0030"), "Destroy/DestroyImmediate called on a Transform"),
    r(
        "SPK1018",
        W,
        Uni,
        Some("UNT0038"),
        "WaitForSeconds with a literal delay, or a yield instruction allocated in a loop",
    ),
    r("SPK1019", W, Uni, None, "GetComponent/Find called every frame in Update/FixedUpdate/LateUpdate"),
    r("SPK1020", E, Uni, None, "C# feature newer than the target Unity version compiles"),
    r("SPK1021", E, Uni, None, "Unity API removed in (or not yet added to) the target Unity version"),
    r("SPK1022", W, Uni, None, "Unity API obsolete in the target Unity version"),
    r("SPK1023", W, Uni, Some("UNT0007"), "Null coalescing (??) on a Unity object"),
    r("SPK1024", W, Uni, Some("UNT0008"), "Null propagation (?.) on a Unity object"),
    r("SPK1025", W, Uni, Some("UNT0023"), "Coalescing assignment (??=) on a Unity object"),
    r(
        "SPK1026",
        W,
        Uni,
        Some("UNT0029"),
        "Pattern matching with null (is null, is not null) on a Unity object",
    ),
    r("SPK1027", E, Uni, None, "Type declared twice in one assembly (project validation)"),
    r("SPK1028", E, Uni, None, "Assembly definition (.asmdef) that is not valid JSON or not shaped like one"),
    r("SPK1029", W, Uni, Some("UNT0005"), "Time.deltaTime used in FixedUpdate"),
    r("SPK1030", W, Uni, Some("UNT0026"), "GetComponent followed by a null check instead of TryGetComponent"),
    r("SPK1031", W, Uni, Some("UNT0041"), "Animator state or parameter named by a string instead of a hash"),
    r("SPK1032", W, Uni, Some("UNT0013"), "[SerializeField] that Unity ignores or that is redundant"),
    r(
        "SPK1033",
        W,
        Uni,
        Some("UNT0022"),
        "Transform position and rotation set one after the other instead of SetPositionAndRotation",
    ),
    r(
        "SPK1034",
        W,
        Uni,
        Some("UNT0032"),
        "Transform localPosition and localRotation set one after the other instead of SetLocalPositionAndRotation",
    ),
    r("SPK1035", W, Uni, Some("UNT0024"), "Vector multiplied before the scalars of the same product"),
    r(
        "SPK1036",
        W,
        Uni,
        Some("UNT0028"),
        "Allocating physics query (RaycastAll, OverlapSphere…) every frame instead of a NonAlloc form",
    ),
    r(
        "SPK1037",
        W,
        Uni,
        None,
        "Material or shader property named by a string every frame instead of a cached Shader.PropertyToID",
    ),
    r("SPK2001", E, Sec, None, "Process execution"),
    r("SPK2002", E, Sec, None, "Unsafe deserialization (BinaryFormatter & co, TypeNameHandling)"),
    r("SPK2003", E, Sec, None, "Dynamic code loading (Assembly.Load*, CodeDom, Reflection.Emit)"),
    r("SPK2004", W, Sec, None, "Destructive file operation"),
    r("SPK2005", E, Sec, None, "File path built from method input"),
    r("SPK2006", E, Sec, None, "Network call to a plain http:// URL"),
    r("SPK2007", W, Sec, None, "Network call to a URL that is not a literal"),
    r("SPK2008", E, Sec, None, "TLS certificate validation bypassed"),
    r("SPK2009", E, Sec, None, "Hard-coded secret"),
    r("SPK2010", E, Sec, None, "Secret stored in PlayerPrefs"),
    r("SPK2011", E, Sec, None, "unsafe code"),
    r("SPK2012", W, Sec, None, "Native interop (DllImport / extern)"),
    r("SPK2013", W, Sec, None, "Raw memory access through Marshal"),
    r("SPK2014", E, Sec, None, "Broken cipher (DES, TripleDES, RC2, RC4, ECB mode)"),
    r("SPK2015", W, Sec, None, "Weak hash (MD5, SHA1)"),
    r("SPK2016", E, Sec, None, "Non-cryptographic random number generator used for a secret"),
    r("SPK2017", E, Sec, None, "XML parser allows external entities (XXE)"),
    r("SPK2018", W, Sec, None, "Regex without a match timeout"),
    r("SPK2019", W, Sec, None, "Hard-coded secret redacted from the output"),
    r("SPK2020", W, Sec, None, "HttpListener prefix that accepts every host name (wildcard)"),
    r(
        "SPK2021",
        E,
        Sec,
        None,
        "Private user file (home, SSH, credential store) read and sent off the machine",
    ),
    r("SPK2022", E, Sec, None, "Program registered to start at login (registry Run key, startup folder)"),
    r("SPK2023", E, Sec, None, "Environment.Exit / FailFast (kills the Unity Editor); use Application.Quit"),
    r("SPK2024", E, Sec, None, "Application.OpenURL on a file:// URL"),
    r("SPK2025", E, Sec, None, "Invisible or bidirectional control character in source (Trojan Source)"),
];

/// The rule with this id, or with this Microsoft.Unity.Analyzers id (`UNT0002`).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id || r.unity_analyzer == Some(id))
}

/// The rule table as a markdown table (id, severity, category, UNT id, meaning).
pub fn markdown_table() -> String {
    let mut s =
        String::from("| id | severity | category | Unity analyzer | meaning |\n|---|---|---|---|---|\n");
    for r in RULES {
        let cat = match r.category {
            Category::Syntax => "syntax",
            Category::Unity => "unity",
            Category::Security => "security",
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.id,
            r.severity,
            cat,
            r.unity_analyzer.unwrap_or("—"),
            r.title
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        for w in RULES.windows(2) {
            assert!(w[0].id < w[1].id, "{} !< {}", w[0].id, w[1].id);
        }
        assert_eq!(rule("UNT0002").map(|r| r.id), Some("SPK1005"));
        assert!(rule("SPK9999").is_none());
    }
}
