# spark-server in a container: built in one stage, run as a non-root user in a slim one.
#   docker build -t spark-server .
#   docker run -p 8080:8080 -e SPARK_SERVER_LISTEN=0.0.0.0:8080 -v spark-data:/var/lib/spark spark-server
FROM rust:1-bookworm AS build
# Cargo features: `redis,postgres` for many instances sharing state (deploy/compose.yaml).
ARG FEATURES=""
WORKDIR /src
COPY . .
RUN cargo build --release -p spark-server --locked --features "$FEATURES" \
 && install -m 0755 target/release/spark-server /usr/local/bin/spark-server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/spark --create-home spark
COPY --from=build /usr/local/bin/spark-server /usr/local/bin/spark-server
USER spark
WORKDIR /var/lib/spark
ENV SPARK_SERVER_LISTEN=0.0.0.0:8080 \
    SPARK_SERVER_PROFILE=prod \
    RUST_LOG=info
EXPOSE 8080
# Liveness; orchestrators should probe /readyz for readiness (503 while draining).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/spark-server"]
