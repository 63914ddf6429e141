"""Webhooks: subscriptions with SSRF refusal, signed deliveries checked by the independent
verifier printed in docs/webhooks.md, rotation, retries, redirects, timeouts, auto-disable,
the delivery log and redelivery, all against a real local HTTP receiver."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import PermissionDenied
from logistics_ai.jobs import webhooks as sender
from logistics_ai.models import WebhookDelivery, WebhookEndpoint, utcnow
from logistics_ai.services import shipments, webhooks
from tests.support import api, app_config
from tests.support.services import free_port
from tests.support.world import World, booking

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_verifier() -> Callable[[str, str, bytes], bool]:
    """The few-line verifier from the documentation, executed as integrators would copy it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code, "docs/webhooks.md lost its Python verifier"
    namespace: dict[str, object] = {}
    exec(code.group(1), namespace)
    return namespace["verify"]  # type: ignore[return-value]


@dataclass
class Receiver:
    url: str
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    location: str | None = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks/logistics")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            state.requests.append((self.path, dict(self.headers.items()), body))
            time.sleep(state.delay_s)
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http() -> TestClient:
    return api.client()


def _admin(http: TestClient) -> dict[str, str]:
    return api.bearer(api.login(http, "admin@test.example.com")["access_token"])


def _subscribe(http: TestClient, url: str, events: list[str] | None = None) -> dict:  # type: ignore[type-arg]
    response = http.post(
        "/api/v1/webhooks",
        headers=_admin(http),
        json={"url": url, "event_types": events or ["shipment.created"]},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _book(world: World) -> None:
    with session_scope() as s:
        shipments.create_shipment(s, world.alice, booking())


def _make_due(session: Session) -> None:
    with session_scope() as s:
        for row in s.exec(select(WebhookDelivery).where(WebhookDelivery.status == "pending")):
            row.next_attempt_at = utcnow()
            s.add(row)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_private_and_malformed_targets_are_refused(
    world: World, http: TestClient, url: str
) -> None:
    response = http.post(
        "/api/v1/webhooks",
        headers=_admin(http),
        json={"url": url, "event_types": ["shipment.created"]},
    )
    assert response.status_code == 422, response.text
    assert "url" in response.json()["error"]["details"]["fields"]


def test_only_admins_manage_webhooks(world: World, http: TestClient) -> None:
    staff = api.bearer(api.login(http, "dispatch@test.example.com")["access_token"])
    assert http.get("/api/v1/webhooks", headers=staff).status_code == 403
    assert http.get("/api/v1/webhooks").status_code == 401


def test_signed_delivery_verified_independently_then_rotation(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    verify = docs_verifier()
    with app_config.configured(webhook_allow_private="true"):
        created = _subscribe(http, receiver.url)
        secret = created["secret"]
        assert secret.startswith("whsec_")
        listed = http.get("/api/v1/webhooks", headers=_admin(http)).json()
        assert "secret" not in listed[0] and secret not in json.dumps(listed)
        _book(world)
        assert sender.send_due().delivered == 1
        path, headers, body = receiver.requests[-1]
        assert path == "/hooks/logistics"
        signature = headers["Logistics-Signature"]
        assert verify(secret, signature, body)
        assert not verify("whsec_wrong", signature, body)
        assert not verify(secret, signature, body + b" ")  # tampered body
        event = json.loads(body)
        assert event["type"] == "shipment.created" == headers["Logistics-Event"]
        assert event["id"] == headers["Logistics-Event-Id"]
        assert set(event["data"]) == {"shipment_id", "tracking_code", "status"}
        assert headers["Host"] == receiver.url.split("/")[2]

        rotated = http.post(
            f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=_admin(http)
        ).json()
        assert rotated["secret"] != secret and rotated["previous_secret_expires_at"]
        _book(world)
        sender.send_due()
        _, headers, body = receiver.requests[-1]
        assert headers["Logistics-Signature"].count("v1=") == 2
        assert verify(rotated["secret"], headers["Logistics-Signature"], body)
        assert verify(secret, headers["Logistics-Signature"], body)  # overlap: old still valid
        # After the overlap only the new secret signs.
        with session_scope() as s:
            endpoint = s.get(WebhookEndpoint, created["id"])
            endpoint.previous_secret_expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
        _book(world)
        sender.send_due()
        _, headers, body = receiver.requests[-1]
        assert verify(rotated["secret"], headers["Logistics-Signature"], body)
        assert not verify(secret, headers["Logistics-Signature"], body)


def test_failures_back_off_then_disable_the_endpoint_and_expire(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    receiver.status = 500
    with app_config.configured(webhook_allow_private="true", webhook_disable_after_failures="3"):
        created = _subscribe(http, receiver.url)
        _book(world)
        started = utcnow()
        assert sender.send_due().retrying == 1
        delivery = session.exec(select(WebhookDelivery)).one()
        assert delivery.last_status_code == 500 and delivery.attempts == 1
        assert 14 <= (delivery.next_attempt_at - started).total_seconds() <= 31
        assert sender.send_due().retrying == 0  # not due yet
        for _ in range(2):
            _make_due(session)
            sender.send_due()
        session.expire_all()
        endpoint = session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None and endpoint.is_active is False
        assert "3 failed deliveries" in (endpoint.disabled_reason or "")
        _make_due(session)
        assert len(receiver.requests) == 3
        assert sender.send_due().retrying == 0 and len(receiver.requests) == 3  # disabled
        # An admin re-enables it; the receiver is fixed; the pending delivery goes out.
        receiver.status = 204
        assert http.post(f"/api/v1/webhooks/{created['id']}/enable", headers=_admin(http)).json()[
            "is_active"
        ]
        _make_due(session)
        assert sender.send_due().delivered == 1

        # A delivery still failing 24 h after its event is given up.
        receiver.status = 503
        _book(world)
        with session_scope() as s:
            row = s.exec(select(WebhookDelivery).where(WebhookDelivery.status == "pending")).one()
            row.created_at = utcnow() - timedelta(hours=24, minutes=1)
        assert sender.send_due().failed == 1


def test_redirects_are_not_followed_and_slow_receivers_time_out(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    receiver.status, receiver.location = 302, "/elsewhere"
    with app_config.configured(webhook_allow_private="true", webhook_timeout_seconds="0.5"):
        _subscribe(http, receiver.url)
        _book(world)
        sender.send_due()
        assert [r[0] for r in receiver.requests] == ["/hooks/logistics"]  # /elsewhere never hit
        row = session.exec(select(WebhookDelivery)).one()
        assert row.last_status_code == 302 and "redirect" in (row.last_error or "")

        receiver.status, receiver.location, receiver.delay_s = 200, None, 2.0
        _make_due(session)
        started = time.monotonic()
        assert sender.send_due().retrying == 1
        assert time.monotonic() - started < 1.8
        session.expire_all()
        assert session.exec(select(WebhookDelivery)).one().last_error == "timed out"


def test_a_target_that_turns_private_is_refused_at_send_time(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    with app_config.configured(webhook_allow_private="true"):
        _subscribe(http, receiver.url)
    _book(world)  # the guard is back on: 127.0.0.1 is loopback
    assert sender.send_due().retrying == 1
    assert receiver.requests == []
    row = session.exec(select(WebhookDelivery)).one()
    assert "loopback" in (row.last_error or "")


def test_delivery_log_and_redeliver(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    with app_config.configured(webhook_allow_private="true"):
        created = _subscribe(http, receiver.url, ["shipment.created", "shipment.status_changed"])
        _book(world)
        sender.send_due()
        log = http.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=_admin(http))
        assert log.status_code == 200
        (item,) = log.json()["items"]
        assert item["status"] == "delivered" and item["last_status_code"] == 200
        again = http.post(
            f"/api/v1/webhooks/deliveries/{item['id']}/redeliver", headers=_admin(http)
        )
        assert again.status_code == 202 and again.json()["event_id"] == item["event_id"]
        sender.send_due()
        ids = [headers["Logistics-Event-Id"] for _, headers, _ in receiver.requests]
        assert ids == [item["event_id"], item["event_id"]]
        deleted = http.delete(f"/api/v1/webhooks/{created['id']}", headers=_admin(http))
        assert deleted.status_code == 204
        _book(world)
        assert (
            session.exec(
                select(WebhookDelivery).where(col(WebhookDelivery.status) == "pending")
            ).all()
            == []
        )


def test_admin_ui_disables_and_enables_an_endpoint(
    world: World, http: TestClient, receiver: Receiver, session: Session
) -> None:
    with app_config.configured(webhook_allow_private="true"):
        with session_scope() as s:
            created = webhooks.create_endpoint(
                s, world.admin, {"url": receiver.url, "event_types": ["shipment.created"]}
            )
            endpoint_id = created.endpoint.id
        assert endpoint_id is not None
        with session_scope() as s, pytest.raises(PermissionDenied):
            webhooks.disable(s, world.dispatcher, endpoint_id)
        with session_scope() as s:
            paused = webhooks.disable(s, world.admin, endpoint_id)
            assert (paused.is_active, paused.disabled_reason) == (False, "disabled by an admin")
        _book(world)  # nothing is queued for a paused endpoint
        assert session.exec(select(WebhookDelivery)).all() == []
        with session_scope() as s:
            assert webhooks.enable(s, world.admin, endpoint_id).is_active
        _book(world)
        sender.send_due()
        assert len(receiver.requests) == 1
