"""The route solver of a request runs in a child process at a lower CPU priority.

Why (docs/performance.md, Round 13): a plan preview is ~0.2-5 s of search, and PyVRP's
iterated local search runs its loop in Python between native steps, so in a thread it holds
the web worker's GIL many times a millisecond; on the load test's 1,000 users the previews
were 17% of the API workers' GIL samples. In a child process it has its own GIL, and at
`SOLVER_PROCESS_NICE` the kernel gives the request handlers the CPU first when the machine is
full: a preview then takes longer (its budget is wall-clock time, so the search does fewer
iterations) instead of every request of the machine waiting behind it.

- `SOLVER_PROCESS_WORKERS` children per app worker process (0: the calling thread, as
  before), a `child_pool.ChildPool`: started on the first solve, with `spawn`.
- The solver is a pure function of the problem (`dispatch.solver.search`, no database, no
  settings), so a child needs no configuration and a call is safe to repeat: a child that dies
  mid-run (OOM, kill) costs a warning and the run is done again in the calling thread.
- Metrics are counted here, in the process whose registry is scraped.
- Callers are threads (the API's unit of work, the dashboard's background events): the call
  blocks its thread, never an event loop.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

from loguru import logger

from logistics_ai.child_pool import ChildPool
from logistics_ai.dispatch.model import Problem, Solution
from logistics_ai.dispatch.pyvrp_backend import PyVRPSolver
from logistics_ai.dispatch.solver import observe, search
from logistics_ai.observability import metrics
from logistics_ai.settings import get_settings


def _configuration() -> tuple[int, int, object]:
    settings = get_settings()
    return settings.solver_process_workers, settings.solver_process_nice, None


_children = ChildPool(_configuration)


def solve(problem: Problem) -> Solution:
    """`dispatch.solve(problem)` with the default solver, in a child process when configured."""
    pool = _children.current()
    try:
        if pool is None:
            solution = search(problem)
        else:
            try:
                solution = pool.submit(search, problem).result()
            except BrokenProcessPool:
                logger.warning("a solver process died; solving in this thread, new pool next")
                _children.discard(pool)
                solution = search(problem)
    except Exception:
        metrics.observe_optimizer_failure(PyVRPSolver.name)
        raise
    observe(solution)
    return solution


def children() -> set[int]:
    """The solver children's process ids (tests, diagnostics)."""
    return _children.children()


def shutdown() -> None:
    """Stop the children (app shutdown). Idempotent."""
    _children.shutdown()
