"""Sliding-window rate limits kept in the shared store (Redis in production)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from logistics_ai.kvstore import StoreUnavailable, get_store


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


def check(bucket: str, limit: int, window_s: int, now: float | None = None) -> Decision:
    now = time.time() if now is None else now
    try:
        count, oldest = get_store().hit(f"rl:{bucket}", window_s, now)
    except StoreUnavailable:  # Redis down: serve (nginx's per-address limits still apply)
        return Decision(True, limit, limit, 0)
    if count <= limit:
        return Decision(True, limit, limit - count, 0)
    retry = max(1, math.ceil(oldest + window_s - now))
    return Decision(False, limit, 0, retry)
