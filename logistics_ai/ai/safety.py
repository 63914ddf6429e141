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
