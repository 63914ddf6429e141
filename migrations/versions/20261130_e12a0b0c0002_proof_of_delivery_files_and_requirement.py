"""proof of delivery files and requirement

Revision ID: e12a0b0c0002
Revises: 5b1d2c3e4f60
Create Date: 2026-11-30 07:49:54.313193
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import logistics_ai.models._base

revision: str = 'e12a0b0c0002'
down_revision: str | None = '5b1d2c3e4f60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_proof', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('proofs_of_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_content_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('photo_bytes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('thumbnail_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('signature_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_proofs_of_delivery_uploaded_by_id', 'users', ['uploaded_by_id'], ['id'])

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_proof', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('requires_proof')

    with op.batch_alter_table('proofs_of_delivery', schema=None) as batch_op:
        batch_op.drop_constraint('fk_proofs_of_delivery_uploaded_by_id', type_='foreignkey')
        batch_op.drop_column('uploaded_by_id')
        batch_op.drop_column('signature_key')
        batch_op.drop_column('thumbnail_key')
        batch_op.drop_column('photo_bytes')
        batch_op.drop_column('photo_content_type')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('requires_proof')
