"""generate / agenerate / stream with the offline scaffold (no network)."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest

import spark


def test_generate_offline_returns_files_and_metadata(offline: spark.Spark) -> None:
    result = offline.generate("a rotating pickup that plays a sound", caller="alice")
    assert result.provider == "offline"
    assert result.model == "offline-scaffold"
    assert result.offline is True
    assert [f.path for f in result.files] == ["RotatingPickup.cs"]
    source = result.files[0].content
    assert "public class RotatingPickup : MonoBehaviour" in source
    assert result.files[0] == result.files[0] and len({result.files[0], result.files[0]}) == 1
    assert result.diagnostics == []
    assert isinstance(result.usage, spark.Usage)
    assert result.usage.input_tokens == 0 and result.usage.output_tokens == 0
    assert result.usage.total_tokens == 0
    assert result.cost_usd == 0.0
    assert len(result.rounds) == 1 and result.rounds[0]["kept"] is True
    assert "```csharp" in result.raw
    assert len(result.request_hash) == 64
    assert result.to_dict()["files"][0]["path"] == "RotatingPickup.cs"
    assert repr(result).startswith("GeneratedScripts(provider='offline', model='offline-scaffold', files=['RotatingPickup.cs']")
    assert "cost_usd=0.0," in repr(result)


def test_spark_default_constructor_and_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    client = spark.Spark()
    assert client.offline is True
    assert client.providers == ["offline"]
    assert repr(client) == "Spark(providers=['offline'], offline=True)"
    assert "Unity" in client.system_prompt
    assert client.config["limits"]["max_prompt_bytes"] > 0
    assert spark.Spark.from_env().providers == ["offline"]


def test_constructors_from_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = '[providers]\norder = ["offline"]\n[export]\nroot = "MyGame"\n'
    path = tmp_path / "spark.toml"
    path.write_text(text)
    for client in (spark.Spark.from_toml(path), spark.Spark.from_toml(str(path)), spark.Spark.from_toml_str(text)):
        assert client.providers == ["offline"]
        assert client.config["export"]["root"] == "MyGame"
    assert spark.Spark.from_config({"export": {"root": "Other"}}).config["export"]["root"] == "Other"


def test_config_never_shows_the_api_key(mock_server) -> None:  # type: ignore[no-untyped-def]
    from conftest import mock_config

    client = spark.Spark(mock_config(mock_server))
    assert "sk-test-secret-123" not in str(client.config)
    assert "sk-test-secret-123" not in repr(client)


def test_on_event_receives_events_in_order(offline: spark.Spark) -> None:
    events: list[object] = []
    result = offline.generate("a door that opens", on_event=events.append)
    kinds = [e.type for e in events]  # type: ignore[attr-defined]
    assert kinds[0] == "started" and kinds[-2:] == ["diagnostics", "done"]
    assert set(kinds[1:-2]) == {"delta"} and len(kinds) > 4
    started = events[0]
    assert isinstance(started, spark.Started) and started.provider == "offline"
    text = "".join(e.text for e in events if isinstance(e, spark.Delta))
    assert text == result.raw
    done = events[-1]
    assert isinstance(done, spark.Done)
    assert [f.path for f in done.result.files] == [f.path for f in result.files] == ["Door.cs"]


def test_callback_exception_stops_and_propagates(offline: spark.Spark) -> None:
    seen: list[str] = []

    def boom(event: object) -> None:
        seen.append(event.type)  # type: ignore[attr-defined]
        if event.type == "delta":  # type: ignore[attr-defined]
            raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        offline.generate("a door that opens", on_event=boom, no_cache=True)
    assert seen == ["started", "delta"]


def test_sync_stream_iterates_events(offline: spark.Spark) -> None:
    stream = offline.stream("a spinning coin")
    events = list(stream)
    assert [e.type for e in events][0] == "started"
    assert isinstance(events[-1], spark.Done)
    assert isinstance(events[-2], spark.Diagnostics) and events[-2].diagnostics == []
    assert list(stream) == []  # finished: iteration ends at once
    assert repr(stream) == "EventStream(finished)"


def test_async_stream_in_order() -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}})

    async def run() -> list[object]:
        out = []
        async for event in client.stream("a jumping player with double jump"):
            out.append(event)
        return out

    events = asyncio.run(run())
    kinds = [e.type for e in events]  # type: ignore[attr-defined]
    assert kinds[0] == "started" and kinds[-1] == "done" and kinds[-2] == "diagnostics"
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.files[0].path == "JumpingPlayerWithDoubleJump.cs" or result.files[0].path.endswith(".cs")
    assert "".join(e.text for e in events if isinstance(e, spark.Delta)) == result.raw


def test_stream_close_stops_iteration(offline: spark.Spark) -> None:
    stream = offline.stream("a door that opens")
    first = next(stream)
    assert first.type == "started"
    stream.close()
    assert list(stream) == []

    async def run() -> list[object]:
        s = offline.stream("a door that opens", no_cache=True)
        await s.__anext__()
        await s.aclose()
        return [e async for e in s]

    assert asyncio.run(run()) == []


def test_agenerate_runs_concurrently() -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}})
    prompts = ["a rotating pickup", "a door that opens", "a health bar", "a spinning coin", "an enemy spawner"]

    async def run() -> list[spark.GeneratedScripts]:
        return await asyncio.gather(*(client.agenerate(p, caller=f"user{i}") for i, p in enumerate(prompts)))

    results = asyncio.run(run())
    assert len(results) == len(prompts)
    for r in results:
        assert r.offline and r.files and r.files[0].path.endswith(".cs")
    assert len({r.files[0].path for r in results}) == len(prompts)


def test_agenerate_with_on_event() -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}})
    events: list[str] = []

    async def run() -> spark.GeneratedScripts:
        return await client.agenerate("a door that opens", on_event=lambda e: events.append(e.type))

    result = asyncio.run(run())
    assert events[0] == "started" and events[-1] == "done"
    assert result.files[0].path == "Door.cs"


def test_agenerate_error_is_raised_in_the_coroutine() -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}})

    async def run() -> None:
        await client.agenerate("   ")

    with pytest.raises(spark.InvalidRequest) as info:
        asyncio.run(run())
    assert info.value.code == "invalid_request"


def test_export_zip_bytes(offline: spark.Spark) -> None:
    result = offline.generate("a rotating pickup that plays a sound")
    data = result.export("zip")
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        cs = [n for n in names if n.endswith("RotatingPickup.cs")]
        assert len(cs) == 1 and cs[0].startswith("Assets/")
        assert z.read(cs[0]).decode() == result.files[0].content
    assert offline.export(result, "zip") == data


def test_export_to_path(offline: spark.Spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = offline.generate("a rotating pickup that plays a sound")
    target = tmp_path / "Pickup.zip"
    assert result.export("zip", path=target) is None
    assert zipfile.is_zipfile(target)
    assert target.read_bytes() == result.export("zip")
    other = tmp_path / "Other.zip"
    assert offline.export(result, "zip", path=str(other)) is None
    assert other.read_bytes() == target.read_bytes()


def test_export_formats_by_name(offline: spark.Spark) -> None:
    result = offline.generate("a rotating pickup that plays a sound")
    assert zipfile.is_zipfile(io.BytesIO(result.export("ZIP")))
    with pytest.raises(spark.InvalidArgument) as info:
        result.export("rar")
    assert info.value.code == "invalid_argument" and "rar" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("fmt", ["upm", "unitypackage"])
def test_export_tarball_formats(offline: spark.Spark, fmt: str) -> None:
    import tarfile

    result = offline.generate("a rotating pickup that plays a sound")
    try:
        data = result.export(fmt)  # type: ignore[arg-type]
    except spark.InvalidArgument:
        pytest.skip(f"this spark-core has no `{fmt}` export yet")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
    if fmt == "upm":
        assert "package/package.json" in names
        assert any(n.startswith("package/") and n.endswith("RotatingPickup.cs") for n in names)
    else:
        assert any(n.endswith("/asset") for n in names) and any(n.endswith("/pathname") for n in names)


def test_export_to_missing_directory_is_io_error(offline: spark.Spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = offline.generate("a rotating pickup that plays a sound")
    with pytest.raises(spark.SparkIOError) as info:
        result.export("zip", path=tmp_path / "missing" / "x.zip")
    assert info.value.code == "io" and isinstance(info.value, OSError)


def test_cache_serves_repeat_requests(offline: spark.Spark) -> None:
    a = offline.generate("a door that opens")
    b = offline.generate("a door that opens")
    assert a.files == b.files
