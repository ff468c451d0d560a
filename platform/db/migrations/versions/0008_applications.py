"""Programme applications: a team's plan and answers, the judges' scores, the finalists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'applications',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('plan_sha256', sa.String(64), nullable=False),
        sa.Column('plan_bytes', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'team_id', name='uq_application_once'),
    )
    op.create_index('ix_applications_challenge_id', 'applications', ['challenge_id'])
    op.create_table(
        'application_scores',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column(
            'application_id', sa.Integer(), sa.ForeignKey('applications.id'), nullable=False
        ),
        sa.Column('judge_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('criterion', sa.String(32), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('application_id', 'judge_id', 'criterion', name='uq_score_once'),
    )
    op.create_index(
        'ix_application_scores_application_id', 'application_scores', ['application_id']
    )
    op.create_table(
        'finalists',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_id', sa.String(64), sa.ForeignKey('challenges.id'), nullable=False),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('selected_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'team_id', name='uq_finalist_once'),
    )
    op.create_index('ix_finalists_challenge_id', 'finalists', ['challenge_id'])


def downgrade() -> None:
    op.drop_index('ix_finalists_challenge_id', 'finalists')
    op.drop_table('finalists')
    op.drop_index('ix_application_scores_application_id', 'application_scores')
    op.drop_table('application_scores')
    op.drop_index('ix_applications_challenge_id', 'applications')
    op.drop_table('applications')
