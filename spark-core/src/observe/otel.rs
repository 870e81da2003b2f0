//! OpenTelemetry export over OTLP/HTTP (protobuf), behind the `otel` cargo feature.
//!
//! SPARK never installs a global subscriber on its own: a Rust host adds [`OtlpExporter::layer`]
//! to the subscriber it already has; a host without one (a binding, a small tool) calls
//! [`OtlpExporter::install`]. Spans are batched on a background thread and posted to
//! `<telemetry.otlp_endpoint>/v1/traces`.

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::registry::LookupSpan;

use super::{TelemetryConfig, TraceParent};
use crate::error::{Error, Result};

/// The `service.name` spans are exported under.
pub const SERVICE_NAME: &str = "spark";

/// An OTLP/HTTP span exporter. Dropping it does not flush: call [`OtlpExporter::shutdown`]
/// (or [`OtlpExporter::flush`]) before the process ends.
#[derive(Debug, Clone)]
pub struct OtlpExporter {
    provider: SdkTracerProvider,
}

impl OtlpExporter {
    /// An exporter for `telemetry.otlp_endpoint`; `None` when no endpoint is configured.
    pub fn new(config: &TelemetryConfig) -> Result<Option<OtlpExporter>> {
        let Some(base) = config.otlp_endpoint.as_deref() else { return Ok(None) };
        config.validate()?;
        let endpoint = format!("{}/v1/traces", base.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| Error::config("telemetry.otlp_endpoint", e.to_string()))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(SERVICE_NAME).build())
            .build();
        Ok(Some(OtlpExporter { provider }))
    }

    /// A `tracing` layer that turns SPARK's spans (and any others it sees) into OTLP spans.
    pub fn layer<S>(&self) -> impl tracing_subscriber::Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer("spark-core"))
    }

    /// Sets a global subscriber made of this exporter's layer alone, for hosts that have none.
    /// Fails when the process already has a global subscriber.
    pub fn install(&self) -> Result<()> {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(self.layer());
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|e| Error::config("telemetry.otlp_endpoint", format!("cannot install: {e}")))
    }

    /// Sends every finished span now.
    pub fn flush(&self) -> Result<()> {
        self.provider.force_flush().map_err(|e| Error::Internal(format!("OTLP flush failed: {e}")))
    }

    /// Flushes and stops the export thread.
    pub fn shutdown(&self) -> Result<()> {
        self.provider.shutdown().map_err(|e| Error::Internal(format!("OTLP shutdown failed: {e}")))
    }
}

/// Makes the caller's span (from its `traceparent`) the exported parent of `span`.
pub(crate) fn set_remote_parent(span: &tracing::Span, trace: &TraceParent) {
    let context = SpanContext::new(
        TraceId::from_bytes(trace.trace_id()),
        SpanId::from_bytes(trace.parent_id()),
        TraceFlags::new(trace.flags()),
        true,
        TraceState::default(),
    );
    // Fails only when no OpenTelemetry layer is installed: then there is nothing to link.
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(context));
}
