"""loguru set-up: one sink for the app's, Reflex's and every library's log lines.

Each line carries the request id, the hashed user, the route and (for access lines) the
latency; JSON lines in prod. Personal data and credentials are scrubbed from the message,
the bound values and the exception text alike, and tracebacks never show variable values.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC
from typing import Any, TextIO

from loguru import logger

from logistics_ai.observability import context
from logistics_ai.settings import get_settings

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ()\-]{7,}\d")
_BEARER = re.compile(r"(?i)(bearer\s+|password=|token=|secret=|api[_-]?key=)[^\s&\"']+")
_API_KEY = re.compile(r"\blai_[A-Za-z0-9_\-]{8,}")
_URL_PASSWORD = re.compile(r"(\w+://[^:/\s@]*:)[^@\s/]+@")
# A Reflex tab's client token (a UUID) opens its state over the websocket, so it is a
# credential for that tab's socket. Reflex names it in its own lines ("Lock for token <uuid>
# was held too long", "Lock expired for token <uuid>", state keys "<uuid>_state.x"). The app's
# own ids are integers or dashless hex (request ids), so every dashed UUID is masked.
_CLIENT_TOKEN = re.compile(
    # Hex lookarounds, not \b: Reflex glues the state name on with "_" (a word character).
    r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9a-fA-F])"
)

# Fields the app computes itself as hex: the keyed hash of the user id, trace and span ids.
# Never user input, and scrubbing only mangled them: a hex digest can hold a run of digits
# that reads as a phone number ("7984c5657291919a"), which broke log correlation by user.
# Kept as they are only when they have that shape; anything else bound under these names is
# scrubbed like every other field.
_APP_HEX_FIELDS = frozenset({"user", "trace_id", "span_id"})
_HEX_ID = re.compile(r"[0-9a-f]{16}|[0-9a-f]{32}")

# Libraries that install their own handlers (or print through them) are re-routed here.
_LIBRARY_LOGGERS = ("reflex", "reflex_base", "granian", "uvicorn", "uvicorn.error", "alembic")
# Request lines of the servers duplicate the app's own access line; alembic lists its plugins.
_MUTED_LOGGERS = ("uvicorn.access", "granian.access", "alembic.runtime.plugins")


def scrub(text: str) -> str:
    """Mask emails, phone numbers and credentials in a log message."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + "***@", text)
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    text = _API_KEY.sub("lai_***", text)
    text = _CLIENT_TOKEN.sub("<client-token>", text)
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@")[1], text)
    return _PHONE.sub("***phone***", text)


def _patch(record: dict[str, Any]) -> None:
    """Scrub the message and stamp the request's context on the record."""
    record["message"] = scrub(record["message"])
    extra = record["extra"]
    request = context.current()
    if request is not None:
        extra.setdefault("request_id", request.request_id)
        if request.user:
            extra.setdefault("user", request.user)
        if request.route:
            extra.setdefault("route", request.route)
    trace_ids = _trace_ids()
    if trace_ids:
        extra.setdefault("trace_id", trace_ids[0])
        extra.setdefault("span_id", trace_ids[1])


def _trace_ids() -> tuple[str, str] | None:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:  # tracing never configured: nothing to correlate with
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def _exception_text(record: dict[str, Any]) -> str | None:
    exception = record["exception"]
    if exception is None:
        return None
    # Only the frames and the exception's message: no locals (they hold passwords, tokens).
    lines = traceback.format_exception(exception.type, exception.value, exception.traceback)
    return scrub("".join(lines)).rstrip()


def _scrub_field(key: str, value: Any) -> Any:
    if key in _APP_HEX_FIELDS and isinstance(value, str) and _HEX_ID.fullmatch(value):
        return value
    return _scrub_value(value)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub(str(value))


def json_line(record: dict[str, Any]) -> str:
    """One JSON object per line: the fields a log pipeline indexes, all scrubbed."""
    payload: dict[str, Any] = {
        "time": record["time"].astimezone(UTC).isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "logger": record["name"],
        "message": record["message"],
    }
    for key, value in record["extra"].items():
        payload[key] = _scrub_field(key, value)
    exception = _exception_text(record)
    if exception:
        payload["exception"] = exception
    return json.dumps(payload, default=str)


def text_line(record: dict[str, Any]) -> str:
    time = record["time"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    extras = " ".join(f"{k}={_scrub_field(k, v)}" for k, v in record["extra"].items())
    line = f"{time} | {record['level'].name:<8} | {record['name']} | {record['message']}"
    if extras:
        line += f" | {extras}"
    exception = _exception_text(record)
    return line + ("\n" + exception if exception else "")


class _Sink:
    """Writes one formatted line per record.

    With no stream given it looks ``sys.stderr`` up at each write rather than binding the
    object once: test runners and process managers swap stderr, and a bound stream that was
    closed meanwhile would turn every later log line into an "I/O operation on closed file".
    """

    def __init__(self, stream: TextIO | None, as_json: bool) -> None:
        self._stream = stream
        self._format = json_line if as_json else text_line

    def __call__(self, message: Any) -> None:
        stream = self._stream or sys.stderr
        stream.write(self._format(message.record) + "\n")
        stream.flush()


class InterceptHandler(logging.Handler):
    """Hands stdlib logging records (Reflex, SQLAlchemy, redis, httpx...) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        message = record.getMessage()
        exc_info = record.exc_info if record.exc_info and record.exc_info[0] else None
        name = record.name
        logger.patch(lambda r: r.update(name=name)).opt(exception=exc_info).log(  # type: ignore[call-arg]  # loguru stub: patch()
            level, message
        )


def _adopt_reflex_logging() -> None:
    """Under the reflex CLI ("managed mode"), Reflex attaches its own console/JSON sinks to the
    `reflex` logger, cuts propagation, and re-attaches them whenever its config loads. In the
    app's processes its records belong in this sink (request ids, scrubber), so detach them
    and keep them detached. Uses Reflex 0.10's logging module; harmless if it changes."""
    try:
        from reflex_base.utils import log as reflex_log
    except ImportError:
        return
    try:
        reflex_log._reset()  # detach the sinks, restore propagation to the root logger
        reflex_log.is_managed_mode = lambda: False
    except AttributeError:
        logger.warning("Reflex's logging module changed; its records may bypass the app's sink")


def route_stdlib_logging(level: int) -> None:
    _adopt_reflex_logging()
    logging.basicConfig(handlers=[InterceptHandler()], level=level, force=True)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    for name in _MUTED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


_configured = False


def configure_logging(stream: TextIO | None = None, *, force: bool = False) -> None:
    global _configured
    if _configured and not force:
        return
    settings = get_settings()
    level = "DEBUG" if settings.debug else settings.log_level.upper()
    logger.remove()
    logger.configure(patcher=_patch)  # type: ignore[arg-type]  # loguru stub: Record
    # The sink formats the line itself, so the exception text is scrubbed too;
    # diagnose=False: loguru would otherwise print local variables in tracebacks.
    logger.add(
        _Sink(stream, settings.log_json or settings.app_env == "prod"),
        level=level,
        backtrace=False,
        diagnose=False,
        catch=True,
    )
    route_stdlib_logging(logging.getLevelName(level))
    _configured = True
