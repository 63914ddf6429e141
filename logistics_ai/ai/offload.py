"""The copilot's tool calls run in a small process pool, not in threads of the web worker.

Why: the tools (cheapest insertion for "best driver", late-risk explanations, the database
reads around them) are Python CPU work. In a thread they hold the GIL in long stretches, and
the worker's event loop, which serves every dashboard event and API request of that process,
waited behind them (bench ai --loop: ticker p95 3.4 ms idle, 11-25 ms while the copilot
answered). A child process has its own GIL.

- `AI_PROCESS_WORKERS` processes (0: threads, as before), a `child_pool.ChildPool` (created
  lazily, started with `spawn`). Each child builds its own engine and Redis client from the
  same environment.
- Only with a shared store: proposals (kvstore) and live events (bus) written in a child must
  be seen by this process. Without `REDIS_URL` both are in-memory, so tools run in threads.
- Bound to the settings it was started with: when settings are reloaded with different values
  (tests point the app at another database), the pool is replaced rather than reused with
  children that read the old environment; reloaded but equal settings keep it.
- A child that dies (OOM, kill) fails that one call with an error result, never a retry (a
  tool may have written its audit row); the next call starts a fresh pool.
- `shutdown()` runs at app stop (Reflex lifespan task and the API's FastAPI lifespan).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from loguru import logger

from logistics_ai.ai.tools import run_tool
from logistics_ai.child_pool import ChildPool
from logistics_ai.domain.actors import Actor
from logistics_ai.settings import get_settings


def _configuration() -> tuple[int, int, object]:
    settings = get_settings()
    usable = settings.ai_process_workers > 0 and bool(settings.redis_url)
    # The children read the whole environment (database, Redis, keys): any change rebinds.
    return (settings.ai_process_workers if usable else 0), 0, settings.model_dump()


_children = ChildPool(_configuration)


def _current() -> ProcessPoolExecutor | None:
    return _children.current()


def uses_processes() -> bool:
    """Whether tool calls currently go to child processes (for metrics and tests)."""
    return _current() is not None


async def call_tool(actor: Actor, conversation_id: str, name: str, raw_args: str) -> dict[str, Any]:
    """`tools.run_tool` off this process when possible, else in a thread; same result."""
    pool = _current()
    if pool is None:
        return await asyncio.to_thread(run_tool, actor, conversation_id, name, raw_args)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(pool, run_tool, actor, conversation_id, name, raw_args)
    except BrokenProcessPool:
        logger.warning("AI tool process died during {}; starting a new pool", name[:60])
        _children.discard(pool)
        return {"error": "That lookup failed; please ask again."}


def shutdown() -> None:
    """Stop the children (app shutdown). Idempotent."""
    _children.shutdown()
