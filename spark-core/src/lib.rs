//! # SPARK
//!
//! Turns a request ("a third-person controller with double jump") into validated, Unity-ready C#
//! scripts: it asks a model (Claude, OpenAI or any OpenAI-compatible server, or the embedded
//! offline scaffold), extracts the code, validates it with tree-sitter-c-sharp (syntax, Unity
//! rules, security), feeds blocking diagnostics back for repair, and exports archives Unity
//! imports.
//!
//! ```no_run
//! # async fn demo() -> spark_core::Result<()> {
//! use spark_core::{ExportFormat, GenerateRequest, Spark, SparkConfig};
//! let spark = Spark::builder().config(SparkConfig::from_env()?).build()?;
//! let out = spark.generate(GenerateRequest::new("a rotating pickup that plays a sound").caller("alice")).await?;
//! for d in &out.diagnostics {
//!     eprintln!("{d}");
//! }
//! std::fs::write("Pickup.zip", out.export(ExportFormat::Zip)?)?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod cache;
pub mod cancel;
pub mod config;
mod csharp;
pub mod error;
pub mod export;
pub mod extract;
pub mod guard;
pub mod provider;
pub mod repair;
pub mod resilience;
pub mod secret;
mod spark;
pub mod validate;

pub use config::SparkConfig;
pub use error::{Error, ErrorCode, ProviderError, ProviderErrorKind, Result};
pub use export::ExportFormat;
pub use extract::ScriptFile;
pub use provider::{Anthropic, Offline, OpenAi, Provider};
pub use secret::ApiKey;
pub use spark::{
    ANONYMOUS_CALLER, GenerateRequest, GeneratedScripts, SYSTEM_PROMPT, Spark, SparkBuilder, StreamEvent,
    providers_from_config, validate_with,
};
pub use validate::{Diagnostic, Severity};

/// SPARK's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
