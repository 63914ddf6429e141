"""Append-only, hash-chained audit trail, written in the caller's transaction.

Within a chain, advancing `audit_heads` takes a row lock (the write lock on SQLite) until
commit, so sequence numbers are gap-free and every row names its predecessor's hash. That lock
serialises every writer of the chain, so chains are sharded (`audit_chain.chain_for`): each
entity type has `SHARDS` chains and an entity always lands in the same one, by its id.
Consecutive ids (a burst of bookings) go to consecutive shards and never wait on each other;
one entity's history stays in one chain, in order. See docs/security.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, update
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from logistics_ai.domain.actors import Actor
from logistics_ai.models import AuditEvent, AuditHead
from logistics_ai.models.core_rows import with_defaults
from logistics_ai.security import shredding
from logistics_ai.security.audit_chain import GENESIS, chain_for, row_hash


def pseudonym(actor: Actor) -> str:
    """What the row shows in clear: an id, never an email or a name."""
    if actor.api_key_id is not None:
        return f"user:{actor.user_id} key:{actor.api_key_id}"
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return actor.label if actor.label == "system" else "anonymous"


# The record's statements are built once per dialect and run with bound values: building
# them per call (`.values(...)` coercing each value, then the cache key of the result) cost
# about as much CPU as running them (docs/performance.md, Round 9). Every parameter name has
# a prefix so that none is taken for a column of the other table in the combined statement.
_ROW_COLUMNS = tuple(c for c in AuditEvent.__table__.columns if c.key != "id")  # type: ignore[attr-defined]  # SQLModel's table


@dataclass(frozen=True)
class _Statements:
    advance: Executable  # the upsert of the head (see _advance_head)
    head_hash: Executable | None  # the head's new hash alone, None when `append` carries it
    append: Executable  # the row, RETURNING its id


@cache
def _statements(dialect: str) -> _Statements:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    advance = (
        insert(AuditHead)
        .values(chain=bindparam("head_chain"), seq=1, hash=GENESIS)
        .on_conflict_do_update(
            index_elements=[col(AuditHead.chain)], set_={"seq": col(AuditHead.seq) + 1}
        )
        .returning(col(AuditHead.seq), col(AuditHead.hash))
    )
    head_hash = (
        update(AuditHead)
        .where(col(AuditHead.chain) == bindparam("head_chain"))
        .values(hash=bindparam("head_hash"))
    )
    row = core_insert(AuditEvent).values(
        {c.key: bindparam(f"row_{c.key}", type_=c.type) for c in _ROW_COLUMNS}
    )
    # On PostgreSQL the head's new hash rides in the row's statement as a data-modifying CTE
    # (always run, in the statement's snapshot, under the lock the upsert took): one round
    # trip instead of two. SQLite has no such CTE.
    if dialect == "postgresql":
        return _Statements(
            advance, None, row.add_cte(head_hash.cte("advanced_head")).returning(col(AuditEvent.id))
        )
    return _Statements(advance, head_hash, row.returning(col(AuditEvent.id)))


def _advance_head(connection: Connection, chain: str) -> tuple[int, str]:
    """Take the chain's next number and its previous hash in one round trip: an upsert that
    creates the head at seq 1 (previous hash: genesis) or increments it, locking the row until
    commit, and returns the hash it still holds (the previous row's)."""
    statement = _statements(connection.dialect.name).advance
    seq, previous = connection.execute(statement, {"head_chain": chain}).one()
    return int(seq), str(previous)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str | None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one audit row to its entity's chain in the caller's transaction; its id."""
    personal = {"label": actor.label[:120], "ip": actor.ip, "user_agent": actor.user_agent}
    sealed = (
        shredding.seal(session, actor.user_id, personal)
        if actor.user_id is not None or actor.ip or actor.label != "system"
        else None
    )
    chain = chain_for(entity_type, entity_id)
    connection = session.connection()
    seq, previous = _advance_head(connection, chain)
    row = with_defaults(
        AuditEvent,
        {
            "actor_user_id": actor.user_id,
            "actor_label": pseudonym(actor)[:120],
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "ip": None,
            "user_agent": None,
            "details": details or {},
            "pii": sealed,
            "chain": chain,
            "seq": seq,
            "prev_hash": previous,
        },
    )
    row["hash"] = row_hash(row)
    # The row goes in as one Core statement, not through the session's unit of work: nothing
    # reads it back in the request, and an append-only row needs none of the ORM's tracking
    # (nor the model's constructor, which cost more than the statement: Round 10).
    statements = _statements(connection.dialect.name)
    values = {f"row_{c.key}": row[c.key] for c in _ROW_COLUMNS}
    head = {"head_chain": chain, "head_hash": row["hash"]}
    if statements.head_hash is None:
        values |= head
    else:
        connection.execute(statements.head_hash, head)
    return int(connection.execute(statements.append, values).scalar_one())
