"""When a job's message was last handed to the broker (production mode).

NULL means no broker has it yet (embedded mode, or the broker was down at submit time):
the production sweep sends those again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('submissions', 'dataset_jobs'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ('submissions', 'dataset_jobs'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('sent_at')
