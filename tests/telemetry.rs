//! The optional telemetry features' tests (`--features otel,sentry`): OTLP export and Sentry
//! reports to loopback receivers, beside the span tests they share helpers with.
//!
//! A test target of its own, so the feature build compiles these two files and not the whole
//! integration suite a second time, and run one test at a time (`-- --test-threads=1`, as
//! `scripts/test.sh` does): each test installs its own thread-local subscriber, and tracing's
//! per-callsite interest cache is shared by the process, so two such tests side by side can
//! leave a callsite disabled for the other and its spans uncaptured.

// Shared with the integration suite (it allows what this target leaves unused).
mod common;
mod trace_export;
mod trace_spans;
