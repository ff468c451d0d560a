"""Dataset jobs: organizers check and publish datasets from anywhere, in the background.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dataset_jobs',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('catalogue_id', sa.String(64), nullable=True),
        sa.Column('upload_dir', sa.String(500), nullable=True),
        sa.Column('upload_sha256', sa.String(64), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(64), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dataset_id', sa.String(64), nullable=True),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('created_version', sa.Boolean(), nullable=True),
        sa.Column('quality_run_id', sa.Integer(), sa.ForeignKey('quality_runs.id'), nullable=True),
        sa.Column('error', sa.String(4000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_dataset_jobs_queue', 'dataset_jobs', ['status', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_dataset_jobs_queue', 'dataset_jobs')
    op.drop_table('dataset_jobs')
