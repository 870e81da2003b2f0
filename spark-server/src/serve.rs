//! The accept loop: hyper's HTTP/1 server with a header read timeout (a client that sends its
//! request head slowly is cut off instead of holding a connection), and draining on shutdown.
//!
//! On shutdown: readiness turns false and new requests get 503 (`Connection: close`) while the
//! listener stays open, so a load balancer sees a clean refusal rather than a reset; in-flight
//! requests and streams get `drain_timeout_ms` to finish; then the listener closes and idle
//! connections are shut.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::state::AppState;

pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(state.config.limits.header_timeout()).keep_alive(true);
    let drain = state.drain.clone();
    let deadline = state.config.limits.drain_timeout();
    tokio::pin!(shutdown);
    let mut draining = false;
    let mut drained: std::pin::Pin<Box<dyn Future<Output = bool> + Send>> = Box::pin(std::future::pending());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: pause instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // Resets, slow clients cut off and protocol errors end one connection only.
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown, if !draining => {
                tracing::info!(inflight = drain.inflight(), "shutting down: draining");
                drain.start();
                let d = drain.clone();
                drained = Box::pin(async move { d.wait_idle(deadline).await });
                draining = true;
            }
            finished = &mut drained => {
                if finished {
                    tracing::info!("drained: every request finished");
                } else {
                    tracing::warn!(inflight = drain.inflight(), "drain deadline passed; closing the rest");
                }
                break;
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not close in time");
    }
    Ok(())
}
