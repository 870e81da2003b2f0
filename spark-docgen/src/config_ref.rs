//! docs/configuration.md: every section and field of `SparkConfig` and of spark-server's
//! `[server]`, with its type, default and doc comment.

use std::path::Path;

use serde_json::Value;

use crate::source::{self, Def, Index, Item};
use crate::{banner, cell};

/// One table to print: its TOML path, the doc of the field that holds it, its struct, and the
/// serialized default (`None` for entries of a map, which have no default).
struct Section<'a> {
    path: String,
    doc: String,
    def: &'a Def,
    default: Option<Value>,
    /// Whether `SPARK_SECTION__FIELD` reaches the fields (top-level library sections only).
    env: bool,
}

/// The whole page.
pub fn configuration_md(root: &Path) -> String {
    let index = Index::load(&[root.join("spark-core/src"), root.join("spark-server/src")]);
    let mut out = banner("Configuration reference");
    out.push_str(
        "Every setting of the library (`SparkConfig`: a TOML file for `SparkConfig::load`, JSON for the \
         bindings, `SPARK_*` environment variables) and of spark-server (the same file plus a `[server]` \
         table). Defaults are those of `SparkConfig::default()` / `ServerConfig::default()`: safe for \
         production. An unknown key is an error that names it.\n\n\
         Environment overrides use a double underscore between section and field \
         (`SPARK_CACHE__ENABLED=false`, `SPARK_PROVIDERS__ORDER=openai,offline`); values are read as \
         TOML and fall back to plain strings. spark-server also reads `NAME_FILE` for secrets \
         (`ANTHROPIC_API_KEY_FILE`, `SPARK_SECTION__FIELD_FILE`), `SPARK_SERVER_PROFILE` and \
         `SPARK_SERVER_LISTEN`.\n\n",
    );

    let core = find(&index, "SparkConfig", &root.join("spark-core/src/config.rs"));
    let core_default =
        serde_json::to_value(spark_core::SparkConfig::default()).expect("SparkConfig serializes");
    out.push_str("## Library: `SparkConfig`\n\n");
    out.push_str(&format!("{}\n\n", source::doc(&struct_of(core).attrs)));
    emit(
        &index,
        Section {
            path: String::new(),
            doc: String::new(),
            def: core,
            default: Some(core_default),
            env: true,
        },
        &mut out,
    );

    let server = find(&index, "ServerConfig", &root.join("spark-server/src/config.rs"));
    let server_default =
        serde_json::to_value(spark_server::config::ServerConfig::default()).expect("ServerConfig serializes");
    out.push_str("## Server: `[server]` (spark-server only)\n\n");
    emit(
        &index,
        Section {
            path: "server".into(),
            doc: source::doc(&struct_of(server).attrs),
            def: server,
            default: Some(server_default),
            env: false,
        },
        &mut out,
    );
    out
}

fn find<'a>(index: &'a Index, name: &str, file: &Path) -> &'a Def {
    index.resolve(name, file).unwrap_or_else(|| panic!("`{name}` not found from {}", file.display()))
}

fn struct_of(def: &Def) -> &syn::ItemStruct {
    match &def.item {
        Item::Struct(s) => s,
        Item::Enum(e) => panic!("`{}` is an enum, expected a struct", e.ident),
    }
}

/// A struct with named fields that the index knows, behind `T`, `Option<T>` or `Box<T>`.
fn nested<'a>(index: &'a Index, ty: &syn::Type, from: &Path) -> Option<&'a Def> {
    let (name, args) = source::head(ty)?;
    if matches!(name.as_str(), "Option" | "Box") {
        return nested(index, args.first()?, from);
    }
    let def = index.resolve(&name, from)?;
    match &def.item {
        Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => Some(def),
        _ => None,
    }
}

/// The value type of a `BTreeMap`/`HashMap` whose values are configuration structs.
fn map_of<'a>(index: &'a Index, ty: &syn::Type, from: &Path) -> Option<&'a Def> {
    let (name, args) = source::head(ty)?;
    if !matches!(name.as_str(), "BTreeMap" | "HashMap" | "IndexMap") {
        return None;
    }
    nested(index, args.get(1)?, from)
}

