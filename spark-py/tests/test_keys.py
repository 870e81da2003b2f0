"""Caller keys and tiers through the Python binding: a key is shown once and stored as a hash,
each failed check names its reason, and a key's tier decides its token limit before any call."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time

import pytest

import spark
from conftest import mock_config
from mock_openai import MockServer


def reason(client: spark.Spark, key: str) -> str:
    with pytest.raises(spark.Unauthenticated) as info:
        client.keys.verify(key)
    assert info.value.code == "unauthenticated"
    assert key[-64:] not in str(info.value)
    return str(info.value.reason)


def test_create_verify_list_revoke() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "spark.db")
        client = spark.Spark({"ledger": {"path": path}, "tiers": {"pro": {"tokens_per_minute": 5000}}})
        created = client.keys.create("alice", scopes=["generate", "usage"], tier="pro", name="ci")
        key = created.key
        assert key.startswith("spk_") and created.info["caller"] == "alice"
        assert key not in repr(created) and created.info["id"] in repr(created)

        info = client.keys.verify(key, scope="usage")
        assert (info["caller"], info["tier"], info["scopes"]) == ("alice", "pro", ["generate", "usage"])
        with pytest.raises(spark.Forbidden) as denied:
            client.keys.verify(key, scope="admin")
        assert denied.value.code == "forbidden" and denied.value.scope == "admin"
        assert isinstance(denied.value, PermissionError)

        assert reason(client, key[:-64] + "0" * 64) == "bad_secret"
        assert reason(client, "spk_" + "f" * 16 + key[-65:]) == "unknown_key"
        assert reason(client, "not a key") == "malformed_key"
        with pytest.raises(spark.InvalidRequest):
            client.keys.create("bob", tier="gold")

        short = client.keys.create("bob", expires_in=0.05)
        client.keys.verify(short.key)
        time.sleep(0.1)
        assert reason(client, short.key) == "expired"

        listed = client.keys.list()
        assert [k["caller"] for k in listed] == ["alice", "bob"]
        assert all(key[-64:] not in str(k) for k in listed)
        assert client.keys.revoke(info["id"])["revoked_ms"] is not None
        assert reason(client, key) == "revoked"

        db = sqlite3.connect(path)
        try:
            rows = db.execute("SELECT id, caller, hash FROM spark_keys ORDER BY created_ms").fetchall()
        finally:
            db.close()
        assert [r[:2] for r in rows] == [(info["id"], "alice"), (short.info["id"], "bob")]
        with open(path, "rb") as f:
            assert key[-64:].encode() not in f.read()


def test_a_keys_tier_limits_tokens_before_any_call(mock_server: MockServer) -> None:
    client = spark.Spark(
        mock_config(
            mock_server,
            tiers={"free": {"tokens_per_minute": 300}, "pro": {"tokens_per_minute": 100_000}},
            caller_tiers={"default": "free"},
        )
    )
    free = client.keys.verify(client.keys.create("dora").key, scope="generate")
    with pytest.raises(spark.RateLimited) as limited:
        client.generate("a rotating pickup", caller=free["caller"], tier=free["tier"], max_tokens=1000)
    assert limited.value.caller == "dora" and limited.value.retry_after > 0
    assert mock_server.calls == 0

    pro = client.keys.verify(client.keys.create("erin", tier="pro").key)
    result = client.generate("a rotating pickup", caller=pro["caller"], tier=pro["tier"], max_tokens=1000)
    assert result.files and mock_server.calls == 1
    with pytest.raises(spark.InvalidRequest):
        client.generate("a rotating pickup", caller="erin", tier="gold")
    assert mock_server.calls == 1
