//! Parsed Rust sources: structs and enums by name, with their doc comments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use syn::{Attribute, Expr, Lit, Meta};

/// One type definition and where it was found.
pub struct Def {
    pub file: PathBuf,
    pub item: Item,
}

pub enum Item {
    Struct(syn::ItemStruct),
    Enum(syn::ItemEnum),
}

/// Every struct and enum of the given source folders, by name (several when names repeat).
#[derive(Default)]
pub struct Index {
    defs: BTreeMap<String, Vec<Def>>,
}

impl Index {
    pub fn load(dirs: &[PathBuf]) -> Index {
        let mut index = Index::default();
        for dir in dirs {
            let mut files = Vec::new();
            collect_rs(dir, &mut files);
            files.sort();
            for file in files {
                index.add_file(&file);
            }
        }
        index
    }

    fn add_file(&mut self, file: &Path) {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut stack: Vec<&[syn::Item]> = vec![&parsed.items];
        while let Some(items) = stack.pop() {
            for item in items {
                let (name, def) = match item {
                    syn::Item::Struct(s) => (s.ident.to_string(), Item::Struct(s.clone())),
                    syn::Item::Enum(e) => (e.ident.to_string(), Item::Enum(e.clone())),
                    syn::Item::Mod(m) => {
                        // Test modules define look-alike types that are not the configuration.
                        if !m.attrs.iter().any(|a| a.path().is_ident("cfg"))
                            && let Some((_, inner)) = &m.content
                        {
                            stack.push(inner);
                        }
                        continue;
                    }
                    _ => continue,
                };
                self.defs.entry(name).or_default().push(Def { file: file.to_path_buf(), item: def });
            }
        }
    }

    /// The definition of `name` as seen from `from`: the one in the same file, else the only one
    /// in the same crate (the folder holding `src/`). Panics on an ambiguity, so a new
    /// same-named type shows up as a failing test rather than a wrong page.
    pub fn resolve(&self, name: &str, from: &Path) -> Option<&Def> {
        let defs = self.defs.get(name)?;
        if let Some(d) = defs.iter().find(|d| d.file == from) {
            return Some(d);
        }
        let krate = crate_of(from);
        let same: Vec<&Def> = defs.iter().filter(|d| crate_of(&d.file) == krate).collect();
        match same.as_slice() {
            [one] => Some(one),
            [] if defs.len() == 1 => Some(&defs[0]),
            [] => None,
            _ => panic!("`{name}` is defined several times in {}; cannot tell which", krate.display()),
        }
    }
}

fn crate_of(file: &Path) -> PathBuf {
    let mut p = file;
    while let Some(parent) = p.parent() {
        if parent.file_name().is_some_and(|n| n == "src") {
            return parent.to_path_buf();
        }
        p = parent;
    }
    file.to_path_buf()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `///` doc comment, lines joined with spaces.
pub fn doc(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(lit) = &nv.value
            && let Lit::Str(s) = &lit.lit
        {
            lines.push(s.value().trim().to_string());
        }
    }
    lines.join(" ").trim().to_string()
}

/// The value of `#[serde(KEY = "...")]`, if any.
pub fn serde_str(attrs: &[Attribute], key: &str) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) {
                let s: syn::LitStr = meta.value()?.parse()?;
                found = Some(s.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// Whether `#[serde(FLAG)]` (a bare word such as `skip`) is present.
pub fn serde_flag(attrs: &[Attribute], flag: &str) -> bool {
    let mut found = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(flag) && !meta.input.peek(syn::Token![=]) {
                found = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|_| Ok(()));
            }
            Ok(())
        });
    }
    found
}

/// A type as written, with the spaces `to_token_stream` puts around punctuation removed.
pub fn type_text(ty: &syn::Type) -> String {
    let raw = quote_type(ty);
    let mut s = raw.replace(" < ", "<").replace(" <", "<").replace("< ", "<");
    s = s.replace(" >", ">").replace(" , ", ", ").replace(" :: ", "::").replace(":: ", "::");
    s.replace("& ", "&").replace("[ ", "[").replace(" ]", "]").replace(" ;", ";")
}

fn quote_type(ty: &syn::Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream().to_string()
}

/// The last path segment's name and its generic type arguments (`BTreeMap<String, T>` →
/// `("BTreeMap", [String, T])`).
pub fn head(ty: &syn::Type) -> Option<(String, Vec<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| if let syn::GenericArgument::Type(t) = g { Some(t) } else { None })
            .collect(),
        _ => Vec::new(),
    };
    Some((seg.ident.to_string(), args))
}

/// A variant or field name renamed the way `#[serde(rename_all = ...)]` does.
pub fn rename(name: &str, rule: Option<&str>) -> String {
    let snake = || {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        }
        out
    };
    match rule {
        Some("lowercase") => name.to_lowercase(),
        Some("UPPERCASE") => name.to_uppercase(),
        Some("snake_case") => snake(),
        Some("kebab-case") => snake().replace('_', "-"),
        Some("SCREAMING_SNAKE_CASE") => snake().to_uppercase(),
        _ => name.to_string(),
    }
}
