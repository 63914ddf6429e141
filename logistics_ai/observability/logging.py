"""loguru set-up: plain or JSON lines, never variable values in tracebacks, PII scrubbed."""

from __future__ import annotations

import re
import sys
from typing import Any

from loguru import logger

from logistics_ai.settings import get_settings

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ()\-]{7,}\d")
_BEARER = re.compile(r"(?i)(bearer\s+|password=|token=)[^\s&\"']+")


def scrub(text: str) -> str:
    """Mask emails, phone numbers and credentials in a log message."""
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@")[1], text)
    return _PHONE.sub("***phone***", text)


def _patch(record: dict[str, Any]) -> None:
    record["message"] = scrub(record["message"])


_configured = False


def configure_logging() -> None:
    global _configured
    if _configured:
        return
    settings = get_settings()
    logger.remove()
    # diagnose=False: loguru would print local variables (passwords, tokens) in tracebacks.
    logger.configure(patcher=_patch)  # type: ignore[arg-type]
    logger.add(
        sys.stderr,
        level="DEBUG" if settings.debug else settings.log_level.upper(),
        serialize=settings.log_json or settings.app_env == "prod",
        backtrace=False,
        diagnose=False,
    )
    _configured = True
