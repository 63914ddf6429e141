"""Child processes for CPU-bound work that must not run under a web worker's GIL.

A thread of the web worker that runs Python CPU work holds the GIL in long stretches, and the
worker's event loop (every API request and dashboard event of that process) waits behind it.
A child process has its own GIL, and it can run at a lower CPU priority than the workers, so
that on a full machine the requests win the CPU and the batch work takes longer instead.

`ChildPool` owns that pattern once: a `ProcessPoolExecutor` created lazily on first use,
started with `spawn` (no fork of a process holding threads, sockets and an event loop), bound
to the configuration it was started with (a changed configuration replaces the pool, so tests
that point the app elsewhere never talk to children started for the old one), discarded when a
child dies so that the next call gets a fresh pool, and stopped at app shutdown. Users:
`logistics_ai/ai/offload.py` (the copilot's tools) and `logistics_ai/services/solver_pool.py`
(the route solver).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def _child_init(nice: int) -> None:
    # Ctrl-C and the server's SIGINT go to the whole process group; the parent shuts the pool
    # down in order, so a child must not die half-way through a call on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        os.nice(nice)


class ChildPool:
    """A lazily started process pool, sized and prioritised by `configure()`.

    `configure()` is read on every use and returns `(processes, nice, binding)`: no pool when
    `processes` is 0 (callers then run the work in a thread), each child's niceness, and any
    value the children depend on, compared with `==` (a pool started for another binding is
    replaced).
    """

    def __init__(self, configure: Callable[[], tuple[int, int, object]]) -> None:
        self._configure = configure
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._bound: tuple[int, int, object] | None = None

    def current(self) -> ProcessPoolExecutor | None:
        """The pool for the current configuration (started now if needed), or None."""
        wanted = self._configure()
        with self._lock:
            if self._pool is not None and self._bound != wanted:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool, self._bound = None, None
            processes, nice, _binding = wanted
            if self._pool is None and processes > 0:
                self._pool = ProcessPoolExecutor(
                    max_workers=processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_init,
                    initargs=(nice,),
                )
                self._bound = wanted
            return self._pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool (a child died); the next `current()` starts a fresh one."""
        with self._lock:
            if self._pool is pool:
                self._pool, self._bound = None, None
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the children (app shutdown, tests). Idempotent."""
        with self._lock:
            pool, self._pool, self._bound = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def children(self) -> set[int]:
        """The running children's process ids (for tests and diagnostics)."""
        with self._lock:
            pool = self._pool
        return set(pool._processes or {}) if pool is not None else set()
