"""Final judging: each judge's rubric scores of the finalists, and the published awards.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'judge_scores',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('judge_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('criterion', sa.String(32), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            'challenge_id', 'team_id', 'judge_id', 'criterion', name='uq_judged_once'
        ),
    )
    op.create_index('ix_judge_scores_challenge_id', 'judge_scores', ['challenge_id'])
    op.create_table(
        'awards',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('award', sa.String(16), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'team_id', name='uq_award_once'),
    )
    op.create_index('ix_awards_challenge_id', 'awards', ['challenge_id'])


def downgrade() -> None:
    op.drop_index('ix_awards_challenge_id', 'awards')
    op.drop_table('awards')
    op.drop_index('ix_judge_scores_challenge_id', 'judge_scores')
    op.drop_table('judge_scores')
