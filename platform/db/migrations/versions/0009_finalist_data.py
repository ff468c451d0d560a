"""Finalists-only data: acceptances of a challenge's data-use terms and every download.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'terms_acceptances',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('terms_sha256', sa.String(64), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_terms_acceptances_challenge_id', 'terms_acceptances', ['challenge_id'])
    op.create_table(
        'data_downloads',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('dataset_id', sa.String(64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('file', sa.String(255), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_data_downloads_challenge_id', 'data_downloads', ['challenge_id'])


def downgrade() -> None:
    op.drop_index('ix_data_downloads_challenge_id', 'data_downloads')
    op.drop_table('data_downloads')
    op.drop_index('ix_terms_acceptances_challenge_id', 'terms_acceptances')
    op.drop_table('terms_acceptances')
