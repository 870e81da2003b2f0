//! `spark keys`: manage caller keys in the ledger's database (for hosts in any language, C and
//! C# included, that verify keys through a SPARK service or the library).
//!
//! ```sh
//! cargo run -p spark-core --example keys -- --db spark.db create alice --scope generate --tier pro --expires-days 90
//! cargo run -p spark-core --example keys -- --db spark.db list
//! cargo run -p spark-core --example keys -- --db spark.db revoke 0123456789abcdef
//! cargo run -p spark-core --example keys -- --db spark.db verify spk_… --scope generate
//! ```
//!
//! `--config spark.toml` takes the database from `[ledger] path` and checks tier names against
//! `[tiers]`; `--db` names the database file directly. A key is printed once, at creation.

use std::process::ExitCode;
use std::time::Duration;

use spark_core::keys::KeyInfo;
use spark_core::ledger::iso8601;
use spark_core::{Error, KeySpec, Spark, SparkConfig};

const USAGE: &str = "usage: keys (--db FILE | --config spark.toml) <command>
  create CALLER [--scope S]... [--tier T] [--name LABEL] [--expires-days N]
  list [--json]
  revoke ID
  verify KEY [--scope S]";

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

fn usage(why: &str) -> Error {
    Error::InvalidRequest(format!("{why}\n{USAGE}"))
}

/// Takes `--flag VALUE` out of `args`, every occurrence.
fn take(args: &mut Vec<String>, flag: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    while let Some(i) = args.iter().position(|a| a == flag) {
        if i + 1 >= args.len() {
            return Err(usage(&format!("{flag} needs a value")));
        }
        out.push(args.remove(i + 1));
        args.remove(i);
    }
    Ok(out)
}

fn one(args: &mut Vec<String>, flag: &str) -> Result<Option<String>, Error> {
    let mut all = take(args, flag)?;
    if all.len() > 1 {
        return Err(usage(&format!("{flag} given twice")));
    }
    Ok(all.pop())
}

fn time(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_string(), iso8601)
}

fn row(k: &KeyInfo) -> String {
    let scopes: Vec<&str> = k.scopes.iter().map(String::as_str).collect();
    format!(
        "{}  {:<16} {:<8} {:<24} created {}  expires {}  revoked {}  last used {}{}",
        k.id,
        k.caller,
        k.tier.as_deref().unwrap_or("-"),
        scopes.join(","),
        time(Some(k.created_ms)),
        time(k.expires_ms),
        time(k.revoked_ms),
        time(k.last_used_ms),
        k.name.as_deref().map(|n| format!("  ({n})")).unwrap_or_default(),
    )
}

async fn run(mut args: Vec<String>) -> Result<(), Error> {
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let db = one(&mut args, "--db")?;
    let mut config = match one(&mut args, "--config")? {
        Some(path) => SparkConfig::load(path)?,
        None => SparkConfig::default(),
    };
    if let Some(db) = db {
        config.ledger.path = Some(db.into());
    }
    if config.ledger.path.is_none() {
        return Err(usage("keys need a database file: --db FILE, or --config with [ledger] path"));
    }
    let spark = Spark::from_config(config)?;
    let keys = spark.keys();
    let command = args.remove(0);
    match command.as_str() {
        "create" => {
            let scopes = take(&mut args, "--scope")?;
            let tier = one(&mut args, "--tier")?;
            let name = one(&mut args, "--name")?;
            let days = one(&mut args, "--expires-days")?;
            let [caller] = <[String; 1]>::try_from(args).map_err(|_| usage("create takes one CALLER"))?;
            let mut spec = KeySpec::new(caller);
            if !scopes.is_empty() {
                spec = spec.scopes(scopes);
            }
            if let Some(t) = tier {
                spec = spec.tier(t);
            }
            if let Some(n) = name {
                spec = spec.name(n);
            }
            if let Some(d) = days {
                let d: u64 = d.parse().map_err(|_| usage("--expires-days takes a whole number"))?;
                spec = spec.expires_in(Duration::from_secs(d.saturating_mul(86_400)));
            }
            let created = keys.create(spec).await?;
            eprintln!("{}\nThe key is shown once; only its hash is stored.", row(&created.info));
            println!("{}", created.secret.expose());
        }
        "list" => {
            let json = args.iter().any(|a| a == "--json");
            let all = keys.list().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all).map_err(|e| Error::Internal(e.to_string()))?
                );
            } else {
                all.iter().for_each(|k| println!("{}", row(k)));
            }
        }
        "revoke" => {
            let [id] = <[String; 1]>::try_from(args).map_err(|_| usage("revoke takes one ID"))?;
            println!("{}", row(&keys.revoke(&id).await?));
        }
        "verify" => {
            let scope = one(&mut args, "--scope")?;
            let [key] = <[String; 1]>::try_from(args).map_err(|_| usage("verify takes one KEY"))?;
            let info = match scope {
                Some(s) => keys.authorize(&key, &s).await?,
                None => keys.verify(&key).await?,
            };
            println!("{}", row(&info));
        }
        other => return Err(usage(&format!("unknown command `{other}`"))),
    }
    Ok(())
}
