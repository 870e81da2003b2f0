"""Typed usage of the public API, checked with `mypy --strict --warn-unused-ignores` (not run).

Every `# type: ignore[...]` below marks a call the stubs must reject: if the stubs ever accept
it, mypy reports the ignore as unused and the check fails.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import spark


def sync_usage(client: spark.Spark) -> bytes:
    result: spark.GeneratedScripts = client.generate(
        "a rotating pickup", caller="alice", model=None, max_tokens=512, temperature=0.2,
        repair_rounds=1, no_cache=True, on_event=lambda e: print(e.type),
    )
    paths: list[str] = [f.path for f in result.files]
    lines: list[int] = [d.line for d in result.diagnostics if d.severity == "error"]
    tokens: int = result.usage.input_tokens + result.usage.output_tokens
    cost: float | None = result.cost_usd
    print(paths, lines, tokens, cost, result.provider, result.model, result.offline, result.rounds, result.raw)
    result.export("upm", path=Path("out.tgz"))
    none: None = client.export(result, "unitypackage", path="out.unitypackage")
    print(none)
    diagnostics: list[spark.Diagnostic] = client.validate("class A {}", "A.cs") + spark.validate("class B {}")
    print(diagnostics)
    project: list[spark.Diagnostic] = client.validate_project(result.files) + spark.validate_project(
        {"Assets/A.cs": "class A {}"}, [("Assets/Game.asmdef", '{"name": "Game"}')]
    )
    print(project)
    return result.export("zip")


async def async_usage(client: spark.Spark) -> spark.GeneratedScripts:
    results = await asyncio.gather(client.agenerate("a"), client.agenerate("b"))
    # agenerate returns a coroutine: a task of it is typed by the result.
    task: asyncio.Task[spark.GeneratedScripts] = asyncio.create_task(client.agenerate("c"))
    print((await task).files)
    spark.set_log_filter("spark_core=debug")
    async for event in client.stream("a door"):
        if isinstance(event, spark.Delta):
            text: str = event.text
            print(text)
        elif isinstance(event, spark.Done):
            return event.result
    return results[0]


def errors(client: spark.Spark) -> None:
    try:
        client.generate("x")
    except spark.RateLimited as e:
        wait: float | None = e.retry_after
        code: str = e.code
        number: int = e.code_number
        print(wait, code, number)
    except spark.ProviderError as e:
        status: int | None = e.status
        print(status, e.request_id)
    except spark.SparkError as e:
        print(e.code)


def constructors() -> list[spark.Spark]:
    return [spark.Spark(), spark.Spark({"providers": {"order": ["offline"]}}), spark.Spark.from_env(),
            spark.Spark.from_toml("spark.toml"), spark.Spark.from_toml(Path("spark.toml")),
            spark.Spark.from_toml_str("[cache]\nenabled = false\n"), spark.Spark.from_config({})]


def rejected(client: spark.Spark, result: spark.GeneratedScripts) -> None:
    client.generate(42)  # type: ignore[arg-type]
    client.generate("x", "positional")  # type: ignore[call-arg]
    client.generate("x", max_tokens="many")  # type: ignore[arg-type]
    result.export("rar")  # type: ignore[call-overload]
    result.provider = "x"  # type: ignore[misc]
    client.validate(b"bytes")  # type: ignore[arg-type]
    spark.Spark.from_config("nope")  # type: ignore[arg-type]
