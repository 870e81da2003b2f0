//! Three instances behind a real nginx on loopback, configured with the deployed files
//! (`deploy/nginx/spark-proxy.conf`, `upstream.conf`): a rolling restart with
//! `scripts/rolling-restart.sh` under load fails no request; `kill -9` of one instance loses at
//! most the requests it held.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::free_port;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.is_file()).or_else(|| {
        eprintln!("SKIPPED: nginx not found (Debian package nginx-light; scripts/setup.sh installs it)");
        None
    })
}

struct Cluster {
    dir: tempfile::TempDir,
    ports: Vec<u16>,
    front: String,
    nginx: PathBuf,
    key: String,
}

impl Cluster {
    fn start(n: usize) -> Option<Cluster> {
        let nginx = nginx()?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bin = env!("CARGO_BIN_EXE_spark-server");
        std::fs::write(
            d.join("spark.toml"),
            format!("[server]\ndatabase = {:?}\n", d.join("spark.db").display().to_string()),
        )
        .unwrap();
        // A key first, so no instance makes a development key of its own.
        let out = Command::new(bin)
            .arg("--config")
            .arg(d.join("spark.toml"))
            .args(["keys", "create", "--caller", "load"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
        // Start and restart go through the same two scripts the rolling restart calls.
        std::fs::write(
            d.join("start.sh"),
            format!(
                "SPARK_SERVER_LISTEN=127.0.0.1:$1 setsid {bin} --config {dir}/spark.toml >> {dir}/$1.log 2>&1 < /dev/null &\necho $! > {dir}/$1.pid\n",
                dir = d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("restart.sh"),
            format!(
                "pid=$(cat {dir}/$1.pid)\nkill -TERM $pid\nwhile kill -0 $pid 2>/dev/null; do sleep 0.05; done\nsh {dir}/start.sh $1\n",
                dir = d.display()
            ),
        )
        .unwrap();
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        for p in &ports {
            assert!(
                Command::new("sh").arg(d.join("start.sh")).arg(p.to_string()).status().unwrap().success()
            );
        }
        // The deployed upstream file, with this test's ports.
        let template = std::fs::read_to_string(repo().join("deploy/nginx/upstream.conf")).unwrap();
        // The deployed server parameters (max_fails, fail_timeout) are kept as they are.
        let server_line = template
            .lines()
            .find(|l| l.trim_start().starts_with("server 127.0.0.1:"))
            .expect("a server line");
        let params = server_line.trim_start().splitn(3, ' ').nth(2).unwrap_or(";");
        let mut servers = String::new();
        for p in &ports {
            servers.push_str(&format!("    server 127.0.0.1:{p} {params}\n"));
        }
        let mut placed = false;
        let upstream: String = template
            .lines()
            .filter_map(|l| {
                if !l.trim_start().starts_with("server 127.0.0.1:") {
                    Some(format!("{l}\n"))
                } else if !placed {
                    placed = true;
                    Some(servers.clone())
                } else {
                    None
                }
            })
            .collect();
        std::fs::write(d.join("upstream.conf"), upstream).unwrap();
        let front_port = free_port();
        let conf = format!(
            "user root;\nworker_processes 2;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log {dir}/nginx-access.log;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
             fastcgi_temp_path {dir}/fcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n\
             include {dir}/upstream.conf;\n  server {{\n    listen 127.0.0.1:{front_port};\n    include {proxy};\n  }}\n}}\n",
            dir = d.display(),
            proxy = repo().join("deploy/nginx/spark-proxy.conf").display()
        );
        std::fs::write(d.join("nginx.conf"), conf).unwrap();
        let out = Command::new(&nginx).arg("-c").arg(d.join("nginx.conf")).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let c = Cluster { dir, ports, front: format!("http://127.0.0.1:{front_port}"), nginx, key };
        for p in &c.ports {
            c.wait_ready(*p);
        }
        Some(c)
    }

    fn wait_ready(&self, port: u16) {
        for _ in 0..300 {
            let ok = Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    &format!("http://127.0.0.1:{port}/readyz"),
                ])
                .output()
                .is_ok_and(|o| o.stdout == b"200");
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "instance {port} not ready: {}",
            std::fs::read_to_string(self.dir.path().join(format!("{port}.log"))).unwrap_or_default()
        );
    }

    /// The last lines of nginx's error log, for a failure message.
    fn nginx_errors(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("nginx-error.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn pid(&self, port: u16) -> i32 {
        std::fs::read_to_string(self.dir.path().join(format!("{port}.pid"))).unwrap().trim().parse().unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.nginx)
            .arg("-c")
            .arg(self.dir.path().join("nginx.conf"))
            .args(["-s", "stop"])
            .status();
        for p in &self.ports {
            let _ = Command::new("kill").arg("-KILL").arg(self.pid(*p).to_string()).status();
        }
    }
}

/// Runs `workers` clients through nginx until `stop`; (ok, failed) counts.
fn load(
    front: &str,
    key: &str,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> (Arc<AtomicUsize>, Arc<AtomicUsize>, Vec<tokio::task::JoinHandle<()>>) {
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..workers {
        let (ok, failed, stop) = (ok.clone(), failed.clone(), stop.clone());
        let (url, key) = (format!("{front}/v1/generate"), key.to_string());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let body = serde_json::json!({"prompt": format!("a rotating pickup number {}", i % 4)});
            while !stop.load(Ordering::SeqCst) {
                let res = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&body)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                let outcome = match res {
                    Ok(r) if r.status() == 200 => r.bytes().await.map(|_| ()).map_err(|e| e.to_string()),
                    Ok(r) => Err(r.status().to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(()) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(e) => {
                        eprintln!("failed: {e}");
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
        }));
    }
    (ok, failed, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_behind_nginx_fails_no_request() {
    let Some(c) = Cluster::start(3) else { return };
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, tasks) = load(&c.front, &c.key, 8, stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before: Vec<i32> = c.ports.iter().map(|p| c.pid(*p)).collect();
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/rolling-restart.sh"))
        .args(["--restart", &format!("sh {}/restart.sh {{port}}", c.dir.path().display())]);
    for p in &c.ports {
        cmd.arg(format!("127.0.0.1:{p}"));
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let after: Vec<i32> = c.ports.iter().map(|p| c.pid(*p)).collect();
    assert!(before.iter().zip(&after).all(|(a, b)| a != b), "every instance restarted: {before:?} {after:?}");
    let (ok, failed) = (ok.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    eprintln!("rolling restart: {ok} requests served, {failed} failed");
    assert!(ok > 100, "{ok}");
    assert_eq!(failed, 0, "{}\n{}", String::from_utf8_lossy(&out.stderr), c.nginx_errors());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_instance_loses_at_most_what_it_held() {
    let Some(c) = Cluster::start(3) else { return };
    let stop = Arc::new(AtomicBool::new(false));
    let workers = 8;
    let (ok, failed, tasks) = load(&c.front, &c.key, workers, stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let victim = c.ports[1];
    assert!(Command::new("kill").arg("-KILL").arg(c.pid(victim).to_string()).status().unwrap().success());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    eprintln!("kill -9: {ok} requests served, {failed} failed");
    assert!(ok > 100, "{ok}");
    // Requests nginx had not yet sent to the dead instance were retried on the others; only
    // those it held (at most one per client) can fail.
    assert!(failed <= workers, "{failed}");
}
