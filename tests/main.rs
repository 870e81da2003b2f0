//! Integration tests of spark-core, built as one binary (faster to link than one per file).
//! Each area adds its module here.

mod common;
mod docs;
mod export;
mod offline_compile;
mod pipeline;
mod validate_rules;
mod validate_syntax;
mod validate_valid;
mod repair;
mod resilience;
mod cache;
mod faults;
mod providers_anthropic;
mod providers_openai;
mod sse;
