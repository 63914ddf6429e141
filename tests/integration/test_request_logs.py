"""Request ids, correlated JSON log lines and the PII scrubber, through the real API app."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from loguru import logger

from logistics_ai.api.app import create_api
from logistics_ai.observability.logging import configure_logging
from logistics_ai.settings import get_settings
from tests.support import api, app_config
from tests.support.world import World


class LogLines(list):
    """The JSON lines the app logged so far (the real sink, writing into a buffer)."""

    def __init__(self, buffer: io.StringIO) -> None:
        super().__init__()
        self._buffer = buffer

    def read(self) -> LogLines:
        logger.complete()
        self[:] = [json.loads(line) for line in self._buffer.getvalue().splitlines() if line]
        return self


@pytest.fixture
def log_lines(app_services: None) -> Iterator[LogLines]:
    buffer = io.StringIO()
    with app_config.configured(log_json="true", log_level="DEBUG"):
        configure_logging(stream=buffer, force=True)
        yield LogLines(buffer)
    configure_logging(force=True)


def test_incoming_request_id_is_kept_and_returned(clean_db: None) -> None:
    response = TestClient(create_api()).get("/healthz", headers={"X-Request-ID": "nginx-0123abcd"})
    assert response.headers["X-Request-ID"] == "nginx-0123abcd"


@pytest.mark.parametrize("bad", ["short", "x" * 200, "evil id\twith space", "a\u00e9bcdefghij"])
def test_missing_or_malformed_request_id_is_replaced(clean_db: None, bad: str) -> None:
    client = TestClient(create_api())
    replaced = client.get("/healthz", headers={"X-Request-ID": bad.encode("utf-8")})
    fresh = client.get("/healthz")
    for response in (replaced, fresh):
        request_id = response.headers["X-Request-ID"]
        assert request_id != bad
        assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert replaced.headers["X-Request-ID"] != fresh.headers["X-Request-ID"]


def test_access_line_carries_request_id_hashed_user_route_and_latency(
    world: World, log_lines: LogLines
) -> None:
    http = api.client()
    token = api.login(http, "alice@test.example.com")["access_token"]
    response = http.get(
        "/api/v1/shipments", headers={**api.bearer(token), "X-Request-ID": "req-abc-123"}
    )
    assert response.status_code == 200
    log_lines.read()
    access = [
        line for line in log_lines if line.get("access") and line["request_id"] == "req-abc-123"
    ]
    assert len(access) == 1, log_lines
    line = access[0]
    secret = get_settings().secret_key.encode()
    expected_user = hmac.new(secret, str(world.alice.user_id).encode(), hashlib.sha256)
    assert line["user"] == expected_user.hexdigest()[:16]
    assert line["route"] == "/api/v1/shipments"
    assert line["status"] == 200
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] > 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    # The user's email never appears in any line of the request, hashed id only.
    assert "alice@test.example.com" not in json.dumps(log_lines)


def test_library_loggers_and_exception_text_go_through_the_scrubber(
    app_services: None, log_lines: LogLines
) -> None:
    logging.getLogger("reflex.state").warning(
        "state for jane.doe@example.com rehydrated, phone +1 312 555 0199"
    )
    try:
        raise ValueError("login failed for jane.doe@example.com with password=hunter2")
    except ValueError:
        logging.getLogger("sqlalchemy.pool").exception("connection Bearer eyJhbGciOi.secret")
    log_lines.read()
    warning = next(line for line in log_lines if line["logger"] == "reflex.state")
    assert warning["level"] == "WARNING"
    assert "jane.doe" not in warning["message"] and "j***@example.com" in warning["message"]
    assert "555" not in warning["message"]
    error = next(line for line in log_lines if line["logger"] == "sqlalchemy.pool")
    assert error["level"] == "ERROR"
    assert "eyJhbGciOi" not in error["message"]
    assert "ValueError: login failed for j***@example.com with password=***" in error["exception"]
    assert "hunter2" not in json.dumps(error) and "jane.doe" not in json.dumps(error)


def test_unhandled_error_is_500_with_request_id_in_response_and_log(
    app_services: None, log_lines: LogLines
) -> None:
    app = create_api()

    def explode() -> None:
        raise RuntimeError("boom for bob@example.com")

    app.add_api_route("/test-only/explode", explode)
    response = TestClient(app, raise_server_exceptions=False).get(
        "/test-only/explode", headers={"X-Request-ID": "req-explode-1"}
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["X-Request-ID"] == "req-explode-1"
    log_lines.read()
    errors = [line for line in log_lines if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-explode-1"
    assert "RuntimeError: boom for b***@example.com" in errors[0]["exception"]
    access = next(line for line in log_lines if line.get("access"))
    assert access["status"] == 500 and access["route"] == "/test-only/explode"


def test_reflex_logs_join_the_app_sink_even_under_the_reflex_cli(
    app_services: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reflex_base.utils import log as reflex_log

    # As under `reflex run`: Reflex would attach its own sinks and cut propagation.
    monkeypatch.setattr(reflex_log, "is_managed_mode", lambda: True)
    reflex_log.ensure_configured()
    assert logging.getLogger("reflex").propagate is False
    buffer = io.StringIO()
    with app_config.configured(log_json="true"):
        configure_logging(stream=buffer, force=True)
        reflex_log.ensure_configured()  # Reflex re-checks its sinks on every config load
        logging.getLogger("reflex_base.event").warning("event for ann@example.org failed")
        logger.complete()
    configure_logging(force=True)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert any(
        line["logger"] == "reflex_base.event" and "a***@example.org" in line["message"]
        for line in lines
    ), lines
    assert logging.getLogger("reflex").propagate is True


def test_reflex_lock_warning_does_not_log_the_tab_token(
    redis_url: str, log_lines: LogLines
) -> None:
    """Reflex's own "Lock for token <client token> was held too long" line, produced by its
    real Redis state manager holding a real lock past the warning threshold, reaches the log
    without the tab's client token (which would let a log reader open that tab's socket)."""
    import asyncio
    import uuid

    import reflex as rx
    from redis.asyncio import Redis
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.istate.manager.token import BaseStateToken

    client_token = str(uuid.uuid4())

    async def hold_the_lock() -> None:
        redis = Redis.from_url(redis_url)
        manager = StateManagerRedis(redis=redis, lock_expiration=5000, lock_warning_threshold=50)
        try:
            async with manager.modify_state(BaseStateToken(ident=client_token, cls=rx.State)):
                await asyncio.sleep(0.3)  # past the 50 ms threshold
        finally:
            await manager.close()
            await redis.delete(*[k async for k in redis.scan_iter(f"{client_token}*")] or ["-"])

    asyncio.run(hold_the_lock())
    log_lines.read()
    held = [line for line in log_lines if "was held too long" in line["message"]]
    assert held, [line["message"] for line in log_lines]  # Reflex's real warning was logged
    assert held[0]["message"].startswith("Lock for token <client-token>_")
    assert client_token not in json.dumps(list(log_lines))
