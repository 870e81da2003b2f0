//! Turns the chosen mechanics into files: names, placeholders, headers, the note on what is
//! not covered, and the generic placeholder when nothing matched.

use super::compose;
use super::matcher::{self, normalize};
use super::naming::{self, class_name_for};
use super::params::Params;
use super::templates::{Body, Feature, Mechanic};
use super::{Scaffold, ScaffoldFile, TypeKind};

/// Request words that never carry a mechanic, left out of the "not covered" note.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "that",
    "which",
    "who",
    "with",
    "when",
    "where",
    "and",
    "or",
    "to",
    "for",
    "of",
    "in",
    "on",
    "at",
    "by",
    "is",
    "are",
    "be",
    "it",
    "its",
    "it's",
    "this",
    "can",
    "i",
    "me",
    "my",
    "we",
    "you",
    "your",
    "please",
    "make",
    "create",
    "write",
    "build",
    "need",
    "want",
    "script",
    "unity",
    "simple",
    "basic",
    "some",
    "from",
    "into",
    "onto",
    "up",
    "down",
    "out",
    "as",
    "so",
    "if",
    "then",
    "than",
    "also",
    "each",
    "every",
    "all",
    "any",
    "one",
    "two",
    "three",
    "player",
    "players",
    "object",
    "objects",
    "game",
    "using",
    "use",
    "uses",
    "has",
    "have",
    "gets",
    "get",
    "while",
    "between",
    "after",
    "before",
    "over",
    "under",
    "near",
    "like",
    "c",
    "csharp",
    "class",
    "component",
    "system",
    "seconds",
    "second",
    "s",
    "new",
    "plays",
    "play",
    "shows",
    "show",
    "when",
    "will",
    "should",
    "just",
    "only",
    "them",
    "they",
    "their",
    // Verbs and fillers that describe, not name, a feature ("goes back and forth").
    "go",
    "goes",
    "going",
    "does",
    "do",
    "back",
    "forth",
    "around",
    "there",
    "here",
    "way",
    "thing",
    "things",
    "something",
    "lets",
    "let",
    "allows",
    "able",
    "works",
    "work",
    "keeps",
    "keep",
    "stays",
    "stay",
    "again",
];

/// Most words named in the note: past that, the request is not a gameplay description.
const MAX_MISSING_WORDS: usize = 8;

pub(super) fn build(prompt: &str) -> Scaffold {
    let norm = normalize(prompt);
    let subject = normalize(&naming::subject_words(prompt).join(" "));
    let params = Params::read(&norm, prompt);
    let mut chosen = matcher::select(&norm, &subject);
    if chosen.first().is_some_and(|m| m.kind == TypeKind::CustomEditor) {
        chosen = inspector_and_target(&norm, prompt, chosen);
    }
    let mut missing = Vec::new();
    if chosen.is_empty()
        && let Some(closest) = matcher::closest(&norm)
    {
        missing.push(format!("only a weak match: `{}` is the closest template", closest.id));
        chosen.push(closest);
    }
    let names = class_names(prompt, &subject, &chosen);
    if let Some(i) = chosen.iter().position(|m| m.kind == TypeKind::CustomEditor) {
        let target = inspector_target(prompt, &chosen, &names);
        if !names.iter().enumerate().any(|(k, n)| k != i && *n == target) {
            missing.push(format!("the inspected component `{target}` is not part of this reply"));
        }
    }
    let uncovered = uncovered_words(&norm, &chosen, &names);
    if !uncovered.is_empty() {
        missing.push(format!("words no template used: {}", uncovered.join(", ")));
    }
    if chosen.is_empty() {
        let class_name = class_name_for(prompt);
        let source = header(prompt, "no template", &missing) + &placeholder(&class_name);
        let file = ScaffoldFile {
            path: format!("{class_name}.cs"),
            class_name,
            kind: TypeKind::MonoBehaviour,
            source,
        };
        return Scaffold { files: vec![file], mechanics: Vec::new(), missing };
    }

    let features: Vec<Feature> =
        chosen.iter().filter_map(|m| if let Body::Feature(f) = m.body { Some(f) } else { None }).collect();
    let mut files = Vec::new();
    let mut composed_done = false;
    for (m, name) in chosen.iter().zip(&names) {
        let source = match m.body {
            Body::Feature(_) if composed_done => continue,
            Body::Feature(_) => {
                composed_done = true;
                let ids: Vec<&str> =
                    chosen.iter().filter(|c| matches!(c.body, Body::Feature(_))).map(|c| c.id).collect();
                let counter =
                    chosen.iter().zip(&names).find(|(c, _)| c.id == "hud_counter").map(|(_, n)| n.as_str());
                header(prompt, &ids.join(" + "), &missing)
                    + &compose::compose(name, &features, &params, prompt, counter)
            }
            Body::Template(t) => {
                let target = inspector_target(prompt, &chosen, &names);
                header(prompt, m.id, &missing) + &fill(t, name, &params, &chosen, &names, &target)
            }
        };
        let path = if m.kind.is_editor() { format!("Editor/{name}.cs") } else { format!("{name}.cs") };
        files.push(ScaffoldFile { path, class_name: name.clone(), kind: m.kind, source });
    }
    Scaffold { files, mechanics: chosen.iter().map(|m| m.id).collect(), missing }
}

