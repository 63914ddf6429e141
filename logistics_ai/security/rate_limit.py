"""Rate limits kept in the shared store (Redis in production): one atomic call per check.

Fixed windows with a sliding approximation: the estimate is this window's count plus the
previous window's, weighted by how much of it still overlaps the sliding window. It is exact
for even traffic and errs by at most the previous window's share for bursty traffic, for the
price of one INCR instead of a sorted-set log per request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from logistics_ai.kvstore import StoreUnavailable, WindowCount, get_store


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


def decide(count: WindowCount, limit: int) -> Decision:
    estimate = count.estimate
    if estimate <= limit:
        return Decision(True, limit, int(limit - estimate), 0)
    # When may the client retry? When the estimate, with the retry itself counted, fits.
    window, elapsed = count.window_s, count.elapsed
    if count.current + 1 <= limit and count.previous > 0:
        # Later in this window, once the previous window's weight has shrunk enough.
        wait = (1 - (limit - count.current - 1) / count.previous - elapsed) * window
    else:
        # In the next window, once this window's weight has shrunk enough.
        wait = (1 - elapsed) * window + max(0.0, 1 - (limit - 1) / count.current) * window
    return Decision(False, limit, 0, max(1, math.ceil(wait - 1e-9)))  # float noise


def check(bucket: str, limit: int, window_s: int, now: float | None = None) -> Decision:
    now = time.time() if now is None else now
    try:
        count = get_store().hit(f"rl:{bucket}", window_s, now)
    except StoreUnavailable:  # Redis down: serve (nginx's per-address limits still apply)
        return Decision(True, limit, limit, 0)
    return decide(count, limit)


async def check_async(bucket: str, limit: int, window_s: int, now: float | None = None) -> Decision:
    """`check` on the event loop: the store's async client, no thread hop (the public tracking
    page's per-address limit: a hop for it was ~15% of that read's CPU, docs/performance.md,
    Round 9). Same count, same window keys, same degradation when Redis is down."""
    now = time.time() if now is None else now
    try:
        _, count = await get_store().get_and_hit((), f"rl:{bucket}", window_s, now)
    except StoreUnavailable:
        return Decision(True, limit, limit, 0)
    return decide(count, limit)
