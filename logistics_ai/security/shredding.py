"""Crypto-shredding: personal data sealed with a per-person key that erasure destroys.

Append-only records (the audit trail) must never be rewritten, yet a person may ask to be
erased. Their personal fields in such records are encrypted with a key of their own
(`subject_keys`, itself encrypted at rest); deleting that key makes every copy unreadable at
once while the records, their hashes and their pseudonymous ids stay intact.
Data about no known person (a failed sign-in with an unknown email) is sealed with the
application's field key instead and disappears with the retention of the records.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import BindParameter, ScalarSelect
from sqlmodel import Session, col, delete, select

from logistics_ai.models import SubjectKey
from logistics_ai.models.encryption import cipher

_CACHE = "subject_keys"


def _cache(session: Session) -> dict[int, Fernet | None]:
    return session.info.setdefault(_CACHE, {})


def _key(session: Session, user_id: int, *, create: bool) -> Fernet | None:
    cache = _cache(session)
    if user_id in cache and (cache[user_id] is not None or not create):
        return cache[user_id]
    row = session.exec(select(SubjectKey).where(SubjectKey.user_id == user_id)).first()
    if row is None and create:
        row = SubjectKey(user_id=user_id, key=Fernet.generate_key().decode())
        session.add(row)
        session.flush()
    cache[user_id] = Fernet(row.key.encode()) if row is not None else None
    return cache[user_id]


def key_column(user_id: int | BindParameter[int]) -> ScalarSelect[Any]:
    """The person's key (still encrypted at rest: the column's type decrypts it as it is read)
    as a column of another query, NULL when they have none yet. The booking reads it with the
    customer (docs/performance.md, Round 9) and hands it to `remember`: one round trip fewer,
    and nothing kept beyond this session, so erasure stays exact (`shred`)."""
    return select(SubjectKey.key).where(col(SubjectKey.user_id) == user_id).scalar_subquery()


def remember(session: Session, user_id: int, key: str | None) -> None:
    """Keep a key read by `key_column` for this session's seals. A missing key is not
    remembered: `seal` then looks again and creates it, as it would have without this."""
    if key is not None and user_id not in _cache(session):
        _cache(session)[user_id] = Fernet(key.encode())


def seal(session: Session, user_id: int | None, data: dict[str, Any]) -> str:
    raw = json.dumps(data, sort_keys=True).encode()
    if user_id is None:
        return "f:" + cipher().encrypt(raw).decode()
    key = _key(session, user_id, create=True)
    assert key is not None
    return f"s{user_id}:" + key.encrypt(raw).decode()


def open_sealed(session: Session, token: str | None) -> dict[str, Any] | None:
    """The sealed data, or None when its subject was erased (or the token is unreadable)."""
    if not token:
        return None
    scheme, _, body = token.partition(":")
    try:
        if scheme == "f":
            return json.loads(cipher().decrypt(body.encode()))
        key = _key(session, int(scheme[1:]), create=False) if scheme.startswith("s") else None
        return json.loads(key.decrypt(body.encode())) if key is not None else None
    except (InvalidToken, ValueError):
        return None


def preload(session: Session, user_ids: set[int]) -> None:
    """Fetch many subjects' keys in one query (a page of audit rows)."""
    cache = _cache(session)
    wanted = {uid for uid in user_ids if uid not in cache}
    if not wanted:
        return
    rows = session.exec(select(SubjectKey).where(col(SubjectKey.user_id).in_(wanted))).all()
    found = {row.user_id: Fernet(row.key.encode()) for row in rows}
    for uid in wanted:
        cache[uid] = found.get(uid)


def shred(session: Session, user_id: int) -> None:
    """Destroy the person's key: everything sealed with it becomes unreadable for good."""
    session.exec(delete(SubjectKey).where(col(SubjectKey.user_id) == user_id))
    _cache(session)[user_id] = None
