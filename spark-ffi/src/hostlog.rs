//! Routes spark-core's `tracing` events to the host language's logging (Python `logging`, a
//! Node callback, a C callback), filtered by `SPARK_LOG` in env-filter syntax (default `warn`).
//!
//! Shared by the three bindings: spark-py and spark-node include this file with `#[path]`, so
//! the filter syntax, the level numbers and the message format cannot drift between languages.
//! Each binding is its own shared library with its own copy of `tracing`'s globals, so the
//! subscriber installed here never replaces a host's own Rust subscriber; when one is already
//! installed (a Rust host linking spark-ffi as an rlib), [`install`] reports it and changes
//! nothing.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::OnceLock;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;
use tracing_subscriber::{EnvFilter, reload};

/// The filter used when `SPARK_LOG` is unset or empty.
pub const DEFAULT_FILTER: &str = "warn";

/// One event on its way to the host. Levels are numbered like the C macros `SPARK_LOG_*`:
/// 1 error, 2 warn, 3 info, 4 debug, 5 trace.
pub struct Record<'a> {
    /// 1 (error) to 5 (trace).
    pub level: u32,
    /// The module that emitted the event (`spark_core::resilience::router`).
    pub target: &'a str,
    /// The event's message followed by its fields as ` key=value`.
    pub message: &'a str,
}

/// Where records go; set once by the binding that installs the subscriber.
type Sink = fn(&Record<'_>);

static SINK: OnceLock<Sink> = OnceLock::new();
static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

thread_local! {
    /// Set while a record is with the host: an event the host's handler causes (a handler that
    /// calls into SPARK) is dropped instead of recursing.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// The level number of a `tracing` level (see [`Record::level`]).
pub fn level_number(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Parses a filter in env-filter syntax (`warn`, `spark_core=debug,info`).
fn parse(spec: &str) -> Result<EnvFilter, String> {
    let spec = if spec.trim().is_empty() { DEFAULT_FILTER } else { spec };
    EnvFilter::builder().parse(spec).map_err(|e| format!("invalid log filter `{spec}`: {e}"))
}

/// Installs the subscriber that sends every event passing the filter to `sink`. The filter comes
/// from `SPARK_LOG` (an invalid value falls back to `warn`, and says so through `sink`). Calling it
/// again does nothing. `Err` when another global subscriber was installed first; the records
/// then go there instead.
pub fn install(sink: Sink) -> Result<(), String> {
    if FILTER.get().is_some() {
        return Ok(());
    }
    let _ = SINK.set(sink);
    let env = std::env::var("SPARK_LOG").unwrap_or_default();
    let (filter, bad) = match parse(&env) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new(DEFAULT_FILTER), Some(e)),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let subscriber = Registry::default().with(filter).with(HostLayer);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| format!("another tracing subscriber is installed: {e}"))?;
    let _ = FILTER.set(handle);
    if let Some(e) = bad {
        tracing::warn!(target: "spark", "SPARK_LOG ignored, using `{DEFAULT_FILTER}`: {e}");
    }
    Ok(())
}

/// Replaces the filter (env-filter syntax; empty means `warn`). `Err` for invalid syntax or
/// before [`install`].
pub fn set_filter(spec: &str) -> Result<(), String> {
    let filter = parse(spec)?;
    let handle = FILTER.get().ok_or("logging is not installed (another subscriber owns it)")?;
    handle.reload(filter).map_err(|e| format!("cannot change the log filter: {e}"))
}

/// The layer that formats an event and hands it to the sink.
struct HostLayer;

impl<S: Subscriber> Layer<S> for HostLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(sink) = SINK.get() else { return };
        if IN_SINK.with(|f| f.replace(true)) {
            return;
        }
        let mut text = Message::default();
        event.record(&mut text);
        let meta = event.metadata();
        let record = Record { level: level_number(meta.level()), target: meta.target(), message: &text.0 };
        // A panicking sink must not unwind into the code that logged.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(&record)));
        IN_SINK.with(|f| f.set(false));
    }
}

/// The message first, then the other fields as ` key=value`.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{rest}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}
