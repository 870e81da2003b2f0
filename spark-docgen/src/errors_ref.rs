//! docs/errors.md: the error codes every language shares, from `ErrorCode` itself, with the name
//! each binding gives them (read from the bindings' own tables, so a missing mapping fails).

use std::collections::BTreeMap;
use std::path::Path;

use spark_core::ErrorCode;
use syn::Expr;

use crate::source::{self, Index, Item};
use crate::{banner, cell};

/// The whole page.
pub fn errors_md(root: &Path) -> String {
    let error_rs = root.join("spark-core/src/error.rs");
    let index = Index::load(&[root.join("spark-core/src")]);
    let Some(Item::Enum(codes)) = index.resolve("ErrorCode", &error_rs).map(|d| &d.item) else {
        panic!("ErrorCode enum not found in {}", error_rs.display());
    };
    let docs: BTreeMap<String, String> =
        codes.variants.iter().map(|v| (v.ident.to_string(), source::doc(&v.attrs))).collect();
    let python = python_classes(&root.join("spark-py/src/error.rs"));
    let csharp =
        std::fs::read_to_string(root.join("spark-ffi/csharp/SparkException.cs")).expect("SparkException.cs");

    let mut out = banner("Error codes");
    out.push_str(
        "One error model for every language. Each failure carries a stable snake_case **code** and its \
         stable **number**; neither changes meaning once released. Rust: `err.code()` \
         (`spark_core::ErrorCode`); Python: the exception class below (every one derives from \
         `spark.SparkError`, with `.code` and `.code_number`); Node: `err.code` and `err.codeNumber`; \
         C: `spark_error_code()` against the `SPARK_ERROR_*` macros of `spark.h`; C#: \
         `SparkException.Code` and `.ErrorCode` (`SparkErrorCode`); HTTP (spark-server): an RFC 9457 \
         problem whose `code` is the same name, with the status below.\n\n\
         Whether a call is worth retrying is decided per error, not per code (`is_retryable()` in \
         Rust, `retryable` in the bindings): a provider's 5xx is, a 400 is not.\n\n",
    );
    out.push_str(
        "| # | code | meaning | Python | C | C# `SparkErrorCode` | HTTP |\n|---|---|---|---|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        let variant = format!("{code:?}");
        let doc = docs.get(&variant).unwrap_or_else(|| panic!("no doc for ErrorCode::{variant}"));
        let py = python.get(&variant).map(String::as_str).unwrap_or("SparkError");
        let c = format!("SPARK_ERROR_{}", code.as_str().to_uppercase());
        let cs_decl = format!("{variant} = {},", code.as_u32());
        assert!(csharp.contains(&cs_decl), "SparkErrorCode lacks `{cs_decl}`");
        let status = spark_server::problem::status_of(*code);
        out.push_str(&format!(
            "| {} | `{}` | {} | `{py}` | `{c}` | `{variant}` | {} |\n",
            code.as_u32(),
            code.as_str(),
            cell(doc),
            status.as_u16()
        ));
    }
    out
}

/// Which Python exception class is raised for each `ErrorCode` variant, from spark-py's
/// `CLASSES` table.
fn python_classes(file: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let parsed = syn::parse_file(&text).expect("spark-py/src/error.rs parses");
    let mut map = BTreeMap::new();
    for item in parsed.items {
        let syn::Item::Const(c) = item else { continue };
        if c.ident != "CLASSES" {
            continue;
        }
        let Expr::Reference(r) = &*c.expr else { continue };
        let Expr::Array(classes) = &*r.expr else { continue };
        for class in &classes.elems {
            let Expr::Struct(s) = class else { continue };
            let mut name = None;
            let mut codes = Vec::new();
            for f in &s.fields {
                let syn::Member::Named(m) = &f.member else { continue };
                match (m.to_string().as_str(), &f.expr) {
                    ("name", Expr::Lit(l)) => {
                        if let syn::Lit::Str(v) = &l.lit {
                            name = Some(v.value());
                        }
                    }
                    ("codes", Expr::Reference(r)) => {
                        if let Expr::Array(a) = &*r.expr {
                            for e in &a.elems {
                                if let Expr::Path(p) = e
                                    && let Some(seg) = p.path.segments.last()
                                {
                                    codes.push(seg.ident.to_string());
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            if let Some(name) = name {
                for code in codes {
                    map.insert(code, name.clone());
                }
            }
        }
    }
    assert!(!map.is_empty(), "no exception classes found in {}", file.display());
    map
}
