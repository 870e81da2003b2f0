"""What reaches the host: logs through `logging`, a real coroutine from `agenerate`, every result
field as an attribute, and a `validate` default that suits MonoBehaviours."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from conftest import mock_config
from mock_openai import SCRIPT, MockServer

import spark

SECRET = "sk-canary-5ecret-d0-not-log"


def test_agenerate_is_a_coroutine(offline: spark.Spark) -> None:
    # Made before any loop runs, then run: the asyncio future is created inside the loop.
    coro = offline.agenerate("a door that opens")
    assert asyncio.iscoroutine(coro)
    assert asyncio.run(coro).files

    async def main() -> list[spark.GeneratedScripts]:
        tasks = [asyncio.create_task(offline.agenerate(f"a lamp {i}", no_cache=True)) for i in range(3)]
        return await asyncio.gather(*tasks)

    assert all(r.files for r in asyncio.run(main()))


def test_cancelling_then_exiting_prints_nothing(tmp_path: Any) -> None:
    # A task cancelled while its provider call is in flight, then the interpreter exits: no
    # traceback, no "Task was destroyed", no panic message, exit code 0.
    script = tmp_path / "cancel_exit.py"
    script.write_text(textwrap.dedent(f"""
        import asyncio, sys, threading
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from mock_openai import MockServer
        import spark

        server = MockServer().start()
        server.gate = threading.Event()
        client = spark.Spark({{"providers": {{"order": ["openai"]}}, "retry": {{"max_attempts": 1}},
                               "openai": {{"base_url": server.base_url, "api_key": "sk-x"}}}})

        async def main():
            task = asyncio.create_task(client.agenerate("a spinning cube", no_cache=True))
            while not server.arrived.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                print("cancelled")
            # A second task left pending when the loop closes.
            asyncio.create_task(client.agenerate("a rolling ball", no_cache=True))
            await asyncio.sleep(0.05)

        asyncio.run(main())
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cancelled"
    assert done.stderr == ""


def _wait_for(records: Any, predicate: Any) -> None:
    """Log records arrive from SPARK's delivery thread, shortly after the event."""
    deadline = time.monotonic() + 5
    while not predicate(records) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_logs_reach_logging_without_secrets(mock_server: MockServer, caplog: pytest.LogCaptureFixture) -> None:
    mock_server.mode = "server_error"
    config = mock_config(mock_server, retry={"max_attempts": 3, "base_delay_ms": 1, "max_delay_ms": 2})
    config["openai"]["api_key"] = SECRET
    client = spark.Spark(config)
    with caplog.at_level(logging.DEBUG, logger="spark"):
        with pytest.raises(spark.SparkError):
            client.generate("a spinning cube", no_cache=True)
        _wait_for(caplog.records, lambda rs: any(r.name == "spark" and r.levelno == logging.WARNING for r in rs))
    records = [r for r in caplog.records if r.name == "spark"]
    assert any(r.levelno == logging.WARNING for r in records), records
    assert all(hasattr(r, "spark_target") for r in records)
    for r in records:
        assert SECRET not in r.getMessage() and SECRET not in str(r.__dict__)


def test_log_filter(mock_server: MockServer, caplog: pytest.LogCaptureFixture) -> None:
    mock_server.mode = "server_error"
    client = spark.Spark(mock_config(mock_server, retry={"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 2}))
    with pytest.raises(spark.InvalidArgument):
        spark.set_log_filter("spark_core=loud")
    spark.set_log_filter("error")
    try:
        with caplog.at_level(logging.DEBUG, logger="spark"):
            with pytest.raises(spark.SparkError):
                client.generate("a spinning cube", no_cache=True)
            time.sleep(0.2)
        assert not [r for r in caplog.records if r.name == "spark" and r.levelno == logging.WARNING]
    finally:
        spark.set_log_filter("")


def test_validate_names_the_file_after_its_main_type(offline: spark.Spark) -> None:
    assert offline.validate(SCRIPT) == []
    assert spark.validate(SCRIPT) == []
    # The class-name rule still fires for an explicit, wrong name.
    assert any(d.file == "Other.cs" for d in offline.validate(SCRIPT, "Other.cs"))


def _check_fields(expected: Any, actual: Any, where: str, missing: list[str]) -> None:
    if isinstance(expected, dict):
        for key, value in expected.items():
            if isinstance(actual, dict):
                found, got = key in actual, actual.get(key)
            else:
                found, got = hasattr(actual, key), getattr(actual, key, None)
            if not found:
                missing.append(f"{where}.{key}")
            else:
                _check_fields(value, got, f"{where}.{key}", missing)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            missing.append(f"{where} (list of {len(expected)})")
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            _check_fields(e, a, f"{where}[{i}]", missing)
    elif expected != actual:
        missing.append(f"{where} ({expected!r} vs {actual!r})")


def test_every_core_field_reaches_python(mock_server: MockServer) -> None:
    # The field list comes from the core's JSON, so a field added to spark-core is checked too.
    mock_server.reply = mock_server.reply.replace("transform.Rotate", "GetComponent<Transform>().Rotate")
    result = spark.Spark(mock_config(mock_server)).generate("a spinning cube")
    core = json.loads(result.to_json())
    assert core["diagnostics"] and core["rounds"] and core["rounds"][0]["diagnostics_after"], core
    assert core["request_id"] and core["stop_reason"]
    missing: list[str] = []
    _check_fields(core, result, "result", missing)
    assert missing == []
    with pytest.raises(AttributeError):
        result.no_such_field  # noqa: B018


@pytest.mark.parametrize(
    ("spark_log", "expect"),
    [
        ("", "WARNING"),
        ("error", "nothing"),
        ("spark_core::resilience=warn", "WARNING"),
        ("spark_core::cache=trace", "nothing"),  # the router's warnings are filtered out by target
        ("spark_core=loud", "ignored"),
    ],
)
def test_spark_log_environment_variable(tmp_path: Any, spark_log: str, expect: str) -> None:
    # SPARK_LOG is read when the module loads; a bad value falls back to `warn` and says so.
    script = tmp_path / "spark_log.py"
    script.write_text(textwrap.dedent(f"""
        import logging, sys, time
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from mock_openai import MockServer
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(spark_target)s %(message)s")
        import spark

        server = MockServer().start()
        server.mode = "server_error"
        client = spark.Spark({{"providers": {{"order": ["openai"]}},
                               "retry": {{"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 2}},
                               "openai": {{"base_url": server.base_url, "api_key": "sk-x"}}}})
        try:
            client.generate("a spinning cube", no_cache=True)
        except spark.SparkError:
            pass
        time.sleep(0.3)
    """))
    env = dict(os.environ, SPARK_LOG=spark_log)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    if expect == "nothing":
        assert lines == []
    elif expect == "ignored":
        assert any("SPARK_LOG ignored" in line for line in lines), lines
        assert any(line.startswith("WARNING spark_core") for line in lines), lines
    else:
        assert any(line.startswith(f"{expect} spark_core") for line in lines), lines
