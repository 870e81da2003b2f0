#!/usr/bin/env python3
"""Load test of spark-server with a real load generator (oha), authenticated, metrics on.

    python3 spark-server/benches/load.py [--requests 100000] [--concurrency 64]

Builds the release server, then for each scenario starts it on a free loopback port with a
fresh database, creates a caller key with the CLI and drives `POST /v1/generate` with one prompt
(every request after the first is a cache hit): against the offline scaffold, and against a
loopback OpenAI-compatible mock (spark-py/tests/mock_openai.py). `GET /healthz` on the same
server is the same-run baseline of the HTTP stack alone. Prints throughput, p50 and p99, the
status codes, and the server's resident memory after a warm-up and after every request, so a
leak shows as growth. Needs `oha` (`cargo install oha`) on PATH or in OHA.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "spark-py" / "tests"))
from mock_openai import MockServer  # noqa: E402

PROMPT = json.dumps({"prompt": "a rotating pickup that plays a sound"})


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def oha(oha_bin: str, url: str, n: int, c: int, key: str | None, body: str | None) -> dict:
    cmd = [oha_bin, "-n", str(n), "-c", str(c), "--no-tui", "--output-format", "json"]
    if key:
        cmd += ["-H", f"authorization: Bearer {key}"]
    if body is not None:
        cmd += ["-m", "POST", "-T", "application/json", "-d", body]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return {
        "rps": r["summary"]["requestsPerSec"],
        "p50_ms": r["latencyPercentiles"]["p50"] * 1e3,
        "p99_ms": r["latencyPercentiles"]["p99"] * 1e3,
        "codes": r.get("statusCodeDistribution", {}),
    }


def start_server(binary: Path, toml: str, workdir: Path) -> tuple[subprocess.Popen, str, str]:
    cfg = workdir / "spark.toml"
    cfg.write_text(f"[server]\nlisten = \"127.0.0.1:0\"\ndatabase = \"{workdir / 'spark.db'}\"\n{toml}")
    key = subprocess.run(
        [str(binary), "--config", str(cfg), "keys", "create", "--caller", "load", "--scope", "generate"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    proc = subprocess.Popen([str(binary), "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    base = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("listening on "):
            base = line.split()[-1]
            break
    return proc, base, key


def scenario(name: str, binary: Path, oha_bin: str, toml: str, n: int, c: int, rounds: int = 1) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, key = start_server(binary, toml, Path(tmp))
        try:
            # Warm-up: the first request fills the cache; then enough to reach steady state.
            req = urllib.request.Request(f"{base}/v1/generate", data=PROMPT.encode(),
                                         headers={"authorization": f"Bearer {key}",
                                                  "content-type": "application/json"})
            urllib.request.urlopen(req).read()
            oha(oha_bin, f"{base}/v1/generate", 5000, c, key, PROMPT)
            rss_warm = rss_kib(proc.pid)
            health = oha(oha_bin, f"{base}/healthz", n // 4, c, None, None)
            gen = oha(oha_bin, f"{base}/v1/generate", n, c, key, PROMPT)
            rss_end = rss_kib(proc.pid)
            # More rounds on the same server: a leak shows as RSS that keeps growing.
            rss_rounds = [rss_end]
            for _ in range(rounds - 1):
                oha(oha_bin, f"{base}/v1/generate", n, c, key, PROMPT)
                rss_rounds.append(rss_kib(proc.pid))
            rows.append({"scenario": name, "route": "GET /healthz (baseline)", **health})
            rows.append({"scenario": name, "route": "POST /v1/generate (cache hit)", **gen,
                         "rss_warm_kib": rss_warm, "rss_end_kib": rss_end, "rss_rounds_kib": rss_rounds})
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of --requests on the offline server, RSS read after each")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    oha_bin = os.environ.get("OHA") or shutil.which("oha")
    if not oha_bin:
        sys.exit("oha not found: cargo install oha (or set OHA=/path/to/oha)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "spark-server"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "spark-server"
    mock = MockServer().start()
    try:
        rows = scenario("offline", binary, oha_bin, "", args.requests, args.concurrency, args.rounds)
        mock_toml = (f"[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{mock.base_url}\"\n"
                     "api_key = \"sk-load-test\"\nmodel = \"gpt-4o-mini\"\n")
        rows += scenario("loopback mock", binary, oha_bin, mock_toml, args.requests, args.concurrency)
        calls = mock.calls
    finally:
        mock.stop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"c={args.concurrency}, {args.requests} requests per /v1/generate run; provider calls to the mock: {calls}")
    print(f"{'scenario':<14} {'route':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  codes  RSS warm→end KiB")
    for r in rows:
        mem = f"{r['rss_warm_kib']}→{r['rss_end_kib']}" if "rss_end_kib" in r else ""
        print(f"{r['scenario']:<14} {r['route']:<30} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}  "
              f"{r['codes']}  {mem}")
        if len(r.get("rss_rounds_kib", [])) > 1:
            print(f"{'':<14} RSS after each round of {args.requests}: {r['rss_rounds_kib']} KiB")


if __name__ == "__main__":
    main()
