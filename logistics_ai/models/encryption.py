"""Encryption at rest for personal data columns (phone numbers), with key rotation.

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256). FIELD_ENCRYPTION_KEYS lists Fernet keys,
newest first: new values use the first, every listed key still decrypts, so keys rotate by
prepending a new one and re-saving rows before the old key is dropped. Without the setting a
key is derived from SECRET_KEY.

It lives with the models because the column type is part of the table definitions;
security code above the models must never be imported by them.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String, TypeDecorator

from logistics_ai.models.fernet_open import Opener
from logistics_ai.settings import get_settings


def derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"logistics-ai:fields")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _listed_keys(keys: str, secret: str) -> list[bytes]:
    listed = [k.strip() for k in keys.split(",") if k.strip()]
    return [k.encode() for k in listed] or [derived_key(secret)]


@lru_cache(maxsize=4)
def _cipher(keys: str, secret: str) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _listed_keys(keys, secret)])


@lru_cache(maxsize=4)
def _opener(keys: str, secret: str) -> Opener:
    return Opener(_listed_keys(keys, secret))


def cipher() -> MultiFernet:
    settings = get_settings()
    return _cipher(settings.field_encryption_keys, settings.secret_key)


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    # Opened as MultiFernet would, without its set-up per token (see models/fernet_open.py):
    # a list decrypts a phone number per row.
    settings = get_settings()
    try:
        return _opener(settings.field_encryption_keys, settings.secret_key).open(token).decode()
    except InvalidToken:
        raise ValueError(
            "a stored value could not be decrypted: check FIELD_ENCRYPTION_KEYS"
        ) from None


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; the application only ever sees plaintext."""

    impl = String(512)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect):
        return None if value is None else decrypt(value)


def encrypted_columns() -> list[tuple[type, str]]:
    """(model, attribute) of every EncryptedString column, found from the table metadata."""
    from sqlmodel import SQLModel

    import logistics_ai.models  # noqa: F401  (registers the tables)

    found = []
    for mapper in SQLModel._sa_registry.mappers:
        for attribute in mapper.column_attrs:
            if any(isinstance(c.type, EncryptedString) for c in attribute.columns):
                found.append((mapper.class_, attribute.key))
    return found


def reencrypt_all(session, batch_size: int = 500) -> int:
    """Re-save every encrypted value under the first (newest) key. Returns values rewritten."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.attributes import flag_modified
    from sqlmodel import select

    rewritten = 0
    for model, attribute in encrypted_columns():
        offset = 0
        while True:
            rows = session.exec(
                select(model).order_by(*inspect(model).primary_key).offset(offset).limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                if getattr(row, attribute) is not None:
                    flag_modified(row, attribute)
                    session.add(row)
                    rewritten += 1
            session.flush()
            offset += batch_size
    return rewritten
