"""Back off from writing an MLflow run that keeps failing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('tracking_failures', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('track_after', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('track_after')
        batch.drop_column('tracking_failures')
