"""Model output is shown as plain text: no HTML, no markdown links or images to any host."""

from __future__ import annotations

import re

_LINK = re.compile(r"!?\[([^\]]{0,200})\]\(([^)]{0,500})\)")
_URL = re.compile(r"\b(?:https?|ftp|javascript|data):[^\s]*", re.IGNORECASE)


def plain_text(text: str) -> str:
    """Strip what could render as markup or send a reader elsewhere; keep the words."""
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub("[link removed]", text)
    return text.replace("<", "‹").replace(">", "›")


class StreamSanitizer:
    """Sanitizes streamed text: releases only whole words, so a URL or tag split across
    deltas is still seen whole. `flush` releases the rest at the end of the stream."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        cut = max(self._pending.rfind(" "), self._pending.rfind("\n"))
        if cut < 0:
            return ""
        ready, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
        return plain_text(ready)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return plain_text(rest)
