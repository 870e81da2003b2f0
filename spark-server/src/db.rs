//! `migrate`, `backup` and `restore` on the database the configuration names: SQLite (online
//! backup by `VACUUM INTO`, restore by replacing the file) or PostgreSQL (`pg_dump` and
//! `pg_restore` of SPARK's tables).

use std::path::{Path, PathBuf};

use spark_core::config::LedgerConfig;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The database `[ledger]` names.
pub enum Target {
    /// A SQLite file (`None`: memory, which has nothing to back up).
    Sqlite(Box<spark_core::SqliteStore>, Option<PathBuf>),
    /// A PostgreSQL server.
    #[cfg(feature = "postgres")]
    Postgres(spark_core::PgStore),
}

impl Target {
    /// The store `ledger` selects.
    pub fn open(ledger: &LedgerConfig) -> Result<Self> {
        #[cfg(feature = "postgres")]
        if let Some(url) = &ledger.url {
            return Ok(Target::Postgres(spark_core::PgStore::open(url)?));
        }
        Ok(Target::Sqlite(Box::new(spark_core::SqliteStore::open(ledger)?), ledger.path.clone()))
    }

    /// Creates or updates the schema.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Target::Sqlite(s, _) => s.migrate().await?,
            #[cfg(feature = "postgres")]
            Target::Postgres(s) => s.migrate().await?,
        }
        Ok(())
    }

    /// Writes a consistent copy to `dest` (which must not exist) while the server may run.
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        match self {
            Target::Sqlite(s, _) => Ok(s.backup(dest).await?),
            #[cfg(feature = "postgres")]
            Target::Postgres(s) => {
                if dest.exists() {
                    return Err(format!("`{}` already exists", dest.display()).into());
                }
                // One transaction (`pg_dump` takes a snapshot): consistent while writes go on.
                let mut cmd = pg_command("pg_dump", s);
                cmd.args(["--format=custom", "--no-owner", "--table=spark_*", "--file"]).arg(dest);
                run(cmd, s).await
            }
        }
    }

    /// Replaces the database's contents with the backup at `src`. Stop every instance first:
    /// a server writing meanwhile would mix its writes into the restored state.
    pub async fn restore(&self, src: &Path) -> Result<()> {
        if !src.is_file() {
            return Err(format!("no backup at `{}`", src.display()).into());
        }
        match self {
            Target::Sqlite(_, None) => {
                Err("the ledger is in memory: set `[server] database` or `[ledger] path`".into())
            }
            Target::Sqlite(_, Some(path)) => restore_sqlite(src, path).await,
            #[cfg(feature = "postgres")]
            Target::Postgres(s) => {
                // Reads the whole archive first: a damaged file fails here, before anything is dropped.
                let mut list = tokio::process::Command::new("pg_restore");
                list.arg("--list").arg(src);
                run(list, s).await?;
                let mut cmd = pg_command("pg_restore", s);
                cmd.args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"])
                    .arg(src);
                run(cmd, s).await
            }
        }
    }
}

/// Checks that `src` is a SPARK database, then puts a copy in place of `path` (copy, sync,
/// rename: a crash midway leaves the old file or the new one, never half of one).
async fn restore_sqlite(src: &Path, path: &Path) -> Result<()> {
    let check =
        spark_core::SqliteStore::open(&LedgerConfig { path: Some(src.to_path_buf()), ..Default::default() })?;
    // Opening runs the idempotent schema: a file that is not SQLite fails here. Then it must
    // hold what a SPARK database holds.
    check.migrate().await.map_err(|e| format!("`{}` is not a usable backup: {e}", src.display()))?;
    use spark_core::KeyStore;
    check.list().await?;
    drop(check);
    let tmp = path.with_extension("restoring");
    tokio::fs::copy(src, &tmp).await?;
    tokio::fs::File::open(&tmp).await?.sync_all().await?;
    // The old file's WAL must not be replayed onto the restored file.
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match tokio::fs::remove_file(&side).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    tokio::fs::rename(&tmp, path).await?;
    Ok(())
}

/// `program` aimed at `store`'s database: the URL without its password as `--dbname`, the
/// password in `PGPASSWORD` (not visible in the process list).
#[cfg(feature = "postgres")]
fn pg_command(program: &str, store: &spark_core::PgStore) -> tokio::process::Command {
    let (url, password) = store.url().split_password();
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(format!("--dbname={url}"));
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

/// Runs `cmd`; a failure reports its stderr with the password scrubbed.
#[cfg(feature = "postgres")]
async fn run(mut cmd: tokio::process::Command, store: &spark_core::PgStore) -> Result<()> {
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let out = cmd
        .stdout(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run `{program}` (install the PostgreSQL client): {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if let (_, Some(p)) = store.url().split_password()
        && !p.is_empty()
    {
        stderr = stderr.replace(&p, "***");
    }
    Err(format!("`{program}` failed ({}): {}", out.status, stderr.trim()).into())
}
