"""STAFF_TOTP=required on the browser side, through the real Reflex backend (prod mode) and its
websocket protocol: a dispatcher signed in without a code gets no page but the set-up, enrols
there, and from then on the session works. Codes come from tests/support/totp.py."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import socketio

from state.security import SecurityState
from state.sessions import SessionsState
from tests.integration.test_web_session_proxy import REFLEX_BACKEND, ROOT, _stop, _wait_for
from tests.support import services, totp
from tests.support.world import PASSWORD, World


@pytest.fixture(scope="module")
def required_app(app_services: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("totp_app")
    port = services.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "STAFF_TOTP": "required",
        "SEED_DEMO": "false",
        "PUBLIC_BASE_URL": base,
        "RATE_LIMIT_AUTH_PER_IP": "1000",
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000",
        "GRANIAN_WORKERS": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
    }
    log_path = tmp / "app.log"
    with log_path.open("w") as log:
        app = subprocess.Popen(
            [*REFLEX_BACKEND, "--backend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"{base}/healthz", app, log_path)
        yield base
    finally:
        _stop(app)


class Tab:
    """One browser tab's websocket (Socket.IO on /_event) with the session cookie."""

    def __init__(self, base: str, cookie: str) -> None:
        self.frames: list[str] = []
        self.client = socketio.Client()
        self.client.on("event", lambda data: self.frames.append(json.dumps(data)), "/_event")
        self.client.connect(
            f"{base}/_event?token={secrets.token_hex(16)}",
            socketio_path="/_event",
            transports=["websocket"],
            namespaces=["/_event"],
            headers={"Cookie": f"lai_session={cookie}"},
        )

    def send(self, handler: str, path: str, **payload: object) -> None:
        self.client.emit(
            "event",
            {"name": handler, "payload": payload, "router_data": {"pathname": path, "query": {}}},
            namespace="/_event",
        )

    def wait_for(self, pattern: str, after: int = 0) -> re.Match[str]:
        for _ in range(200):
            for frame in self.frames[after:]:
                found = re.search(pattern, frame)
                if found:
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no frame matching {pattern!r}: {self.frames[after:]}")

    def close(self) -> None:
        self.client.disconnect()


def test_staff_without_a_code_reach_only_the_set_up_until_they_enrol(
    required_app: str, world: World
) -> None:
    answer = httpx.post(
        f"{required_app}/api/web/login",
        data={"email": "dispatch@test.example.com", "password": PASSWORD},
        headers={"Origin": required_app},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/security"  # straight to the set-up
    cookie = answer.cookies["lai_session"]
    session_id = cookie.partition(".")[0]
    sessions = SessionsState.get_full_name()
    security = SecurityState.get_full_name()

    tab = Tab(required_app, cookie)
    try:
        # Any other page: sent to the set-up, and given none of its data.
        tab.send(f"{sessions}.load", "/account/sessions")
        tab.wait_for(r'"/account/security"')
        assert not any(session_id in frame for frame in tab.frames)

        mark = len(tab.frames)
        tab.send(f"{security}.load", "/account/security")
        tab.wait_for(r"totp_required[^,]*true", after=mark)
        mark = len(tab.frames)
        tab.send(f"{security}.start_totp", "/account/security")
        secret = tab.wait_for(r"setup_secret[^:]*\": \"([A-Z2-7]{16,})\"", after=mark).group(1)
        mark = len(tab.frames)
        tab.send(f"{security}.confirm_totp", "/account/security", form_data={"code": "12"})
        tab.wait_for(r"does not match", after=mark)
        mark = len(tab.frames)
        tab.send(
            f"{security}.confirm_totp",
            "/account/security",
            form_data={"code": totp.code(secret)},
        )
        tab.wait_for(r"totp_enabled[^,]*true", after=mark)
        tab.wait_for(r'setup_secret[^:]*": ""', after=mark)  # cleared once confirmed

        # The session that enrolled now opens every page.
        mark = len(tab.frames)
        tab.send(f"{sessions}.load", "/account/sessions")
        tab.wait_for(re.escape(session_id), after=mark)
    finally:
        tab.close()
