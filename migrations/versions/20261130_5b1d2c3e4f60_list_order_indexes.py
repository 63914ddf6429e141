"""list order indexes: every list the UI and API page through is served in index order

Revision ID: 5b1d2c3e4f60
Revises: 3c1f0e9a7b42
Create Date: 2026-11-30 08:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1d2c3e4f60"
down_revision: str | None = "3c1f0e9a7b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lists are ordered (created_at DESC, id DESC); a backward scan of these serves them.
    op.create_index("ix_shipments_created_id", "shipments", ["created_at", "id"])
    op.create_index(
        "ix_shipments_customer_created_id", "shipments", ["customer_id", "created_at", "id"]
    )
    op.drop_index("ix_shipments_customer_created", table_name="shipments")
    op.create_index(
        "ix_shipments_driver_created_id", "shipments", ["driver_id", "created_at", "id"]
    )
    op.create_index(
        "ix_shipments_status_created_id", "shipments", ["status", "created_at", "id"]
    )
    op.create_index("ix_audit_events_time_id", "audit_events", ["occurred_at", "id"])
    op.drop_index("ix_audit_events_time", table_name="audit_events")


def downgrade() -> None:
    op.create_index("ix_audit_events_time", "audit_events", ["occurred_at"])
    op.drop_index("ix_audit_events_time_id", table_name="audit_events")
    op.drop_index("ix_shipments_status_created_id", table_name="shipments")
    op.drop_index("ix_shipments_driver_created_id", table_name="shipments")
    op.create_index("ix_shipments_customer_created", "shipments", ["customer_id", "created_at"])
    op.drop_index("ix_shipments_customer_created_id", table_name="shipments")
    op.drop_index("ix_shipments_created_id", table_name="shipments")
