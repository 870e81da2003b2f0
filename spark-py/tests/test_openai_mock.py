"""generate against a loopback OpenAI-compatible mock: the real OpenAI provider end to end."""

from __future__ import annotations

import asyncio

import pytest
from conftest import mock_config, skip_if_provider_missing
from mock_openai import SCRIPT, MockServer

import spark


def generate(client: spark.Spark, prompt: str, **kw: object) -> spark.GeneratedScripts:
    try:
        return client.generate(prompt, **kw)  # type: ignore[arg-type]
    except spark.SparkError as e:
        skip_if_provider_missing(e)
        raise


def test_generate_against_mock(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    assert client.providers == ["openai"] and client.offline is False
    result = generate(client, "a spinning cube", caller="alice", no_cache=True, repair_rounds=0)
    assert result.provider == "openai" and result.offline is False
    assert result.model == "gpt-4o-mini"
    assert [(f.path, f.content) for f in result.files] == [("Spinner.cs", SCRIPT)]
    assert result.diagnostics == []
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 80)
    assert result.cost_usd is not None and result.cost_usd > 0
    assert result.stop_reason == "end_turn"
    sent = mock_server.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"].get("authorization") == "Bearer sk-test-secret-123"
    assert sent["body"]["model"] == "gpt-4o-mini"
    assert "a spinning cube" in sent["body"]["messages"][-1]["content"]


def test_stream_against_mock_sse(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    events: list[object] = []
    result = generate(client, "a spinning cube", no_cache=True, on_event=events.append)
    kinds = [e.type for e in events]  # type: ignore[attr-defined]
    assert kinds[0] == "started" and kinds[-2:] == ["diagnostics", "done"]
    deltas = [e.text for e in events if isinstance(e, spark.Delta)]
    assert len(deltas) > 3 and "".join(deltas) == result.raw
    assert mock_server.requests[-1]["body"].get("stream") is True
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 80)
    assert result.files[0].path == "Spinner.cs"


def test_async_against_mock(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))

    async def run() -> list[spark.GeneratedScripts]:
        return await asyncio.gather(*(client.agenerate(f"a spinning cube {i}", no_cache=True) for i in range(4)))

    try:
        results = asyncio.run(run())
    except spark.SparkError as e:
        skip_if_provider_missing(e)
        raise
    assert all(r.files[0].path == "Spinner.cs" and r.provider == "openai" for r in results)
    assert mock_server.calls >= 4


