//! A throwaway PostgreSQL cluster on a free 127.0.0.1 port, with password authentication, removed
//! when dropped. PostgreSQL refuses to run as root, so under root (as CI runs) the cluster
//! belongs to the `postgres` user and every server command runs through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The password of the cluster's `spark` user.
pub const PASSWORD: &str = "pg-Secret-42";

/// A running (or stopped) cluster.
pub struct PgServer {
    /// The port it listens on.
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    running: bool,
}

impl PgServer {
    /// Starts a fresh cluster, or `None` (after printing `SKIPPED`) when the PostgreSQL server
    /// binaries are not installed.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = bin_dir() else {
            println!(
                "SKIPPED {test}: no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("pw"), PASSWORD).expect("password file");
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
            assert!(ok.is_ok_and(|s| s.success()), "chown the cluster directory to postgres");
        }
        let s = PgServer { port, bin, dir, running: false };
        let data = s.data();
        s.run(
            "initdb",
            &["-D", &data, "-U", "spark", "--auth=scram-sha-256", "--no-sync", "--no-instructions"],
            &[format!("--pwfile={}", s.dir.path().join("pw").display())],
        );
        let mut s = s;
        s.restart();
        Some(s)
    }

    /// `postgres://spark:PASSWORD@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://spark:{PASSWORD}@127.0.0.1:{}/postgres", self.port)
    }

    /// The directory of the server binaries (`pg_dump`, `psql`, …).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        assert!(!self.running, "already running");
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("log").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &opts, "-w", "-t", "30", "start"], &[]);
        self.running = true;
    }

    /// Stops the server: `fast` rolls back open transactions and closes connections, as an
    /// orderly restart does.
    pub fn stop(&mut self) {
        if self.running {
            let data = self.data();
            self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "-t", "30", "stop"], &[]);
            self.running = false;
        }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str], more: &[String]) {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .args(more)
            .stdin(Stdio::null())
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{program} failed: {}\n{}\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.running {
            let data = self.data();
            let exe = self.bin.join("pg_ctl");
            let mut cmd = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(exe);
                c
            } else {
                Command::new(exe)
            };
            let _ = cmd.args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
        }
    }
}

/// The newest `/usr/lib/postgresql/N/bin` that has a server.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