/// An inspector comes with the component it edits when that is a mechanic the request names
/// after "for" ("a custom inspector for the spawner"), and alone when the component is the
/// user's own ("for my Turret script"): other cues in the request describe the target, they do
/// not ask for more scripts.
fn inspector_and_target(
    norm: &str,
    prompt: &str,
    mut chosen: Vec<&'static Mechanic>,
) -> Vec<&'static Mechanic> {
    let object = normalize(&naming::object_words(prompt).join(" "));
    let theirs = [" my ", " our ", " existing "].iter().any(|w| norm.contains(w));
    chosen.retain(|m| {
        m.kind == TypeKind::CustomEditor || (!theirs && matcher::score(&object, m) >= matcher::THRESHOLD)
    });
    matcher::with_requirements(chosen)
}

/// One class name per chosen mechanic (composed features share one), unique in the reply. The
/// first mechanic is the request's subject and takes its name from the request.
fn class_names(prompt: &str, subject: &str, chosen: &[&'static Mechanic]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(chosen.len());
    let mut feature_name: Option<String> = None;
    for (i, m) in chosen.iter().enumerate() {
        let name = match m.body {
            Body::Feature(_) => feature_name
                .get_or_insert_with(|| {
                    if i == 0 && !naming::starts_with_verb(prompt) {
                        class_name_for(prompt)
                    } else {
                        m.name.to_string()
                    }
                })
                .clone(),
            // Named once every other file is: it is named after the one it edits.
            Body::Template(_) if m.kind == TypeKind::CustomEditor => {
                names.push(String::new());
                continue;
            }
            // The request's subject names the file only when it is what the mechanic is about:
            // "a music player" is an audio manager, not a `Player`.
            Body::Template(_) if i == 0 && matcher::score(subject, m) > 0 => {
                let suffix = match m.kind {
                    TypeKind::EditorWindow => "Window",
                    TypeKind::EditorMenu => "MenuItems",
                    _ => "",
                };
                naming::template_name(prompt, m.name, suffix, m.kind)
            }
            Body::Template(_) => m.name.to_string(),
        };
        let mut unique = name.clone();
        let mut n = 2;
        while names.iter().zip(chosen).any(|(o, c)| *o == unique && !same_file(c, m)) {
            unique = format!("{name}{n}");
            n += 1;
        }
        names.push(unique);
    }
    for i in 0..chosen.len() {
        if names[i].is_empty() {
            let target = inspector_target(prompt, chosen, &names);
            names[i] = format!("{target}Editor");
        }
    }
    names
}

fn same_file(a: &Mechanic, b: &Mechanic) -> bool {
    matches!((a.body, b.body), (Body::Feature(_), Body::Feature(_)))
}

/// The component a custom inspector edits: another mechanic of the reply, else the thing the
/// request names ("for the Turret"), else a placeholder the note names.
fn inspector_target(prompt: &str, chosen: &[&'static Mechanic], names: &[String]) -> String {
    if let Some((_, name)) = chosen.iter().zip(names).find(|(m, n)| {
        !n.is_empty() && matches!(m.kind, TypeKind::MonoBehaviour | TypeKind::ScriptableObject)
    }) {
        return name.clone();
    }
    naming::pascal(&naming::object_words(prompt)).unwrap_or_else(|| "MyComponent".to_string())
}

/// Fills a template's placeholders (see `templates`). Unknown placeholders are kept as written,
/// which the table test and the compile test catch.
fn fill(
    template: &str,
    name: &str,
    params: &Params,
    chosen: &[&'static Mechanic],
    names: &[String],
    target: &str,
) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let token = &after[..close];
        rest = &after[close + 2..];
        let mut parts = token.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("NAME"), None, None) => out.push_str(name),
            (Some("TARGET"), None, None) => out.push_str(target),
            (Some("P"), Some(key), Some(default)) => out.push_str(&number(params.number(key), default)),
            (Some("K"), Some(key), Some(default)) => out.push_str(params.word(key).unwrap_or(default)),
            (Some("T"), Some(key), Some(default)) => out.push_str(params.word(key).unwrap_or(default)),
            (Some("R"), Some(id), None) => {
                let found = chosen.iter().zip(names).find(|(m, _)| m.id == id).map(|(_, n)| n.as_str());
                out.push_str(found.unwrap_or(id));
            }
            _ => {
                out.push_str("{{");
                out.push_str(token);
                out.push_str("}}");
            }
        }
    }
    out.push_str(rest);
    out
}

