//! Integration tests of spark-core, built as one binary (faster to link than one per file).
//! Each area adds its module here.

mod cache;
mod common;
mod docs;
mod export;
mod faults;
mod fuzz_regressions;
mod hostile;
mod hostile_extract;
mod ledger;
mod offline_compile;
mod offline_corpus;
mod pipeline;
mod providers_anthropic;
mod providers_openai;
mod repair;
mod resilience;
mod screen;
mod seams;
mod signing;
mod sse;
mod trace_export;
mod trace_spans;
mod validate_accuracy;
mod validate_api;
mod validate_corpus;
mod validate_nullsafety;
mod validate_preproc;
mod validate_realworld;
mod validate_rules;
mod validate_syntax;
mod validate_valid;
mod validate_version;
