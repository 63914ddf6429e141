"""Web sign-in and websocket events behind one real proxy hop (nginx) see the real client.

The app (Reflex backend, prod mode, TRUSTED_PROXY_HOPS=1) runs behind a throwaway nginx that
connects upstream from 127.0.0.9, so the proxy's address differs from every client's. Clients
come from distinct loopback addresses (127.0.0.2, 127.0.0.3, ...): the per-address sign-in
limit must count each of them, not nginx, and audit rows must record them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import socketio
import websocket
from sqlmodel import Session, col, select

from logistics_ai.models import AuditEvent
from logistics_ai.services import audit_log
from state.sessions import SessionsState
from tests.support import services
from tests.support.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
PROXY_SOURCE = "127.0.0.9"  # nginx's own address towards the app
LOGIN_LIMIT = 3  # RATE_LIMIT_AUTH_PER_IP for this app
STARTUP_TIMEOUT_S = 180
REFLEX_BACKEND = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only"]

NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy_source};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }}
    }}
}}
"""


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()[-4000:]) from None
            time.sleep(0.5)


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def proxied_app(app_services: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app behind nginx; yields nginx's URL (the public origin)."""
    tmp = tmp_path_factory.mktemp("proxy")
    app_port, proxy_port = services.free_port(), services.free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "SEED_DEMO": "false",
        "PUBLIC_BASE_URL": public,
        "TRUSTED_PROXY_HOPS": "1",
        "RATE_LIMIT_AUTH_PER_IP": str(LOGIN_LIMIT),
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000",
        "GRANIAN_WORKERS": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
    }
    app_log = tmp / "app.log"
    with app_log.open("w") as log:
        app = subprocess.Popen(
            [*REFLEX_BACKEND, "--backend-port", str(app_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(tmp=tmp, port=proxy_port, app_port=app_port, proxy_source=PROXY_SOURCE)
    )
    nginx = subprocess.Popen(
        [NGINX, "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{app_port}/healthz", app, app_log)
        _wait_for(f"{public}/healthz", nginx, tmp / "error.log")
        yield public
    finally:
        _stop(nginx)
        _stop(app)


def sign_in(public: str, source: str, password: str, **headers: str) -> httpx.Response:
    """The login form's POST, sent from the loopback address `source` through nginx."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport) as client:
        return client.post(
            f"{public}/api/web/login",
            data={"email": "dispatch@test.example.com", "password": password},
            headers={"Origin": public, **headers},
        )


def flash(answer: httpx.Response) -> str:
    return answer.cookies.get("lai_login_error") or ""


def wait_for_row(session: Session, query: Callable[[], AuditEvent | None]) -> AuditEvent:
    for _ in range(100):
        row = query()
        if row is not None:
            return row
        session.expire_all()
        time.sleep(0.1)
    raise AssertionError("the audit row never appeared")


def test_web_sign_in_is_limited_per_real_client(
    proxied_app: str, world: World, session: Session
) -> None:
    for _ in range(LOGIN_LIMIT):
        wrong = sign_in(proxied_app, "127.0.0.2", "not-the-password")
        assert wrong.status_code == 303 and wrong.headers["location"] == "/login"
        assert "incorrect" in flash(wrong)
    blocked = sign_in(proxied_app, "127.0.0.2", PASSWORD)
    assert "Too many requests" in flash(blocked)
    assert "lai_session" not in blocked.cookies
    # A forged X-Forwarded-For does not make the same client look like another one.
    forged = sign_in(proxied_app, "127.0.0.2", PASSWORD, **{"X-Forwarded-For": "203.0.113.7"})
    assert "Too many requests" in flash(forged)

    # Another client behind the same proxy is not locked out by the first one.
    other = sign_in(proxied_app, "127.0.0.3", PASSWORD)
    assert other.status_code == 303 and other.headers["location"] == "/dispatch"
    assert other.cookies.get("lai_session")
    logins = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    # Actor details are sealed at rest; the audit log service opens them.
    assert [row.ip for row in audit_log.revealed(session, list(logins))] == ["127.0.0.3"]
    failures = session.exec(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).all()
    assert {row.ip for row in audit_log.revealed(session, list(failures))} == {"127.0.0.2"}


def test_websocket_events_see_the_real_client(
    proxied_app: str, world: World, session: Session
) -> None:
    first = sign_in(proxied_app, "127.0.0.4", PASSWORD).cookies["lai_session"]
    second = sign_in(proxied_app, "127.0.0.5", PASSWORD).cookies["lai_session"]
    other_session = second.partition(".")[0]  # <session id>.<secret>

    # The browser's event over the websocket through nginx, from 127.0.0.1: sign out the
    # other session (audited with the caller's address).
    client = socketio.Client()
    client.connect(
        f"{proxied_app}/_event?token={secrets.token_hex(16)}",
        socketio_path="/_event",
        transports=["websocket"],
        namespaces=["/_event"],
        headers={"Cookie": f"lai_session={first}"},
    )
    try:
        client.emit(
            "event",
            {
                "name": f"{SessionsState.get_full_name()}.revoke",
                "payload": {"session_id": other_session},
                "router_data": {"pathname": "/account/sessions", "query": {}},
            },
            namespace="/_event",
        )
        revoked = wait_for_row(
            session,
            lambda: session.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "auth.session_revoked",
                    col(AuditEvent.entity_id) == other_session,
                )
            ).first(),
        )
    finally:
        client.disconnect()
    shown = audit_log.revealed(session, [revoked])[0]
    assert shown.ip == "127.0.0.1"  # the browser, not nginx (127.0.0.9)


class Socket:
    """A Reflex websocket client speaking the browser's protocol (Socket.IO on /_event)."""

    def __init__(self, public: str, token: str, cookie: str | None) -> None:
        self.received: list[str] = []
        self.client = socketio.Client()
        self.client.on("event", lambda data: self.received.append(json.dumps(data)), "/_event")
        self.client.connect(
            f"{public}/_event?token={token}",
            socketio_path="/_event",
            transports=["websocket"],
            namespaces=["/_event"],
            headers={"Cookie": f"lai_session={cookie}"} if cookie else {},
        )

    def send(self, handler: str, **payload: object) -> None:
        self.client.emit(
            "event",
            {
                "name": f"{SessionsState.get_full_name()}.{handler}",
                "payload": payload,
                "router_data": {"pathname": "/account/sessions", "query": {}},
            },
            namespace="/_event",
        )

    def wait_for(self, text: str) -> str:
        for _ in range(150):
            if any(text in frame for frame in self.received):
                return "\n".join(self.received)
            time.sleep(0.1)
        raise AssertionError(f"no frame with {text!r}: {self.received}")

    def close(self) -> None:
        self.client.disconnect()


def test_a_tab_token_without_the_cookie_gets_nothing(proxied_app: str, world: World) -> None:
    cookie = sign_in(proxied_app, "127.0.0.6", PASSWORD).cookies["lai_session"]
    session_id = cookie.partition(".")[0]  # <session id>.<secret>
    token = secrets.token_hex(16)

    owner = Socket(proxied_app, token, cookie)
    try:
        owner.send("load")
        assert session_id in owner.wait_for(session_id)  # the owner sees their sessions
    finally:
        owner.close()

    thief = Socket(proxied_app, token, None)  # the same tab token, no cookie
    try:
        thief.send("load")
        received = thief.wait_for('"/login"')  # sent to the login page
    finally:
        thief.close()
    assert session_id not in received
    assert "Dispatch" not in received  # the signed-in user's name


def test_cross_origin_requests_get_no_credentials(proxied_app: str) -> None:
    url = f"{proxied_app}/api/v1/track/LAI-NOPE"
    evil = "https://evil.example"
    # Without Access-Control-Allow-Origin the browser hides the answer from the foreign page
    # (Starlette sends Allow-Credentials unconditionally; it grants nothing on its own).
    answer = httpx.get(url, headers={"Origin": evil})
    assert "access-control-allow-origin" not in answer.headers
    preflight = httpx.options(url, headers={"Origin": evil, "Access-Control-Request-Method": "GET"})
    assert preflight.headers.get("access-control-allow-origin") != evil
    own = httpx.get(url, headers={"Origin": proxied_app})
    assert own.headers.get("access-control-allow-origin") == proxied_app

    # The websocket handshake is refused to pages of another origin.
    socket_url = proxied_app.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(socket_url, origin=evil, timeout=10)
    ours = websocket.create_connection(socket_url, origin=proxied_app, timeout=10)
    try:
        assert ours.recv().startswith("0{")  # Engine.IO open packet
    finally:
        ours.close()
