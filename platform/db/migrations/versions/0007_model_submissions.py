"""Model submissions: what a submission is, the predictions its model made, how its run went.

``kind`` is ``predictions`` (an uploaded file) or ``model`` (an MLflow model run in the
sandbox); ``predictions_sha256`` names the model's predictions in the object store, so a
score can be recomputed (for tracking, or ``odx rescore``) without running the model again;
``model_run`` holds the sandbox run's outcome, time, memory and capped log for the team.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(
            sa.Column('kind', sa.String(16), nullable=False, server_default='predictions')
        )
        batch.add_column(sa.Column('predictions_sha256', sa.String(64), nullable=True))
        batch.add_column(sa.Column('model_run', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('model_run')
        batch.drop_column('predictions_sha256')
        batch.drop_column('kind')
