"""The GIL is released while the core works; blocked calls stay interruptible and cancellable."""

from __future__ import annotations

import _thread
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import mock_config
from mock_openai import MockServer

import spark


def test_generate_releases_the_gil_while_waiting(mock_server: MockServer) -> None:
    # The mock runs on Python threads of this process: it can only answer, and this thread can
    # only see the request arrive, if `generate` released the GIL while it waits.
    mock_server.gate = threading.Event()
    client = spark.Spark(mock_config(mock_server))
    result: list[spark.GeneratedScripts] = []
    worker = threading.Thread(target=lambda: result.append(client.generate("a spinning cube", no_cache=True)))
    worker.start()
    assert mock_server.arrived.wait(timeout=30)
    assert worker.is_alive() and not result  # still waiting for the gated reply
    mock_server.gate.set()
    worker.join(timeout=30)
    assert result and result[0].files[0].path == "Spinner.cs"


def test_blocked_generate_is_interruptible(mock_server: MockServer) -> None:
    mock_server.gate = threading.Event()
    client = spark.Spark(mock_config(mock_server))

    def interrupt_when_in_flight() -> None:
        mock_server.arrived.wait(timeout=30)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_when_in_flight).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.generate("a spinning cube", no_cache=True)
    finally:
        mock_server.gate.set()


def test_agenerate_can_be_cancelled(mock_server: MockServer) -> None:
    mock_server.gate = threading.Event()
    client = spark.Spark(mock_config(mock_server))

    async def run() -> None:
        task = asyncio.ensure_future(client.agenerate("a spinning cube", no_cache=True))
        while not mock_server.arrived.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(run())
    finally:
        mock_server.gate.set()


def test_threads_share_one_client() -> None:
    client = spark.Spark({"providers": {"order": ["offline"]}, "rate_limit": {"enabled": False}})
    prompts = [f"a rotating pickup number {i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: client.generate(p, no_cache=True), prompts))
        diags = list(pool.map(lambda r: client.validate(r.files[0].content, r.files[0].path), results))
    assert all(r.files and r.offline for r in results)
    assert diags == [[] for _ in prompts]


def test_sync_calls_inside_an_agenerate_callback() -> None:
    # The callback of agenerate runs on a runtime worker thread; blocking calls there must work.
    client = spark.Spark({"providers": {"order": ["offline"]}, "rate_limit": {"enabled": False}})
    inner: list[str] = []

    def on_event(event: object) -> None:
        if event.type == "done" and not inner:  # type: ignore[attr-defined]
            inner.extend(e.type for e in client.stream("a door that opens", no_cache=True))
            inner.append(client.generate("a health bar", no_cache=True).files[0].path)

    async def run() -> spark.GeneratedScripts:
        return await client.agenerate("a spinning coin", no_cache=True, on_event=on_event)

    result = asyncio.run(run())
    assert result.files[0].path.endswith(".cs")
    assert inner[0] == "started" and inner[-2] == "done" and inner[-1] == "HealthBar.cs"
