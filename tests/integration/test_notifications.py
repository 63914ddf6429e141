"""Customer notifications: outbox in the status-change transaction, SMTP and SMS delivery
against local servers speaking the real protocols, retries, at-most-once across workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from loguru import logger
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import NotFound
from logistics_ai.jobs import notifications as sender
from logistics_ai.models import Notification, NotificationStatus, Shipment, User, utcnow
from logistics_ai.services import assignment, drivers, notifications, shipments
from tests.support import api, app_config
from tests.support.mailserver import Inbox, self_signed_cert, sms_api, smtp_server
from tests.support.world import World, booking

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp(world: World) -> Iterator[Inbox]:
    with (
        smtp_server() as (port, inbox),
        app_config.configured(smtp_host="127.0.0.1", smtp_port=str(port), smtp_security="none"),
    ):
        yield inbox


def _book(world: World) -> Shipment:
    with session_scope() as s:
        return shipments.create_shipment(s, world.alice, booking())


def _deliver(world: World, shipment: Shipment, *, fail_reason: str | None = None) -> None:
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    with session_scope() as s:
        stops = {x.kind: x for x in assignment.shipment_stops(s, shipment.id)}  # type: ignore[arg-type]
    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, stops["pickup"].id, "picked_up")  # type: ignore[arg-type]
    with session_scope() as s:
        if fail_reason:
            drivers.record_stop_event(
                s,
                world.dave,
                stops["dropoff"].id,  # type: ignore[arg-type]
                "failed",
                reason=fail_reason,
            )
        else:
            drivers.record_stop_event(s, world.dave, stops["dropoff"].id, "delivered")  # type: ignore[arg-type]


def _rows(session: Session) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).order_by(col(Notification.id))).all())


def test_each_customer_event_is_emailed_with_links_and_unsubscribe(
    world: World, session: Session, smtp: Inbox
) -> None:
    shipment = _book(world)
    _deliver(world, shipment)
    assert [r.template for r in _rows(session)] == ["booked", "out_for_delivery", "delivered"]
    report = sender.send_due()
    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)
    messages = smtp.wait_for(3)
    assert [m["Subject"] for m in messages] == [
        f"Booking confirmed: {shipment.tracking_code}",
        f"Out for delivery: {shipment.tracking_code}",
        f"Delivered: {shipment.tracking_code}",
    ]
    delivered = messages[2]
    assert delivered["To"] == "alice@test.example.com"
    text = delivered.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = delivered.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"/customer?shipment={shipment.id}" in text and "proof of delivery" in text
    assert f"/customer?shipment={shipment.id}" in html
    link = delivered["List-Unsubscribe"].strip("<>")
    assert link in text and "/api/v1/notifications/unsubscribe?u=" in link
    assert delivered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(r.status == NotificationStatus.sent and r.sent_at for r in _rows(session))
    assert sender.send_due().sent == 0  # nothing is sent twice


def test_failed_delivery_names_reason_and_next_step_in_the_chosen_language(
    world: World, session: Session, smtp: Inbox
) -> None:
    with session_scope() as s:
        notifications.update_my_preferences(
            s, world.alice, {"email": True, "events": ["failed"], "language": "es"}
        )
    shipment = _book(world)
    _deliver(world, shipment, fail_reason="Nobody home <buzzer broken>")
    assert [r.template for r in _rows(session)] == ["failed"]
    sender.send_due()
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == f"Entrega fallida: {shipment.tracking_code}"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Nobody home <buzzer broken>" in text and "Siguiente paso" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Nobody home &lt;buzzer broken&gt;" in html  # user text is escaped in HTML


def test_rolled_back_change_sends_nothing(world: World, session: Session, smtp: Inbox) -> None:
    with pytest.raises(RuntimeError), session_scope() as s:
        shipments.create_shipment(s, world.alice, booking())
        raise RuntimeError("crash after the change, before commit")
    assert _rows(session) == []
    assert sender.send_due().sent == 0
    assert smtp.messages == []


def test_two_workers_send_each_notification_exactly_once(
    world: World, session: Session, smtp: Inbox
) -> None:
    for _ in range(30):
        _book(world)
    barrier = threading.Barrier(2)
    totals: list[int] = []

    def work() -> None:
        barrier.wait()
        sent = 0
        while (report := sender.send_due(limit=5)).sent:
            sent += report.sent
        totals.append(sent)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    messages = smtp.wait_for(30)
    ids = Counter(m["Message-ID"] for m in messages)
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert sum(totals) == 30 and all(t > 0 for t in totals), totals  # both did real work
    assert {r.status for r in _rows(session)} == {NotificationStatus.sent}


WORKER = "from logistics_ai.jobs.notifications import send_due; send_due()"


def test_worker_killed_mid_send_is_retried_once_after_its_lease(
    world: World, session: Session, smtp: Inbox
) -> None:
    shipment = _book(world)
    smtp.stall_rcpt = threading.Event()
    smtp.stall_rcpt.set()  # the server holds the first conversation at RCPT
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=dict(os.environ))
    try:
        assert smtp.rcpt_seen.wait(30), "the worker never reached the SMTP server"
        (claimed,) = _rows(session)
        assert claimed.status == NotificationStatus.sending and claimed.attempts == 1
        assert sender.send_due().sent == 0  # another worker must not take a live claim
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    smtp.stall_rcpt.clear()
    smtp.release.set()
    # The dead worker's lease runs out; the next worker picks the row up and sends it.
    with session_scope() as s:
        row = s.get(Notification, claimed.id)
        row.locked_until = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert sender.send_due().sent == 1
    messages = smtp.wait_for(1)
    assert len(messages) == 1 and shipment.tracking_code in messages[0]["Subject"]
    (row,) = _rows(session)
    assert row.status == NotificationStatus.sent and row.attempts == 2
    assert sender.send_due().sent == 0
    assert len(smtp.messages) == 1


def test_unreachable_smtp_is_retried_with_backoff_then_marked_failed(
    world: World, session: Session
) -> None:
    from tests.support.services import free_port

    closed = free_port()
    with app_config.configured(
        smtp_host="127.0.0.1",
        smtp_port=str(closed),
        smtp_security="none",
        notify_max_attempts="3",
        notify_backoff_seconds="60",
    ):
        _book(world)
        started = utcnow()
        report = sender.send_due()
        assert (report.sent, report.retrying) == (0, 1)
        (row,) = _rows(session)
        assert row.status == NotificationStatus.pending and row.attempts == 1
        assert "unreachable" in (row.last_error or "")
        # First retry after 60 s with equal jitter: between 30 and 60 s from now.
        wait = (row.next_attempt_at - started).total_seconds()
        assert 29 <= wait <= 61, wait
        assert sender.send_due().sent == 0  # not due yet
        for expected_attempts in (2, 3):
            with session_scope() as s:
                due = s.get(Notification, row.id)
                due.next_attempt_at = utcnow()  # type: ignore[union-attr]
            sender.send_due()
            (row,) = _rows(session)
            assert row.attempts == expected_attempts
        assert row.status == NotificationStatus.failed


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    with app_config.configured(notify_backoff_seconds="10", notify_backoff_max_seconds="100"):
        rng = random.Random(1)
        samples = {n: [sender.backoff_seconds(n, rng) for _ in range(200)] for n in (1, 2, 3, 8)}
    assert all(5 <= s <= 10 for s in samples[1])
    assert all(10 <= s <= 20 for s in samples[2])
    assert all(20 <= s <= 40 for s in samples[3])
    assert all(50 <= s <= 100 for s in samples[8])  # capped at 100
    assert len({round(s, 6) for s in samples[3]}) > 150  # jittered, not one fixed delay


def test_refused_recipient_is_a_permanent_failure(
    world: World, session: Session, smtp: Inbox
) -> None:
    smtp.refuse_code = "550 5.1.1 mailbox unavailable"
    _book(world)
    assert sender.send_due().failed == 1
    (row,) = _rows(session)
    assert row.status == NotificationStatus.failed and row.attempts == 1


def test_starttls_and_auth(world: World, session: Session, tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    os.environ["SSL_CERT_FILE"] = str(cert)  # the client trusts our test CA, nothing else
    try:
        with (
            smtp_server(tls_cert=(cert, key), credentials=("mailer", "s3cret")) as (port, inbox),
            app_config.configured(
                smtp_host="localhost",
                smtp_port=str(port),
                smtp_security="starttls",
                smtp_username="mailer",
                smtp_password="wrong",
            ),
        ):
            _book(world)
            assert sender.send_due().retrying == 1  # bad password: retried, not lost
            assert "authentication" in (_rows(session)[0].last_error or "")
            with app_config.configured(smtp_password="s3cret"):
                with session_scope() as s:
                    s.get(Notification, 1).next_attempt_at = utcnow()  # type: ignore[union-attr]
                assert sender.send_due().sent == 1
            assert len(inbox.wait_for(1)) == 1
    finally:
        os.environ.pop("SSL_CERT_FILE", None)


def test_sms_through_the_twilio_shaped_api_never_logs_the_number(
    world: World, session: Session
) -> None:
    with session_scope() as s:
        user = s.get(User, world.alice.user_id)
        user.phone = "+1 312 555 0199"  # type: ignore[union-attr]
        notifications.update_my_preferences(s, world.alice, {"email": False, "sms": True})
    logs: list[str] = []
    sink = logger.add(lambda m: logs.append(str(m)), level="DEBUG")
    try:
        with (
            sms_api() as (url, fake),
            app_config.configured(
                sms_provider="twilio",
                sms_api_url=url,
                sms_account_sid="AC123",
                sms_auth_token="tok",
                sms_from="+15550000000",
            ),
        ):
            fake.status = 503
            shipment = _book(world)
            assert sender.send_due().retrying == 1
            fake.status = 201
            with session_scope() as s:
                s.get(Notification, 1).next_attempt_at = utcnow()  # type: ignore[union-attr]
            assert sender.send_due().sent == 1
    finally:
        logger.remove(sink)
    last = fake.requests[-1]
    assert last.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert last.authorization == fake.basic("AC123", "tok")
    assert last.form["To"] == "+1 312 555 0199" and last.form["From"] == "+15550000000"
    assert shipment.tracking_code in last.form["Body"]
    (row,) = _rows(session)
    assert row.provider_message_id == "SM" + "2".rjust(32, "0")
    assert not any("555 0199" in line or "5550199" in line for line in logs)
    # The stored recipient is ciphertext, not the number.
    raw = session.connection().exec_driver_sql("SELECT recipient FROM notifications").scalar()
    assert "0199" not in raw


def test_unsubscribe_link_works_without_signing_in(world: World, session: Session) -> None:
    http = api.client()
    _book(world)
    link = notifications.unsubscribe_url(world.alice.user_id)  # type: ignore[arg-type]
    path = link.split("localhost:3000", 1)[1]
    page = http.get(path)
    assert page.status_code == 200 and "<form" in page.text
    assert notifications.preferences_for(session, world.alice.user_id).email  # type: ignore[arg-type]
    assert http.post(path.replace("t=", "t=x")).status_code == 404
    done = http.post(path)
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert not notifications.preferences_for(session, world.alice.user_id).email  # type: ignore[arg-type]
    (row,) = _rows(session)
    assert row.status == NotificationStatus.cancelled  # the queued booking mail is dropped
    _book(world)
    assert len(_rows(session)) == 1  # and nothing new is queued
    with pytest.raises(NotFound), session_scope() as s:
        notifications.unsubscribe(s, world.bob.user_id, notifications.unsubscribe_token(1))  # type: ignore[arg-type]


def test_preferences_api(world: World) -> None:
    http = api.client()
    token = api.login(http, "alice@test.example.com")["access_token"]
    got = http.get("/api/v1/me/notification-preferences", headers=api.bearer(token))
    assert got.json() == {
        "email": True,
        "sms": False,
        "events": ["booked", "out_for_delivery", "delivered", "failed"],
        "language": "en",
    }
    bad = http.put(
        "/api/v1/me/notification-preferences",
        headers=api.bearer(token),
        json={"events": ["exploded"], "language": "xx"},
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["details"]["fields"]) >= {
        "events.0",
        "language",
    }
    ok = http.put(
        "/api/v1/me/notification-preferences",
        headers=api.bearer(token),
        json={"email": True, "sms": True, "events": ["delivered"], "language": "es"},
    )
    assert ok.status_code == 200 and ok.json()["events"] == ["delivered"]
    again = http.get("/api/v1/me/notification-preferences", headers=api.bearer(token))
    assert again.json() == ok.json()
