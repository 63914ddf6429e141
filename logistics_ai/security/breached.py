"""Offline check against common and breached passwords (a bundled list, no network).

A password is refused when, lower-cased, it is on the list, or when it is a listed password
followed by a few digits or symbols ("Dragon2024!"), the usual way people meet length rules.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

LIST_PATH = Path(__file__).parent / "data" / "common-passwords.txt.gz"
_SUFFIX = re.compile(r"[\d\W_]{1,6}$")
MIN_BASE_LENGTH = 5  # shorter bases ("abc" + digits) are caught by the length rule instead


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST_PATH, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def is_common(password: str) -> bool:
    listed = common_passwords()
    lowered = password.lower()
    if lowered in listed or lowered.replace(" ", "") in listed:
        return True
    base = _SUFFIX.sub("", lowered)
    return len(base) >= MIN_BASE_LENGTH and base != lowered and base in listed
