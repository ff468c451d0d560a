"""User evaluation: an evaluator's rating of each finalist model (the case as a checksum).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_ratings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('evaluator_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('comment', sa.String(1000), nullable=False),
        sa.Column('case_sha256', sa.String(64), nullable=False),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'evaluator_id', 'team_id', name='uq_rated_once'),
    )
    op.create_index('ix_user_ratings_challenge_id', 'user_ratings', ['challenge_id'])


def downgrade() -> None:
    op.drop_index('ix_user_ratings_challenge_id', 'user_ratings')
    op.drop_table('user_ratings')
