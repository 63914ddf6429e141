"""Retention policies for personal data beyond GPS pings (settings, enforced by the worker):
proof-of-delivery files, closed accounts and the audit trail. Each run is audited and counted
in Prometheus (`lai_retention_removed_total{policy}`, `lai_retention_last_run_timestamp_seconds`).
"""

from __future__ import annotations

import time
from datetime import timedelta

from loguru import logger
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import ProgrammingError
from sqlmodel import col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import SYSTEM
from logistics_ai.models import Invitation, ProofOfDelivery, User, utcnow
from logistics_ai.services import audit, audit_integrity, privacy
from logistics_ai.settings import get_settings
from logistics_ai.storage import StorageError, get_store

REMOVED = Counter(
    "lai_retention_removed_total", "Records removed or anonymised by retention", ["policy"]
)
LAST_RUN = Gauge(
    "lai_retention_last_run_timestamp_seconds", "End of the last retention run", ["policy"]
)
BATCH = 500


def _done(policy: str, count: int) -> int:
    REMOVED.labels(policy).inc(count)
    LAST_RUN.labels(policy).set(time.time())
    return count


def purge_old_proofs() -> int:
    """Delete proof photos, thumbnails and signatures older than PROOF_RETENTION_DAYS."""
    cutoff = utcnow() - timedelta(days=get_settings().proof_retention_days)
    removed = 0
    while True:
        with session_scope() as session:
            proofs = session.exec(
                select(ProofOfDelivery).where(col(ProofOfDelivery.created_at) < cutoff).limit(BATCH)
            ).all()
            if not proofs:
                break
            keys = [
                key
                for p in proofs
                for key in (p.photo_key, p.thumbnail_key, p.signature_key)
                if key
            ]
            for p in proofs:
                session.delete(p)
            removed += len(proofs)
        # Rows are gone (committed) before the files: a crash leaves orphan files, never rows
        # pointing at nothing; orphans are harmless and the next deploy's sweep can list them.
        for key in keys:
            try:
                get_store().delete(key)
            except StorageError as error:
                logger.warning("retention could not delete a proof file: {}", error)
    if removed:
        with session_scope() as session:
            audit.record(
                session,
                SYSTEM,
                "retention.proofs_purged",
                "proof",
                None,
                {"removed": removed, "cutoff": cutoff.isoformat()},
            )
    return _done("proofs", removed)


def anonymise_closed_accounts() -> int:
    """Deactivated accounts unused for CLOSED_ACCOUNT_RETENTION_DAYS are erased as a person's
    own erasure would (an open invitation is not a closed account)."""
    cutoff = utcnow() - timedelta(days=get_settings().closed_account_retention_days)
    now = utcnow()
    with session_scope() as session:
        invited = select(Invitation.user_id).where(
            col(Invitation.accepted_at).is_(None), col(Invitation.expires_at) > now
        )
        candidates = session.exec(
            select(User).where(
                col(User.is_active).is_(False),
                col(User.erased_at).is_(None),
                col(User.id).not_in(invited),
            )
        ).all()
        closed = [u for u in candidates if (u.last_login_at or u.created_at) < cutoff]
        for user in closed:
            privacy.erase_user(session, user)
    return _done("closed_accounts", len(closed))


def prune_audit() -> int:
    """Audit rows older than AUDIT_RETENTION_DAYS go, behind a signed prune checkpoint. The
    app's own database role may not delete audit rows: the run is then skipped and logged,
    and the operator runs it as the owner (docs/privacy.md)."""
    cutoff = utcnow() - timedelta(days=get_settings().audit_retention_days)
    try:
        with session_scope() as session:
            removed = audit_integrity.prune_before(session, cutoff)
    except ProgrammingError as error:
        if "permission denied" not in str(error).lower():
            raise
        logger.warning("audit retention skipped: this database role may not delete audit rows")
        LAST_RUN.labels("audit_skipped").set(time.time())
        return 0
    return _done("audit", removed)
