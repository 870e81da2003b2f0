"""Metrics, health and usage analytics through the Python binding."""

from __future__ import annotations

import json
import re

import spark
from conftest import mock_config
from mock_openai import MockServer


def _sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, value = line.rsplit(" ", 1)
        sample_name, _, rest = head.partition("{")
        if sample_name != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total


def test_metrics_text_counts_requests_and_cache_hits(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    before = client.metrics_text()
    assert "# TYPE spark_requests_total counter" in before
    assert _sample(before, "spark_requests_total") == 0
    client.generate("a rotating pickup", caller="alice")
    client.generate("a rotating pickup", caller="alice")
    text = client.metrics_text()
    assert _sample(text, "spark_requests_total", provider="openai", outcome="ok") == 2
    assert _sample(text, "spark_cache_requests_total", outcome="miss") == 1
    assert _sample(text, "spark_cache_requests_total", outcome="result_hit") == 1
    assert _sample(text, "spark_request_duration_seconds_count") == 2
    assert mock_server.calls == 1
    # Caller ids and keys never reach the metrics.
    assert "alice" not in text and "sk-test" not in text


def test_metrics_can_be_turned_off(offline: spark.Spark) -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}, "metrics": {"enabled": False}})
    client.generate("a door")
    assert client.metrics_text() == ""
    assert offline.metrics_text() != ""


def test_health_reports_providers_cache_and_queue(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    client.generate("a rotating pickup")
    h = client.health()
    assert h["ready"] is True
    [p] = h["providers"]
    assert p["name"] == "openai" and p["breaker"] == "closed" and p["usable"] is True
    assert p["recent_attempts"] == 1 and p["recent_error_rate"] == 0.0
    assert p["recent_latency_ms"] >= 0
    assert h["cache_entries"] >= 0 and 0.0 <= h["cache_fill"] <= 1.0
    assert h["queue_depth"] == 0 and h["ledger"] == "off"


def test_usage_analytics_group_rank_and_report(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server, ledger={"enabled": True}))
    for caller in ["alice", "alice", "bob"]:
        client.generate("a rotating pickup", caller=caller, no_cache=True)
    by_provider = client.usage_by(group_by="provider", period="day")
    assert [(g["key"], g["requests"], g["error_rate"]) for g in by_provider] == [("openai", 3, 0.0)]
    top = client.top_callers(period="day", rank_by="requests", limit=1)
    assert [(g["key"], g["requests"]) for g in top] == [("alice", 2)]
    report = json.loads(client.usage_report(period="day"))
    assert [g["key"] for g in report["by_caller"]] == ["alice", "bob"]
    assert report["top_callers"][0]["key"] == "alice"
    assert len(report["by_day"]) == 1
    try:
        client.usage_by(group_by="week")  # type: ignore[arg-type]
    except spark.InvalidRequest:
        pass
    else:
        raise AssertionError("a bad group_by must be InvalidRequest")
