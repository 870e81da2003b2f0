"""The coroutine behind `Spark.agenerate`.

The native method returns `agenerate(start)`: a real coroutine, so `asyncio.create_task`,
`asyncio.iscoroutine` and type checkers see what the stub promises. `start()` makes the asyncio
future of the native work inside the running loop, when the coroutine first runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

_T = TypeVar("_T")


async def agenerate(start: Callable[[], Awaitable[_T]]) -> _T:
    return await start()
