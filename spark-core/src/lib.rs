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
// SPARK runs inside other people's processes: it reports through `tracing`, never by printing.
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

// The layer stack, bottom up (a module imports only modules of lower layers; README "How a
// request flows" draws it): error, diagnostic, check, secret, cancel, observe, csharp →
// provider → resilience, cache → extract → validate → repair → export → pricing, prompt,
// result → guard → ledger → keys → pipeline → spark (the facade) ← config (read by the facade alone).
pub mod cache;
mod cancel;
mod check;
pub mod config;
mod csharp;
mod diagnostic;
pub mod error;
pub mod export;
pub mod extract;
pub mod guard;
pub mod keys;
pub mod ledger;
pub mod observe;
mod pipeline;
mod pricing;
mod prompt;
pub mod provider;
pub mod redis;
pub mod repair;
pub mod resilience;
mod result;
pub mod secret;
mod spark;
mod usage;
pub mod validate;

pub use cache::{CacheStats, CacheStore};
pub use cancel::CancelToken;
pub use config::SparkConfig;
pub use diagnostic::{Diagnostic, Severity};
pub use error::{Error, ErrorCode, ProviderError, ProviderErrorKind, Result, TimeoutStage};
pub use export::ExportFormat;
pub use extract::ScriptFile;
pub use guard::{
    Guard, GuardAction, GuardInput, OutputConfig, OutputGuard, Rewrite, ScreenConfig, ScreenGuard,
    TierConfig, Verdict,
};
pub use keys::{CallerKey, CreatedKey, KeyInfo, KeyManager, KeySpec, KeyStore, MemoryKeyStore};
#[cfg(feature = "postgres")]
pub use ledger::PgStore;
pub use ledger::{Period, SqliteStore, UsageQuery, UsageRecord, UsageStore, UsageTotals};
pub use observe::{Event, Observer, Stage};
pub use pipeline::MAX_REQUEST_ID_BYTES;
pub use pricing::{ModelPrice, cost_for, cost_of, price_for, price_of};
pub use prompt::{GenerationConfig, SYSTEM_PROMPT, user_message};
pub use provider::{Anthropic, Offline, OpenAi, Provider};
pub use repair::RepairRound;
pub use result::Blocked;
pub use result::{ANONYMOUS_CALLER, GenerateRequest, GeneratedScripts, StreamEvent};
pub use secret::ApiKey;
pub use spark::{Layer, Spark, SparkBuilder, providers_from_config, validate_project_with, validate_with};
pub use validate::ProjectFile;

/// SPARK's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
