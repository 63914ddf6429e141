"""Idempotent writes: a client-chosen key per action, the first answer returned on replay.

`claim` runs first in the request's transaction: it inserts the (user, key) row with
`ON CONFLICT DO NOTHING`. A concurrent duplicate waits on the unique index until the first
transaction ends, then sees its committed row and replays it; if the first rolled back, the
duplicate owns the key and does the work. So a replay never causes a second transition and
never a 409, and a failed attempt stores nothing (the client may simply retry it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.validation import fail
from logistics_ai.models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, e.g. a UUID
RETENTION = timedelta(days=3)
_RECORDS: Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
# Built once: every idempotent write (each GPS batch among them) runs both, and building and
# keying a statement per call was a fifth of a GPS batch's CPU (docs/performance.md, Round 9).
# By dialect: [SQLite, PostgreSQL].
_CLAIM = tuple(
    dialect.insert(_RECORDS)
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(_RECORDS.c.id)
    for dialect in (sqlite, postgresql)
)
_REMEMBER = (
    update(_RECORDS)
    .where(_RECORDS.c.user_id == bindparam("b_user"), _RECORDS.c.key == bindparam("b_key"))
    .values(status_code=bindparam("status_code"), response=bindparam("response"))
)


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def request_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise fail({HEADER: "use 1-255 printable ASCII characters, e.g. a UUID"})
    return key


def claim(
    session: Session, actor: Actor, key: str, endpoint: str, fingerprint: str
) -> Replay | None:
    """Own `key` for this request (None), or the stored answer of its first use."""
    if actor.user_id is None:
        raise fail({HEADER: "only signed-in users and API keys can send it"})
    check_key(key)
    inserted = session.execute(
        _CLAIM[session.get_bind().dialect.name == "postgresql"],
        {
            "user_id": actor.user_id,
            "key": key,
            "endpoint": endpoint,
            "request_hash": fingerprint,
            "created_at": utcnow(),
        },
    ).first()
    if inserted is not None:
        return None
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key
        )
    ).one()
    if record.endpoint != endpoint or record.request_hash != fingerprint:
        raise fail({HEADER: "this key was already used for a different request"})
    if record.status_code is None or record.response is None:
        # Only possible on SQLite, where writers are serialised and this cannot interleave.
        raise fail({HEADER: "the first request with this key has not finished"})
    return Replay(record.status_code, record.response)


def remember(
    session: Session, actor: Actor, key: str, status_code: int, body: dict[str, Any]
) -> None:
    """Store the answer on the row `claim` inserted in this transaction: one UPDATE by the
    (user, key) unique index, not a SELECT of the row and an ORM flush of it."""
    session.execute(
        _REMEMBER,
        {"b_user": actor.user_id, "b_key": key, "status_code": status_code, "response": body},
    )


def purge_expired(session: Session) -> int:
    cutoff = utcnow() - RETENTION
    result = session.exec(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)
    )
    return int(result.rowcount or 0)
