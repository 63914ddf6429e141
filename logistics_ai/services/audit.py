"""Append-only, hash-chained audit trail, written in the caller's transaction.

Within a chain, advancing `audit_heads` takes a row lock (the write lock on SQLite) until
commit, so sequence numbers are gap-free and every row names its predecessor's hash. That lock
serialises every writer of the chain, so chains are sharded (`audit_chain.chain_for`): each
entity type has `SHARDS` chains and an entity always lands in the same one, by its id.
Consecutive ids (a burst of bookings) go to consecutive shards and never wait on each other;
one entity's history stays in one chain, in order. See docs/security.md.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert as core_insert
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from logistics_ai.domain.actors import Actor
from logistics_ai.models import AuditEvent, AuditHead
from logistics_ai.security import shredding
from logistics_ai.security.audit_chain import GENESIS, chain_for, row_hash


def pseudonym(actor: Actor) -> str:
    """What the row shows in clear: an id, never an email or a name."""
    if actor.api_key_id is not None:
        return f"user:{actor.user_id} key:{actor.api_key_id}"
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return actor.label if actor.label == "system" else "anonymous"


def _advance_head(session: Session, chain: str) -> tuple[int, str]:
    """Take the chain's next number and its previous hash in one round trip: an upsert that
    creates the head at seq 1 (previous hash: genesis) or increments it, locking the row until
    commit, and returns the hash it still holds (the previous row's)."""
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    upsert = insert(AuditHead).values(chain=chain, seq=1, hash=GENESIS)
    statement = upsert.on_conflict_do_update(
        index_elements=[col(AuditHead.chain)], set_={"seq": col(AuditHead.seq) + 1}
    ).returning(col(AuditHead.seq), col(AuditHead.hash))
    seq, previous = connection.execute(statement).one()
    return int(seq), str(previous)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    personal = {"label": actor.label[:120], "ip": actor.ip, "user_agent": actor.user_agent}
    sealed = (
        shredding.seal(session, actor.user_id, personal)
        if actor.user_id is not None or actor.ip or actor.label != "system"
        else None
    )
    chain = chain_for(entity_type, entity_id)
    seq, previous = _advance_head(session, chain)
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_label=pseudonym(actor)[:120],
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        ip=None,
        user_agent=None,
        details=details or {},
        pii=sealed,
        chain=chain,
        seq=seq,
        prev_hash=previous,
    )
    event.hash = row_hash(event.model_dump())
    connection = session.connection()
    advance = update(AuditHead).where(AuditHead.chain == chain).values(hash=event.hash)  # type: ignore[arg-type]  # SQLModel types the column as str
    # The row goes in as one Core statement, not through the session's unit of work: nothing
    # reads it back in the request, and an append-only row needs none of the ORM's tracking.
    # On PostgreSQL the head's new hash rides in the same statement as a data-modifying CTE
    # (always run, in the statement's snapshot, under the lock the upsert above took): one
    # round trip instead of two (docs/performance.md, Round 9). SQLite has no such CTE.
    row = core_insert(AuditEvent).values(event.model_dump(exclude={"id"}))
    if connection.dialect.name == "postgresql":
        row = row.add_cte(advance.cte("advanced_head"))
    else:
        connection.execute(advance)
    event.id = connection.execute(row.returning(col(AuditEvent.id))).scalar_one()
    return event
