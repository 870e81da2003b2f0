from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from mock_openai import MockServer  # noqa: E402

import spark  # noqa: E402


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()


def mock_config(server: MockServer, **sections: Any) -> dict[str, Any]:
    """Configuration that sends every request to the loopback mock, without retries."""
    config: dict[str, Any] = {
        "providers": {"order": ["openai"]},
        "openai": {"base_url": server.base_url, "api_key": "sk-test-secret-123", "model": "gpt-4o-mini"},
        "retry": {"max_attempts": 1},
    }
    config.update(sections)
    return config


@pytest.fixture
def offline() -> spark.Spark:
    return spark.Spark({"providers": {"order": ["offline"]}})


def skip_if_provider_missing(error: BaseException) -> None:
    """The real OpenAI provider lands separately; until then the mock tests have nothing to call."""
    if isinstance(error, spark.InternalError) and "not implemented" in str(error):
        pytest.skip("the OpenAI provider is not implemented in this spark-core yet")