/// The type column: the type as written, plus the accepted words of an enum.
fn type_cell(index: &Index, ty: &syn::Type, from: &Path) -> String {
    let text = format!("`{}`", source::type_text(ty));
    let mut t = ty;
    while let Some((name, args)) = source::head(t) {
        if matches!(name.as_str(), "Option" | "Vec") && !args.is_empty() {
            t = args[0];
            continue;
        }
        if let Some(Def { item: Item::Enum(e), .. }) = index.resolve(&name, from) {
            let rule = source::serde_str(&e.attrs, "rename_all");
            let words: Vec<String> = e
                .variants
                .iter()
                .filter(|v| !source::serde_flag(&v.attrs, "skip"))
                .map(|v| {
                    let n = source::serde_str(&v.attrs, "rename")
                        .unwrap_or_else(|| source::rename(&v.ident.to_string(), rule.as_deref()));
                    format!("`{n}`")
                })
                .collect();
            return format!("{text}: {}", words.join(", "));
        }
        break;
    }
    text
}

fn default_cell(value: Option<&Value>, in_default: bool) -> String {
    match value {
        // Skipped when serialized (`skip_serializing_if`): an unset option.
        None if in_default => "unset".into(),
        None => "—".into(),
        Some(Value::Null) => "unset".into(),
        Some(v) => format!("`{}`", cell(&shortest(v).to_string())),
    }
}

/// Numbers that came from an `f32` printed as the `f32` (`0.2`, not `0.20000000298023224`).
fn shortest(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or_default();
            let narrow = x as f32;
            if f64::from(narrow) == x {
                narrow
                    .to_string()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(v.clone(), Value::Number)
            } else {
                v.clone()
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(shortest).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), shortest(x))).collect()),
        _ => v.clone(),
    }
}

fn emit(index: &Index, section: Section<'_>, out: &mut String) {
    let s = struct_of(section.def);
    let rule = source::serde_str(&s.attrs, "rename_all");
    let syn::Fields::Named(fields) = &s.fields else { return };
    let mut rows = Vec::new();
    let mut subs = Vec::new();
    for field in &fields.named {
        if source::serde_flag(&field.attrs, "skip") {
            continue;
        }
        let ident = field.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
        let key = source::serde_str(&field.attrs, "rename")
            .unwrap_or_else(|| source::rename(ident.trim_start_matches("r#"), rule.as_deref()));
        let doc = source::doc(&field.attrs);
        let default = section.default.as_ref().and_then(|d| d.get(&key)).cloned();
        let path = if section.path.is_empty() { key.clone() } else { format!("{}.{key}", section.path) };
        let top = section.path.is_empty();
        if let Some(def) = nested(index, &field.ty, &section.def.file) {
            let default = default.filter(|d| !d.is_null());
            subs.push(Section { path, doc, def, default, env: top && section.env });
        } else if let Some(def) = map_of(index, &field.ty, &section.def.file) {
            let sub = Section { path: format!("{path}.NAME"), doc, def, default: None, env: false };
            subs.push(sub);
        } else {
            let env = if section.env && !top && !section.path.contains('.') {
                format!("`SPARK_{}__{}`", section.path.to_uppercase(), key.to_uppercase())
            } else {
                "—".into()
            };
            rows.push(format!(
                "| `{key}` | {} | {} | {env} | {} |\n",
                cell(&type_cell(index, &field.ty, &section.def.file)),
                default_cell(default.as_ref(), section.default.is_some()),
                cell(&doc)
            ));
        }
    }
    if !rows.is_empty() || !section.path.is_empty() {
        out.push_str(&format!("### `[{}]`\n\n", section.path));
        if !section.doc.is_empty() {
            out.push_str(&format!("{}\n\n", section.doc));
        }
        let own = source::doc(&s.attrs);
        if !own.is_empty() && own != section.doc {
            out.push_str(&format!("{own}\n\n"));
        }
        if !rows.is_empty() {
            out.push_str("| key | type | default | environment | meaning |\n|---|---|---|---|---|\n");
            rows.iter().for_each(|r| out.push_str(r));
            out.push('\n');
        }
    }
    for sub in subs {
        emit(index, sub, out);
    }
}
