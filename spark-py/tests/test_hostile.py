"""Hostile model replies through the Python binding (issue 9): tests/hostile/scenarios.json.

Each scenario runs `generate` in a child Python process (this file run as a script), so a stack
overflow or an abort is a reported failure, not a dead test runner. The child prints one
`HOSTILE-REPORT {json}` line; the parent asserts the outcome class, the wall time (total_ms + 10%),
an empty stderr, CPU quiet after the call and safe result paths.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile"
SPEC: dict[str, Any] = json.loads((HOSTILE / "scenarios.json").read_text())
# A child still running after this is killed and reported (a hang or a super-linear blow-up).
CAP_S = float(os.environ.get("HOSTILE_CAP_S", "20"))
# stderr of every child run, for the suite-wide panic check.
STDERR: dict[str, str] = {}


def unsafe_path(path: str) -> bool:
    """True when `path` could escape a folder a host joins it to, or hides its real name."""
    if not path or path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        return True
    if any(part in ("..", "") for part in path.replace("\\", "/").split("/")):
        return True
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in path)


# -- child --------------------------------------------------------------------------------------


def run_child(name: str, base: str) -> None:
    import spark

    text = json.dumps(SPEC["config"]).replace("@BASE@", base).replace("@SCENARIO@", name)
    client = spark.Spark(json.loads(text))
    report: dict[str, Any] = {"scenario": name}
    start = time.monotonic()
    try:
        result = client.generate("a player controller", model=name, no_cache=True)
        report["outcome"] = "result"
        report["paths"] = [f.path for f in result.files]
    except spark.SparkError as e:
        report["outcome"] = e.code
        report["message"] = str(e)[:300]
    except Exception as e:  # noqa: BLE001 - any other exception is a finding, reported as such
        report["outcome"] = f"untyped:{type(e).__name__}"
        report["message"] = str(e)[:300]
    report["elapsed_ms"] = (time.monotonic() - start) * 1000
    cpu = time.process_time()  # the whole process, every thread (the native runtime's too)
    time.sleep(SPEC["cpu_after_sleep_ms"] / 1000)
    report["cpu_after_ms"] = (time.process_time() - cpu) * 1000
    print("HOSTILE-REPORT " + json.dumps(report), flush=True)


# -- parent -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_base() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        proc = subprocess.Popen([sys.executable, str(HOSTILE / "mock.py"), str(port_file), "1800"])
        try:
            for _ in range(200):
                if port_file.exists():
                    break
                time.sleep(0.05)
            assert port_file.exists(), "the hostile mock did not start"
            yield f"http://127.0.0.1:{port_file.read_text().strip()}"
        finally:
            proc.terminate()
            proc.wait(10)


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


@pytest.mark.parametrize("scenario", SPEC["scenarios"], ids=[s["name"] for s in SPEC["scenarios"]])
def test_hostile_reply(scenario: dict[str, Any], mock_base: str) -> None:
    name = scenario["name"]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, __file__, name, mock_base], capture_output=True, text=True, errors="replace", timeout=CAP_S
        )
    except subprocess.TimeoutExpired as e:
        STDERR[name] = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        pytest.fail(f"{name}: still running after {CAP_S:.0f} s (killed); stderr: {STDERR[name][:400]!r}")
    STDERR[name] = proc.stderr
    problems = []
    if proc.returncode != 0:
        problems.append(f"child {describe_exit(proc.returncode)} after {time.monotonic() - started:.1f} s")
    if proc.stderr:
        problems.append(f"stderr not empty: {proc.stderr[:400]!r}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("HOSTILE-REPORT ")]
    if not lines:
        problems.append("no report")
        pytest.fail(f"{name}: " + "; ".join(problems))
    report = json.loads(lines[-1].removeprefix("HOSTILE-REPORT "))
    limit = SPEC["total_ms"] * 1.1
    if report["outcome"] not in scenario["expect"]:
        problems.append(f"outcome {report['outcome']!r} ({report.get('message', '')!r}), expected {scenario['expect']}")
    if report["elapsed_ms"] > limit:
        problems.append(f"took {report['elapsed_ms']:.0f} ms > {limit:.0f} ms")
    if report["cpu_after_ms"] >= SPEC["cpu_after_max_ms"]:
        problems.append(f"{report['cpu_after_ms']:.0f} ms of CPU in the {SPEC['cpu_after_sleep_ms']} ms after the call")
    bad = [p for p in report.get("paths", []) if unsafe_path(p)]
    if bad:
        problems.append(f"unsafe result paths {bad[:3]!r}")
    assert not problems, f"{name}: " + "; ".join(problems)


def test_no_panic_message_in_the_whole_suite() -> None:
    names = [s["name"] for s in SPEC["scenarios"]]
    missing = [n for n in names if n not in STDERR]
    if missing:
        pytest.skip(f"run the whole module: scenarios not run here: {missing}")
    panicked = [n for n, err in STDERR.items() if "panicked" in err]
    assert not panicked, f"a panic message on stderr in: {panicked}"


if __name__ == "__main__":
    run_child(sys.argv[1], sys.argv[2])
