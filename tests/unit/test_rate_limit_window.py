"""The sliding-window estimate and its Retry-After, with hand-computed expectations."""

from __future__ import annotations

from logistics_ai.kvstore import MemoryStore, WindowCount
from logistics_ai.security.rate_limit import decide


def test_estimate_weights_the_previous_window_by_its_overlap() -> None:
    # 15 s into a 60 s window: three quarters of the previous window still overlap.
    count = WindowCount(current=10, previous=40, window_s=60, now=60 * 1000 + 15)
    assert count.elapsed == 0.25
    assert count.estimate == 40 * 0.75 + 10  # 40.0


def test_within_the_limit_is_allowed_with_what_remains() -> None:
    decision = decide(WindowCount(current=10, previous=40, window_s=60, now=60_015), limit=50)
    assert decision.allowed and decision.remaining == 10


def test_retry_after_waits_for_the_previous_window_to_fade() -> None:
    # estimate 40 > limit 35; a retry fits once 40 * (1 - e) + 10 + 1 <= 35, i.e. e >= 0.4,
    # which is 0.15 of the window (9 s) after now.
    decision = decide(WindowCount(current=10, previous=40, window_s=60, now=60_015), limit=35)
    assert not decision.allowed and decision.retry_after_s == 9


def test_retry_after_spans_into_the_next_window_when_this_one_is_full() -> None:
    # current 8 > limit 5 with 30 s of this 60 s window left; in the next window the 8 weigh
    # 8 * (1 - x) and a retry fits when 8 * (1 - x) + 1 <= 5: x >= 0.5, another 30 s.
    decision = decide(WindowCount(current=8, previous=0, window_s=60, now=60_030), limit=5)
    assert not decision.allowed and decision.retry_after_s == 60


def test_memory_store_counts_fixed_windows_and_remembers_the_previous_one() -> None:
    store = MemoryStore()
    for second in (0.5, 1.0, 1.5):
        last = store.hit("k", 10, 1000 + second)
    assert (last.current, last.previous) == (3, 0)
    later = store.hit("k", 10, 1012.0)  # the next window
    assert (later.current, later.previous) == (1, 3)
    gone = store.hit("k", 10, 1031.0)  # two windows on: both forgotten
    assert (gone.current, gone.previous) == (1, 0)
