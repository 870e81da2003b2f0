"""Error mapping: every core error code arrives as the right exception with its stable code."""

from __future__ import annotations

import asyncio
import pickle

import pytest

import spark
from conftest import mock_config
from mock_openai import MockServer


def test_error_code_table() -> None:
    assert spark.ERROR_CODES["rate_limited"] == 6
    assert spark.ERROR_CODES["invalid_request"] == 1
    assert len(spark.ERROR_CODES) == len(set(spark.ERROR_CODES.values()))


def test_hierarchy() -> None:
    for cls in (spark.RateLimited, spark.InvalidRequest, spark.ConfigError, spark.ProviderError, spark.Timeout,
                spark.ValidationFailed, spark.ExportError, spark.QueueFull, spark.CircuitOpen):
        assert issubclass(cls, spark.SparkError)
    assert issubclass(spark.MissingApiKey, spark.ConfigError)
    assert issubclass(spark.AuthenticationError, spark.ProviderError)
    assert issubclass(spark.InvalidRequest, ValueError)
    assert issubclass(spark.Timeout, TimeoutError)
    assert issubclass(spark.ConnectionFailed, ConnectionError)
    assert spark.RateLimited.__module__ == "spark"


def test_empty_prompt_is_invalid_request(offline: spark.Spark) -> None:
    with pytest.raises(spark.InvalidRequest) as info:
        offline.generate("")
    e = info.value
    assert e.code == "invalid_request" and e.code_number == 1
    assert "prompt" in str(e) and e.message == str(e)
    assert e.status is None and e.retry_after is None


def test_bad_options_are_invalid(offline: spark.Spark) -> None:
    with pytest.raises(spark.SparkError) as info:
        offline.generate("a door", temperature=5.0)
    assert info.value.code in ("invalid_request", "invalid_config")
    with pytest.raises(spark.InvalidRequest):
        offline.generate("a door", max_tokens=0)


def test_rate_limited_second_request_from_same_caller(mock_server: MockServer) -> None:
    # Limits protect provider spend: they apply to a model provider, not to the offline scaffold.
    client = spark.Spark(mock_config(mock_server, rate_limit={"enabled": True, "requests_per_minute": 1, "burst": 1}))
    client.generate("a rotating pickup", caller="alice")
    with pytest.raises(spark.RateLimited) as info:
        client.generate("a rotating door", caller="alice")
    e = info.value
    assert e.code == "rate_limited" and e.code_number == spark.ERROR_CODES["rate_limited"]
    assert e.caller == "alice"
    assert e.retry_after is not None and 0 < e.retry_after <= 60
    client.generate("a rotating door", caller="bob")  # other callers are not limited

    async def again() -> None:
        await client.agenerate("a door", caller="alice")

    with pytest.raises(spark.RateLimited):
        asyncio.run(again())

    async def streamed() -> None:
        async for _ in client.stream("a door", caller="alice"):
            pass

    with pytest.raises(spark.RateLimited):
        asyncio.run(streamed())


def test_offline_calls_are_never_rate_limited() -> None:
    client = spark.Spark({"rate_limit": {"enabled": True, "requests_per_minute": 1, "burst": 1}})
    for i in range(50):
        client.generate(f"a rotating pickup {i}", caller="alice")


def test_bad_config_names_the_field() -> None:
    with pytest.raises(spark.ConfigError) as info:
        spark.Spark({"openai": {"temperature": 9.0}})
    assert info.value.field == "openai.temperature" and info.value.code == "invalid_config"
    with pytest.raises(spark.ConfigError) as info:
        spark.Spark.from_config({"cache": {"max_bytes": "lots"}})
    assert info.value.field == "cache.max_bytes"
    with pytest.raises(spark.ConfigError) as info:
        spark.Spark({"cache": {"not_a_field": 1}})
    assert "not_a_field" in str(info.value)
    with pytest.raises(spark.ConfigError) as info:
        spark.Spark.from_toml_str("[limits]\nmax_prompt_bytes = 0\n")
    assert info.value.field == "limits.max_prompt_bytes"
    with pytest.raises(spark.ConfigError):
        spark.Spark.from_toml("/nonexistent/spark.toml")
    assert isinstance(info.value, ValueError)


def test_missing_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(spark.MissingApiKey) as info:
        spark.Spark({"providers": {"order": ["anthropic"]}})
    e = info.value
    assert e.code == "missing_api_key" and e.env_var == "ANTHROPIC_API_KEY" and e.provider == "anthropic"
    assert isinstance(e, spark.ConfigError)


def test_prompt_too_large(offline: spark.Spark) -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}, "limits": {"max_prompt_bytes": 10}})
    with pytest.raises(spark.InputTooLarge) as info:
        client.generate("a rotating pickup that plays a sound")
    assert info.value.code == "input_too_large" and info.value.what == "prompt"


def test_exceptions_pickle(offline: spark.Spark) -> None:
    with pytest.raises(spark.InvalidRequest) as info:
        offline.generate("")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is spark.InvalidRequest and copy.code == "invalid_request"


# Wrong Python types get TypeError before anything reaches the core.
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.generate(42),
        lambda s: s.generate(None),
        lambda s: s.generate(b"bytes prompt"),
        lambda s: s.generate("ok", caller=7),
        lambda s: s.generate("ok", max_tokens="many"),
        lambda s: s.generate("ok", temperature="hot"),
        lambda s: s.generate("ok", no_cache="yes"),
        lambda s: s.generate("ok", on_event=5),
        lambda s: s.generate("ok", unknown_option=1),
        lambda s: s.generate("ok", "positional-caller"),
        lambda s: s.agenerate(3.5),
        lambda s: s.stream(["list"]),
        lambda s: s.validate(123),
        lambda s: s.validate("class A {}", file_name=1),
        lambda s: s.export("not a result", "zip"),
        lambda s: s.export(s.generate("a door"), 3),
        lambda s: spark.Spark.from_config(["not", "a", "dict"]),
        lambda s: spark.Spark({"cache": {"enabled": object()}}),
        lambda s: spark.Spark.from_toml(42),
        lambda s: spark.Spark.from_toml_str(None),
        lambda s: spark.validate(None),
    ],
)
def test_wrong_types_raise_type_error(offline: spark.Spark, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        call(offline)


def test_result_classes_cannot_be_built_or_changed(offline: spark.Spark) -> None:
    result = offline.generate("a door")
    with pytest.raises(TypeError):
        spark.GeneratedScripts()  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        result.provider = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.files[0].path = "x"  # type: ignore[misc]
