from datetime import timedelta

import jwt
import pytest

from logistics_ai.models import User, utcnow
from logistics_ai.observability.logging import scrub
from logistics_ai.security import passwords, sessions
from logistics_ai.settings import get_settings


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


def _user() -> User:
    return User(id=7, email="a@b.co", full_name="A", role="customer", password_hash="x")


def test_session_token_roundtrip() -> None:
    assert sessions.user_id_from_token(sessions.issue_session_token(_user())) == 7


def test_forged_expired_and_alg_none_tokens_are_rejected() -> None:
    secret = get_settings().secret_key
    now = utcnow()
    base = {"iss": sessions.ISSUER, "aud": sessions.AUDIENCE, "sub": "7", "iat": now}
    expired = jwt.encode({**base, "exp": now - timedelta(seconds=1)}, secret, algorithm="HS256")
    wrong_key = jwt.encode({**base, "exp": now + timedelta(hours=1)}, "k" * 40, algorithm="HS256")
    unsigned = jwt.encode({**base, "exp": now + timedelta(hours=1)}, None, algorithm="none")
    wrong_aud = jwt.encode(
        {**base, "aud": "other", "exp": now + timedelta(hours=1)}, secret, algorithm="HS256"
    )
    token = sessions.issue_session_token(_user())
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}xx.{signature}"
    for bad in (expired, wrong_key, unsigned, wrong_aud, tampered, "", "garbage"):
        assert sessions.user_id_from_token(bad) is None


def test_log_scrubbing_masks_pii_and_credentials() -> None:
    line = scrub("login jordan.lee@mail.com phone +1 312 555 0100 Bearer abc.def password=hunter2")
    assert "jordan.lee" not in line and "555 0100" not in line
    assert "abc.def" not in line and "hunter2" not in line
    assert "@mail.com" in line  # the domain stays, useful for debugging delivery issues
