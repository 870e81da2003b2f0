//! `spark-server`: serve SPARK over HTTP, and manage its keys and database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use db::Target;
use spark_server::Server;
use spark_server::config::{self, Loaded};
use spark_server::routes::account::CreateKeyBody;

mod db;

/// SPARK as a service. Secrets come from environment variables or `*_FILE` variables naming
/// files, never from the command line.
#[derive(Debug, Parser)]
#[command(name = "spark-server", version, about)]
struct Cli {
    /// The configuration file (`[server]` and the library's sections).
    #[arg(long, short, env = "SPARK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Caller keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Create or update the database schema (SQLite or PostgreSQL), then exit. Every schema
    /// change is additive, so the previous release still runs on the migrated database.
    Migrate,
    /// Write a consistent copy of the database to PATH while the server may be running
    /// (SQLite: a database file; PostgreSQL: a `pg_dump` custom-format archive).
    Backup {
        /// Where to write the copy (must not exist).
        path: PathBuf,
    },
    /// Replace the database's contents with the backup at PATH. Stop every instance first.
    Restore {
        /// A file written by `backup`.
        path: PathBuf,
    },
    /// Print every usage record and the totals per caller as JSON (what a restore must keep).
    Usage,
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Create a key and print it once.
    Create {
        /// The caller id its requests count under.
        #[arg(long)]
        caller: String,
        /// A scope (repeat for several); default: generate, validate, export, usage.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Tier whose limits apply.
        #[arg(long)]
        tier: Option<String>,
        /// A label for people.
        #[arg(long)]
        name: Option<String>,
        /// Lifetime in days.
        #[arg(long)]
        expires_in_days: Option<u64>,
    },
    /// List keys (never their secrets) as JSON lines.
    List,
    /// Revoke a key by its public id.
    Revoke {
        /// The key's id.
        id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spark-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spark-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// JSON lines on stderr; `RUST_LOG` filters (default `info`).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let loaded = config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(loaded).await,
        Command::Migrate => {
            Target::open(&loaded.spark.ledger)?.migrate().await?;
            println!("database schema is up to date");
            Ok(())
        }
        Command::Backup { path } => {
            Target::open(&loaded.spark.ledger)?.backup(&path).await?;
            println!("backup written to {}", path.display());
            Ok(())
        }
        Command::Restore { path } => {
            Target::open(&loaded.spark.ledger)?.restore(&path).await?;
            println!("database restored from {}", path.display());
            Ok(())
        }
        Command::Usage => {
            let spark = spark_core::Spark::builder().config(loaded.spark).build()?;
            let all = spark.export_usage(None, spark_core::Period::All).await?;
            println!("{}", serde_json::to_string_pretty(&all)?);
            Ok(())
        }
        Command::Keys { action } => keys(loaded, action).await,
    }
}

async fn keys(loaded: Loaded, action: KeysAction) -> Result<(), Box<dyn std::error::Error>> {
    let spark = spark_core::Spark::builder().config(loaded.spark).build()?;
    let keys = spark.keys();
    match action {
        KeysAction::Create { caller, scopes, tier, name, expires_in_days } => {
            // The same spec the admin API builds from its JSON body.
            let spec = spark_server::routes::account::spec(CreateKeyBody {
                caller,
                scopes: (!scopes.is_empty()).then_some(scopes),
                tier,
                name,
                expires_in_s: expires_in_days.map(|d| d.saturating_mul(86_400)),
            });
            let created = keys.create(spec).await?;
            eprintln!("created key {} for `{}`; it is shown once:", created.info.id, created.info.caller);
            println!("{}", created.secret.expose());
        }
        KeysAction::List => {
            for k in keys.list().await? {
                println!("{}", serde_json::to_string(&k)?);
            }
        }
        KeysAction::Revoke { id } => {
            let info = keys.revoke(&id).await?;
            println!("{}", serde_json::to_string(&info)?);
        }
    }
    Ok(())
}

async fn serve(loaded: Loaded) -> Result<(), Box<dyn std::error::Error>> {
    let listen = loaded.server.listen;
    let mut server = Server::new(loaded).await?;
    if let Some(key) = server.take_dev_key() {
        println!(
            "development key (shown once; admin scope; revoke it before production):\n{}",
            key.secret.expose()
        );
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let shutdown = shutdown_signal()?;
    tracing::info!(addr = %listener.local_addr()?, offline = server.state().spark.is_offline(), "listening");
    println!("listening on http://{}", listener.local_addr()?);
    server.serve(listener, shutdown).await?;
    Ok(())
}

/// SIGTERM (what orchestrators send) or Ctrl-C. The handlers are installed before this returns,
/// so a signal that arrives right after the server says it listens is not lost to the default
/// action (which would kill the process without draining).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
