import json
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import jwt
import pytest

from logistics_ai.observability.logging import json_line, scrub, text_line
from logistics_ai.security import api_keys, passwords, tokens
from tests.support import app_config


def test_password_hash_roundtrip_and_argon2id() -> None:
    hashed = passwords.hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert passwords.verify_password(hashed, "correct horse battery staple")
    assert not passwords.verify_password(hashed, "wrong")
    assert not passwords.verify_password("not-a-hash", "anything")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("short", "at least 10"), ("aaaaaaaaaaaa", "4 different"), (" padded password ", "spaces")],
)
def test_weak_passwords_get_a_clear_message(password: str, fragment: str) -> None:
    with pytest.raises(passwords.WeakPasswordError, match=fragment):
        passwords.check_strength(password)


def test_password_must_not_contain_email_name() -> None:
    assert passwords.password_problems("casey-is-great-2026", email="casey@example.com")


def test_access_token_roundtrip_carries_kid_and_claims() -> None:
    token = tokens.issue(7, "customer", "sid-1")
    assert jwt.get_unverified_header(token)["kid"] == tokens.active_kid()
    claims = tokens.decode(token)
    assert (claims.user_id, claims.role, claims.session_id) == (7, "customer", "sid-1")


def test_web_and_api_audiences_do_not_mix() -> None:
    web = tokens.issue(7, "customer", "sid-1", audience=tokens.WEB_AUDIENCE)
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(web)  # a cookie token is not an API token


def test_a_verified_token_is_refused_once_expired_or_its_key_retired() -> None:
    # tokens.verify keeps tokens it has verified; neither the expiry nor the key may be
    # cached with them. exp = floor(issue time - 3 s) is within the 5 s leeway for 1-2 s.
    token = tokens.issue(7, "customer", "sid-1", ttl_s=-3)
    assert tokens.verify(token).user_id == 7
    assert tokens.verify(token).user_id == 7  # now from the cache
    time.sleep(2.1)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(token)
    fresh = tokens.issue(7, "customer", "sid-1")
    kid = tokens.active_kid()
    assert tokens.verify(fresh).user_id == 7
    other_secret = app_config.configured(jwt_keys=f"{kid}:{'c' * 40}", jwt_active_kid=kid)
    with other_secret, pytest.raises(tokens.InvalidToken):  # same kid, another secret
        tokens.verify(fresh)
    assert tokens.verify(fresh).user_id == 7


def test_api_key_format_and_hash() -> None:
    full, prefix, hashed = api_keys.generate()
    assert full.startswith(f"lai_{prefix}_") and api_keys.parse_prefix(full) == prefix
    assert api_keys.matches(full, hashed) and not api_keys.matches(full + "x", hashed)
    assert prefix not in hashed and full not in hashed
    assert api_keys.parse_prefix("lai_short_x") is None and api_keys.parse_prefix("nope") is None


def test_log_scrubbing_masks_pii_and_credentials() -> None:
    line = scrub("login jordan.lee@mail.com phone +1 312 555 0100 Bearer abc.def password=hunter2")
    assert "jordan.lee" not in line and "555 0100" not in line
    assert "abc.def" not in line and "hunter2" not in line
    assert "@mail.com" in line  # the domain stays, useful for debugging delivery issues


def test_the_hashed_user_and_trace_ids_survive_scrubbing_other_fields_do_not() -> None:
    # A keyed hash of a user id that holds a run of digits (it happened in CI, with a random
    # secret): scrubbed as a phone number, the log line lost its user.
    record = {
        "time": datetime(2026, 11, 30, 20, 0, tzinfo=UTC),
        "level": SimpleNamespace(name="INFO"),
        "name": "logistics_ai.api",
        "message": "GET /api/v1/shipments 200",
        "extra": {
            "user": "7984c5657291919a",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7",
            "request_id": "call me on 3125550100",  # a client-chosen header: scrubbed
            "note": "5657291919",
        },
        "exception": None,
    }
    fields = json.loads(json_line(record))
    assert fields["user"] == "7984c5657291919a"
    assert fields["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert fields["span_id"] == "00f067aa0ba902b7"
    assert "3125550100" not in fields["request_id"]
    assert fields["note"] == "***phone***"
    # Under the same name, anything that is not an app-made hex id is scrubbed as before.
    record["extra"] = {"user": "jordan.lee@mail.com"}
    assert "jordan.lee" not in json.loads(json_line(record))["user"]
    assert "jordan.lee" not in text_line(record)


def test_log_scrubbing_masks_reflex_client_tokens() -> None:
    # The exact shapes of Reflex 0.10's lines that name a tab's client token
    # (reflex/istate/manager/redis.py, reflex/app.py).
    token = "0f8e6c1a-3b2d-4c5e-9f70-1a2b3c4d5e6f"
    lines = [
        f"Lock for token {token}_reflex___state____state was held too long time_taken=3.1s, "
        "use `@rx.event(background=True)` decorator for long-running tasks.",
        f"Lock expired for token {token}_state.auth_state while processing.",
        f"[0.003] {token} OPLOCK CONTEND - lease break task cancelled",
        f"reflex_disconnect_token|{token.upper()}|1764500000.0",
    ]
    for line in lines:
        scrubbed = scrub(line)
        assert token not in scrubbed.lower()
        assert "<client-token>" in scrubbed
    # Request ids (dashless hex) and ordinary numbers stay readable.
    assert scrub("request 9f70a1b2c3d4e5f60718293a4b5c6d7e took 12 ms") == (
        "request 9f70a1b2c3d4e5f60718293a4b5c6d7e took 12 ms"
    )


def test_at_most_sign_in_concurrency_hashes_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    active, peak = 0, 0
    lock = threading.Lock()
    real = passwords._hasher

    class Counting:
        def hash(self, password: str) -> str:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            try:
                return real.hash(password)  # ~25 ms without the GIL: threads would overlap
            finally:
                with lock:
                    active -= 1

    monkeypatch.setattr(passwords, "_hasher", Counting())
    monkeypatch.setattr(passwords, "_slots", threading.BoundedSemaphore(1))
    threads = [
        threading.Thread(target=passwords.hash_password, args=(f"password number {i}",))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 1
