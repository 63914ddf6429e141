"""Checking the audit trail's hash chains, signing checkpoints, and pruning old rows.

`verify` re-reads every chain in order and reports, per chain, the first rows that were edited,
deleted or reordered, and checkpoints that do not match (a rewritten or truncated chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from logistics_ai.domain.actors import SYSTEM, Actor
from logistics_ai.models import AuditCheckpoint, AuditEvent, AuditHead, utcnow
from logistics_ai.security.audit_chain import GENESIS, checkpoint_valid, row_hash, sign_checkpoint
from logistics_ai.security.policy import Action, require
from logistics_ai.settings import get_settings

MAX_PROBLEMS_PER_CHAIN = 20
BATCH = 2000


@dataclass
class ChainReport:
    chain: str
    rows: int = 0
    first_seq: int = 0
    last_seq: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_PER_CHAIN:
            self.problems.append(message)


@dataclass
class IntegrityReport:
    checked_at: datetime
    chains: list[ChainReport]

    @property
    def ok(self) -> bool:
        return all(not chain.problems for chain in self.chains)

    @property
    def rows(self) -> int:
        return sum(chain.rows for chain in self.chains)

    @property
    def problems(self) -> list[str]:
        return [f"{c.chain}: {p}" for c in self.chains for p in c.problems]

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit trail intact: {self.rows} rows in {len(self.chains)} chains, "
                f"{sum(c.checkpoints for c in self.chains)} signed checkpoints verified"
            )
        return f"audit trail TAMPERED: {len(self.problems)} problem(s)"


def _secret() -> str:
    return get_settings().secret_key


def _checkpoint_ok(cp: AuditCheckpoint) -> bool:
    return checkpoint_valid(
        _secret(), cp.chain, cp.seq, cp.hash, cp.kind, cp.created_at, cp.signature
    )


def _chains(session: Session) -> list[str]:
    names = set(session.exec(select(AuditEvent.chain).distinct()).all())
    names |= set(session.exec(select(AuditCheckpoint.chain).distinct()).all())
    names |= set(session.exec(select(AuditHead.chain)).all())
    return sorted(names)


def _verify_chain(session: Session, chain: str) -> ChainReport:
    report = ChainReport(chain)
    checkpoints = session.exec(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.chain == chain)
        .order_by(col(AuditCheckpoint.seq))
    ).all()
    for cp in checkpoints:
        if not _checkpoint_ok(cp):
            report.problem(f"checkpoint {cp.id} at seq {cp.seq} has an invalid signature")
    signed = {cp.seq: cp for cp in checkpoints if _checkpoint_ok(cp)}
    previous_seq, previous_hash = 0, GENESIS
    cursor = None
    while True:
        query = select(AuditEvent).where(AuditEvent.chain == chain)
        if cursor is not None:
            query = query.where(col(AuditEvent.seq) > cursor)
        rows = session.exec(query.order_by(col(AuditEvent.seq)).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            if report.rows == 0 and row.seq != 1:
                anchor = signed.get(row.seq - 1)
                if anchor is None or anchor.kind != "prune" or anchor.hash != row.prev_hash:
                    report.problem(f"rows before seq {row.seq} are missing (no signed prune)")
                previous_seq, previous_hash = row.seq - 1, row.prev_hash
                report.first_seq = row.seq
            elif report.rows == 0:
                report.first_seq = 1
            if row.seq != previous_seq + 1:
                report.problem(f"rows {previous_seq + 1}..{row.seq - 1} were deleted")
            elif row.prev_hash != previous_hash:
                report.problem(f"seq {row.seq} does not follow seq {previous_seq} (reordered)")
            if row_hash(row.model_dump()) != row.hash:
                report.problem(f"seq {row.seq} (id {row.id}) was edited after it was written")
            previous_seq, previous_hash = row.seq, row.hash
            report.rows += 1
            report.last_seq = row.seq
        cursor = rows[-1].seq
        session.expunge_all()  # stream: do not keep every row in memory
    report.checkpoints = len(checkpoints)
    if report.rows == 0:  # every row pruned: the newest signed prune is where the chain ends
        pruned = [cp.seq for cp in signed.values() if cp.kind == "prune"]
        report.last_seq = max(pruned, default=0)
    for cp in checkpoints:
        if cp.seq > report.last_seq and cp.seq != 0:
            report.problem(
                f"checkpoint at seq {cp.seq} but the chain ends at seq {report.last_seq} "
                "(rows removed from the end)"
            )
    for cp in checkpoints:
        if report.first_seq <= cp.seq <= report.last_seq:
            signed_row = session.exec(
                select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == cp.seq)
            ).first()
            if signed_row is not None and signed_row.hash != cp.hash:
                report.problem(f"seq {cp.seq} does not match its signed checkpoint (rewritten)")
    head = session.get(AuditHead, chain)
    if head is not None and head.seq > report.last_seq:
        report.problem(
            f"the chain head is seq {head.seq} but the last row is seq {report.last_seq} "
            "(rows removed from the end)"
        )
    return report


def verify(session: Session) -> IntegrityReport:
    return IntegrityReport(utcnow(), [_verify_chain(session, c) for c in _chains(session)])


def verify_as(session: Session, actor: Actor) -> IntegrityReport:
    """The admin page's check: same as the CLI, for admins only."""
    require(actor, Action.audit_read)
    return verify(session)


def _sign(session: Session, chain: str, seq: int, hash_: str, kind: str) -> AuditCheckpoint:
    created = utcnow()
    checkpoint = AuditCheckpoint(
        chain=chain,
        seq=seq,
        hash=hash_,
        kind=kind,
        created_at=created,
        signature=sign_checkpoint(_secret(), chain, seq, hash_, kind, created),
    )
    session.add(checkpoint)
    return checkpoint


def write_checkpoints(session: Session) -> int:
    """Sign the current head of every chain that moved since its last checkpoint."""
    written = 0
    # One grouped read, not one per chain: chains are sharded (services/audit.py), so there
    # are SHARDS heads per entity type.
    signed_up_to: dict[str, int] = dict(
        session.exec(
            select(AuditCheckpoint.chain, func.max(AuditCheckpoint.seq)).group_by(
                AuditCheckpoint.chain
            )
        ).all()
    )
    for head in session.exec(select(AuditHead)).all():
        last = signed_up_to.get(head.chain)
        if head.seq > 0 and (last is None or last < head.seq):
            row = session.exec(
                select(AuditEvent).where(AuditEvent.chain == head.chain, AuditEvent.seq == head.seq)
            ).first()
            if row is not None:  # a transaction still open holds the head: next time
                _sign(session, head.chain, row.seq, row.hash, "periodic")
                written += 1
    return written


def prune_before(session: Session, cutoff: datetime) -> int:
    """Audit retention: remove each chain's rows older than the cutoff, from its start only,
    after signing a prune checkpoint that anchors the remaining chain. Needs a database role
    allowed to DELETE audit rows (the app's own role is not)."""
    removed = 0
    for chain in _chains(session):
        last_old = session.exec(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, col(AuditEvent.occurred_at) < cutoff)
            .order_by(col(AuditEvent.seq).desc())
            .limit(1)
        ).first()
        if last_old is None:
            continue
        _sign(session, chain, last_old.seq, last_old.hash, "prune")
        result = session.exec(
            delete(AuditEvent).where(
                col(AuditEvent.chain) == chain, col(AuditEvent.seq) <= last_old.seq
            )
        )
        removed += result.rowcount or 0
    if removed:
        from logistics_ai.services import audit

        audit.record(session, SYSTEM, "retention.audit_pruned", "audit", None, {"removed": removed})
    return removed
