"""stop version (optimistic concurrency on stops; shipments and routes already have one)

Revision ID: 3c1f0e9a7b42
Revises: e12a0b0c0001
Create Date: 2026-11-30 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1f0e9a7b42"
down_revision: str | None = "e12a0b0c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stops", schema=None) as batch_op:
        # Existing rows start at version 1, like new ones.
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_column("version")
