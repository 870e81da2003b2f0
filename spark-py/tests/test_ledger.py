"""The usage ledger and budgets through the Python binding."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile

import pytest

import spark
from conftest import mock_config
from mock_openai import MockServer


def test_usage_per_caller_and_export(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server, ledger={"enabled": True}))
    for _ in range(2):
        client.generate("a rotating pickup", caller="alice", no_cache=True)
    client.generate("a door", caller="bob")
    alice = client.usage(caller="alice", period="day")
    assert len(alice) == 1
    row = alice[0]
    assert row["caller"] == "alice" and row["requests"] == 2 and row["errors"] == 0
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0
    assert row["cost_usd"] > 0
    everyone = client.usage(period="month")
    assert [r["caller"] for r in everyone] == ["alice", "bob"]
    exported = json.loads(client.export_usage(caller="bob", period="all"))
    assert exported["caller"] == "bob" and exported["from"] is None
    assert [r["caller"] for r in exported["records"]] == ["bob"]
    assert exported["records"][0]["outcome"] == "ok" and exported["records"][0]["time"].endswith("Z")
    with pytest.raises(spark.InvalidRequest):
        client.usage(period="week")  # type: ignore[arg-type]


def test_budget_refusal_is_quota_exceeded_before_any_call(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server, budget={"caller_daily_usd": 0.0}))
    with pytest.raises(spark.QuotaExceeded) as info:
        client.generate("a rotating pickup", caller="carol")
    e = info.value
    assert e.code == "quota_exceeded" and e.scope == "carol"
    assert "daily budget" in str(e)
    assert mock_server.calls == 0
    assert client.usage(caller="carol")[0]["errors"] == 1


def test_a_file_ledger_is_sqlite_in_wal_mode(mock_server: MockServer) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "usage.db")
        client = spark.Spark(mock_config(mock_server, ledger={"path": path}))
        result = client.generate("a rotating pickup", caller="dave")
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            rows = db.execute("SELECT request_id, caller, outcome FROM spark_usage").fetchall()
        finally:
            db.close()
        assert rows == [(result.request_id, "dave", "ok")]
