"""Process memory tuning: big short-lived buffers go back to the OS when freed, and the
cyclic garbage collector skips what a serving process keeps for its whole life.

Each Argon2id hash allocates ~19 MiB (OWASP parameters) and frees it ~25 ms later. glibc
serves such blocks with mmap until the first one is freed, then raises its mmap threshold
to that size, so later hashes come from the thread's malloc arena; every worker thread that
ever hashed then keeps its peak heap. A sign-in storm over a dozen threads left workers at
several hundred MB that were never returned. A fixed threshold (which also switches the
dynamic adjustment off) keeps such buffers on mmap, returned to the OS on free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
MMAP_THRESHOLD_BYTES = 1024 * 1024  # blocks of 1 MiB or more: mmap, unmapped on free

_tuned = False


def return_big_buffers_to_the_os() -> bool:
    """Pin glibc's mmap threshold (once per process). False where glibc is not the allocator."""
    global _tuned
    if _tuned:
        return True
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        _tuned = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return False
    return _tuned


def freeze_startup_objects() -> None:
    """Move everything the process holds now out of the cyclic garbage collector's sight.

    Called once a worker has imported and built everything (its start-up): the modules, the
    app, the routes and the compiled models stay for the process's life, yet every full
    collection (one per ~70,000 net allocations with Python's defaults) walks them all again.
    Frozen, they are never scanned; what requests allocate is collected as before. Measured
    (docs/performance.md, Round 8): a plan preview's problem spent 25-40% of its CPU in the
    collector, 10% after the freeze; a larger young generation on top gained nothing more.
    """
    gc.collect()
    gc.freeze()