def test_cache_avoids_second_call(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    generate(client, "a spinning cube")
    calls = mock_server.calls
    again = generate(client, "a spinning cube")
    assert mock_server.calls == calls and again.files[0].path == "Spinner.cs"


def test_429_maps_to_rate_limited_with_provider_details(mock_server: MockServer) -> None:
    mock_server.mode = "rate_limited"
    client = spark.Spark(mock_config(mock_server))
    with pytest.raises(spark.SparkError) as info:
        generate(client, "a spinning cube", no_cache=True)
    e = info.value
    # The core maps a provider 429 `rate_limit_exceeded` to the rate_limited code.
    assert isinstance(e, spark.RateLimited), repr(e)
    assert e.code == "rate_limited" and e.code_number == spark.ERROR_CODES["rate_limited"]
    assert e.provider == "openai" and e.status == 429
    assert e.retry_after == 7.0
    assert e.request_id is not None and e.request_id.startswith("req_")
    # SPARK's own id of the failed generation (generated: 32 hex digits).
    assert isinstance(e.spark_request_id, str) and len(e.spark_request_id) == 32, e.spark_request_id
    assert "sk-test-secret-123" not in str(e)


def test_stream_errors_carry_the_request_id(mock_server: MockServer) -> None:
    mock_server.mode = "rate_limited"
    client = spark.Spark(mock_config(mock_server))
    with pytest.raises(spark.RateLimited) as info:
        for _ in client.stream("a spinning cube", no_cache=True):
            pass
    generated = info.value.spark_request_id
    assert isinstance(generated, str) and len(generated) == 32, generated

    async def drain() -> None:
        async for _ in client.stream("a spinning cube", no_cache=True, request_id="order-17"):
            pass

    with pytest.raises(spark.RateLimited) as named:
        asyncio.run(drain())
    assert named.value.spark_request_id == "order-17"
    assert named.value.request_id is not None and named.value.request_id.startswith("req_")


def test_401_maps_to_authentication_error(mock_server: MockServer) -> None:
    mock_server.mode = "unauthorized"
    client = spark.Spark(mock_config(mock_server))
    with pytest.raises(spark.SparkError) as info:
        generate(client, "a spinning cube", no_cache=True)
    e = info.value
    assert isinstance(e, spark.AuthenticationError) and isinstance(e, spark.ProviderError), repr(e)
    assert e.code == "authentication" and e.status == 401
    assert "sk-test-secret-123" not in str(e)


def test_connection_refused_is_connection_failed() -> None:
    server = MockServer()
    url = server.base_url
    server.server_close()  # nothing listens there any more
    client = spark.Spark({
        "providers": {"order": ["openai"]},
        "openai": {"base_url": url, "api_key": "sk-test"},
        "retry": {"max_attempts": 1},
    })
    with pytest.raises(spark.SparkError) as info:
        generate(client, "a spinning cube", no_cache=True)
    assert isinstance(info.value, spark.ConnectionFailed), repr(info.value)
    assert info.value.code == "connection"


def test_cache_stats_and_provider_status(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    generate(client, "a spinning cube")
    generate(client, "a spinning cube")
    stats = client.cache_stats()
    assert stats["hits"] == 1 and stats["misses"] == 1  # (entries: moka counts lazily)
    status = client.provider_status()
    assert [s["name"] for s in status] == ["openai"]
    assert status[0]["state"] == "closed" and status[0]["successes"] == 1


def test_500_then_breaker_opens(mock_server: MockServer) -> None:
    mock_server.mode = "server_error"
    client = spark.Spark(mock_config(mock_server, breaker={"failure_threshold": 2, "cooldown_ms": 60000}))
    for _ in range(2):
        with pytest.raises(spark.ProviderError) as info:
            generate(client, "a spinning cube", no_cache=True)
        assert info.value.code == "provider_failed" and info.value.status == 500
    calls = mock_server.calls
    with pytest.raises(spark.CircuitOpen) as opened:
        generate(client, "a spinning cube", no_cache=True)
    assert opened.value.code == "circuit_open" and opened.value.provider == "openai"
    assert opened.value.retry_after is not None and opened.value.retry_after > 0
    assert mock_server.calls == calls  # refused without touching the network
    assert client.provider_status()[0]["state"] == "open"


BROKEN = """using UnityEngine;

public class Spinner : MonoBehaviour
{
    private void Update()
    {
        transform.Rotate(0f, 1f, 0f)
    }
}
"""


def test_blocking_diagnostics_raise_validation_failed(mock_server: MockServer) -> None:
    mock_server.reply = "### Spinner.cs\n```csharp\n" + BROKEN + "```\n"
    client = spark.Spark(mock_config(mock_server, validation={"fail_on_blocking": True}))
    with pytest.raises(spark.ValidationFailed) as info:
        generate(client, "a spinning cube", no_cache=True, repair_rounds=0)
    e = info.value
    assert e.code == "validation_failed"
    assert e.diagnostics and all(isinstance(d, spark.Diagnostic) for d in e.diagnostics)
    first = e.diagnostics[0]
    assert first.severity == "error" and first.file == "Spinner.cs" and first.line == 7


def test_broken_reply_is_returned_with_diagnostics_by_default(mock_server: MockServer) -> None:
    mock_server.reply = "### Spinner.cs\n```csharp\n" + BROKEN + "```\n"
    client = spark.Spark(mock_config(mock_server))
    result = generate(client, "a spinning cube", no_cache=True, repair_rounds=0)
    assert [d.severity for d in result.diagnostics][:1] == ["error"]
    assert result.diagnostics[0].line == 7


def test_deadline_raises_timeout(mock_server: MockServer) -> None:
    import threading

    mock_server.gate = threading.Event()
    client = spark.Spark(mock_config(mock_server, timeouts={"first_token_ms": 200, "total_ms": 300}))
    try:
        with pytest.raises(spark.Timeout) as info:
            generate(client, "a spinning cube", no_cache=True)
    finally:
        mock_server.gate.set()
    e = info.value
    assert e.code == "timeout" and isinstance(e, TimeoutError)
    assert e.stage in ("first_token", "total")


def test_json_answer_to_a_streaming_request(mock_server: MockServer) -> None:
    mock_server.json_only = True
    client = spark.Spark(mock_config(mock_server))
    result = generate(client, "a spinning cube", no_cache=True, repair_rounds=0)
    assert [(f.path, f.content) for f in result.files] == [("Spinner.cs", SCRIPT)]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 80)


def test_request_id_and_traceparent_reach_the_provider(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server))
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    result = client.generate("a spinning cube", no_cache=True, request_id="py-req-1", traceparent=parent)
    assert result.request_id == "py-req-1"
    sent = mock_server.requests[-1]["headers"]
    assert sent["x-request-id"] == "py-req-1"
    # Same trace, a new span of SPARK's own.
    version, trace_id, span_id, flags = sent["traceparent"].split("-")
    assert (version, trace_id) == ("00", "4bf92f3577b34da6a3ce929d0e0e4736")
    assert span_id != "00f067aa0ba902b7" and len(span_id) == 16
    # A malformed traceparent starts a new trace rather than failing the request.
    again = client.generate("a spinning cube", no_cache=True, traceparent="not-a-trace")
    assert again.files and len(mock_server.requests[-1]["headers"]["traceparent"].split("-")[1]) == 32


def test_request_provider_and_unity_version(mock_server: MockServer) -> None:
    client = spark.Spark(mock_config(mock_server, providers={"order": ["openai", "offline"]}))
    # Pinned to the offline scaffold: the OpenAI-compatible server is not called.
    before = len(mock_server.requests)
    result = generate(client, "a spinning cube", provider="offline", no_cache=True)
    assert result.provider == "offline" and len(mock_server.requests) == before
    # A Unity version of the request's own reaches the system prompt.
    result = generate(client, "a spinning cube", provider="openai", unity_version="6000.0", no_cache=True)
    assert result.provider == "openai"
    system = mock_server.requests[-1]["body"]["messages"][0]
    assert system["role"] == "system" and "Unity 6000.0" in system["content"]
    for kw in ({"provider": "anthropic"}, {"unity_version": "latest"}):
        with pytest.raises(spark.SparkError) as info:
            client.generate("a spinning cube", **kw)  # type: ignore[arg-type]
        assert info.value.code == "invalid_request", kw
