"""The copilot's tool calls run in a small process pool, not in threads of the web worker.

Why: the tools (cheapest insertion for "best driver", late-risk explanations, the database
reads around them) are Python CPU work. In a thread they hold the GIL in long stretches, and
the worker's event loop, which serves every dashboard event and API request of that process,
waited behind them (bench ai --loop: ticker p95 3.4 ms idle, 11-25 ms while the copilot
answered). A child process has its own GIL.

- Created lazily on the first tool call, `AI_PROCESS_WORKERS` processes (0: threads, as
  before), started with `spawn` (no fork of a process holding threads, sockets and an event
  loop). Each child builds its own engine and Redis client from the same environment.
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
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from loguru import logger

from logistics_ai.ai.tools import run_tool
from logistics_ai.domain.actors import Actor
from logistics_ai.settings import Settings, get_settings

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_bound_to: Settings | None = None
_bound_values: dict[str, Any] | None = None


def _child_init() -> None:
    # Ctrl-C and the server's SIGINT go to the whole process group; the parent shuts the pool
    # down in order, so a child must not die half-way through a tool on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _usable(settings: Settings) -> bool:
    return settings.ai_process_workers > 0 and bool(settings.redis_url)


def _current() -> ProcessPoolExecutor | None:
    global _pool, _bound_to, _bound_values
    settings = get_settings()
    with _lock:
        if _pool is not None and _bound_to is not settings:
            values = settings.model_dump()
            if values == _bound_values:
                _bound_to = settings  # reloaded, same values: the children are still right
            else:
                _pool.shutdown(wait=False, cancel_futures=True)
                _pool, _bound_to, _bound_values = None, None, None
        if _pool is None and _usable(settings):
            _pool = ProcessPoolExecutor(
                max_workers=settings.ai_process_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init,
            )
            _bound_to, _bound_values = settings, settings.model_dump()
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool, _bound_to, _bound_values
    with _lock:
        if _pool is pool:
            _pool, _bound_to, _bound_values = None, None, None
    pool.shutdown(wait=False, cancel_futures=True)


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
        _discard(pool)
        return {"error": "That lookup failed; please ask again."}


def shutdown() -> None:
    """Stop the children (app shutdown). Idempotent."""
    global _pool, _bound_to, _bound_values
    with _lock:
        pool, _pool, _bound_to, _bound_values = _pool, None, None, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
