"""the steps of a case (the evaluation's typed projection of its events), the instant a penalty fell due,
the indexes the evaluation's period queries use

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:00:00

Existing penalties get the instant they fell due from their occurrence (`timer@instant`; a
rework's is when it was recorded). Existing cases get their steps after the migration, by
replaying them (`db upgrade` does it: handlers.evaluation.steps.rebuild_missing).
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('step', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('unit_code', sa.String(length=30), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('target', sa.String(length=30), nullable=True),
    sa.Column('opened_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('due_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('handler', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_steps_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_steps')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_case_steps_case_id_seq'))
    )
    op.create_index(op.f('ix_case_steps_actor'), 'case_steps', ['actor'], unique=False)
    op.create_index(op.f('ix_case_steps_at'), 'case_steps', ['at'], unique=False)
    op.create_index(op.f('ix_case_steps_case_id'), 'case_steps', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_steps_unit_code'), 'case_steps', ['unit_code'], unique=False)

    op.add_column('penalties', sa.Column('due_at', engine.models.UTCDateTime(), nullable=True))
    connection = op.get_bind()
    penalties = sa.table('penalties', sa.column('id'), sa.column('occurrence'),
                         sa.column('at', engine.models.UTCDateTime()), sa.column('due_at', engine.models.UTCDateTime()))
    for penalty_id, occurrence, at in connection.execute(sa.select(penalties.c.id, penalties.c.occurrence,
                                                                   penalties.c.at)).all():
        timer, _, instant = occurrence.partition("@")
        due = datetime.fromisoformat(instant) if timer != "task" and instant else at
        connection.execute(sa.update(penalties).where(penalties.c.id == penalty_id).values(due_at=due))
    with op.batch_alter_table('penalties') as batch:
        batch.alter_column('due_at', existing_type=engine.models.UTCDateTime(), nullable=False)
    op.create_index(op.f('ix_penalties_due_at'), 'penalties', ['due_at'], unique=False)
    op.create_index(op.f('ix_cases_filed_at'), 'cases', ['filed_at'], unique=False)
    op.create_index(op.f('ix_cases_closed_at'), 'cases', ['closed_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_cases_closed_at'), table_name='cases')
    op.drop_index(op.f('ix_cases_filed_at'), table_name='cases')
    op.drop_index(op.f('ix_penalties_due_at'), table_name='penalties')
    with op.batch_alter_table('penalties') as batch:
        batch.drop_column('due_at')
    op.drop_index(op.f('ix_case_steps_unit_code'), table_name='case_steps')
    op.drop_index(op.f('ix_case_steps_case_id'), table_name='case_steps')
    op.drop_index(op.f('ix_case_steps_at'), table_name='case_steps')
    op.drop_index(op.f('ix_case_steps_actor'), table_name='case_steps')
    op.drop_table('case_steps')