/// A number in the template's notation: `2f` is a float default, `2` an int.
fn number(value: Option<f64>, default: &str) -> String {
    let Some(v) = value else { return default.to_string() };
    if default.ends_with('f') {
        if v.fract() == 0.0 { format!("{v:.0}f") } else { format!("{v}f") }
    } else {
        format!("{:.0}", v.round())
    }
}

/// The comment every file starts with: offline, which mechanics, the request, what is missing.
fn header(prompt: &str, mechanics: &str, missing: &[String]) -> String {
    let mut s = format!(
        "// Generated by SPARK's offline scaffold (no model was called): {mechanics}.\n// Request: {}\n",
        comment_text(prompt, 120)
    );
    for m in missing {
        s.push_str(&format!("// Not covered offline ({}); add it by hand.\n", comment_text(m, 200)));
    }
    s.push('\n');
    s
}

/// Text safe inside a `//` comment: one line, no control or invisible formatting characters.
fn comment_text(text: &str, max_chars: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() || is_invisible(c) { ' ' } else { c })
        .take(max_chars)
        .collect();
    clean.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{061C}')
}

/// Request words that no chosen mechanic's cue covers, that name no class, and that are not
/// filler or parameters.
fn uncovered_words(norm: &str, chosen: &[&'static Mechanic], names: &[String]) -> Vec<String> {
    let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let mut out: Vec<String> = Vec::new();
    for w in norm.split(' ').filter(|w| w.len() > 2) {
        if STOP_WORDS.contains(&w)
            || w.chars().all(|c| c.is_ascii_digit() || c == '.')
            || out.iter().any(|o| o == w)
        {
            continue;
        }
        let covered = chosen.iter().any(|m| {
            m.cues
                .iter()
                .any(|(cue, weight)| *weight > 0 && cue.split(' ').any(|c| !c.is_empty() && w.starts_with(c)))
        });
        // Words that name a class are used even when no cue mentions them.
        let names_class = names.iter().any(|n| n.contains(w));
        if !covered && !names_class {
            out.push(w.to_string());
            if out.len() == MAX_MISSING_WORDS {
                break;
            }
        }
    }
    out
}

/// The generic MonoBehaviour when no template fits: it says so where a developer will look.
fn placeholder(class_name: &str) -> String {
    format!(
        "using UnityEngine;\n\n\
         /// <summary>\n\
         /// Placeholder: SPARK's offline templates have no mechanic for this request. Configure an\n\
         /// API key for a model-written script, or add the behaviour here.\n\
         /// </summary>\n\
         public class {class_name} : MonoBehaviour\n{{\n    \
         [SerializeField] private bool logLifecycle = true;\n\n    \
         private void Start()\n    {{\n        if (logLifecycle)\n        {{\n            \
         Debug.Log($\"{{name}} started: this script is an offline placeholder\", this);\n        }}\n    }}\n}}\n"
    )
}
