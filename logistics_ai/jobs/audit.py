"""Periodic signed checkpoints of the audit hash chains (see services/audit_integrity.py)."""

from __future__ import annotations

from logistics_ai.db import session_scope
from logistics_ai.services import audit_integrity


def sign_audit_checkpoints() -> int:
    with session_scope() as session:
        return audit_integrity.write_checkpoints(session)
