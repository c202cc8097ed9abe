"""the case list answered off indexes at any size: the suffixes of the case numbers (`q`), the
instant a case is overdue from (`overdue`), the windows' indexes ending on the list's order, and the
report instant on case_units (a unit's pages read in order off its index); the status index holding the
other equality filters

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 20:00:00

The cases stored before get their new rows and columns here, from what they hold: the suffixes of
their numbers, overdue_from from due_at and closed_at (handlers.cases.deadlines.overdue_from, in
SQL), their report instant on each of their case_units rows.
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

SHORTEST, LONGEST = 3, 20       # handlers.cases.number_search.SHORTEST; the case_no column's length
WINDOWS = ('filed_at', 'due_at', 'closed_at')
STATUS_ALSO = ('category', 'urgency', 'channel')     # after the order on the status index
ENDED_LATE = datetime(1970, 1, 1)      # deadlines.ENDED_LATE, naive UTC as stored


def upgrade():
    op.create_table('case_no_suffixes',
    sa.Column('suffix', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_no_suffixes_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suffix', 'case_id', name=op.f('pk_case_no_suffixes'))
    )
    for start in range(1, LONGEST - SHORTEST + 2):      # the suffix from each position that leaves 3 or more
        op.execute(sa.text("INSERT INTO case_no_suffixes (suffix, case_id) SELECT substr(case_no, :start), id "
                           "FROM cases WHERE length(case_no) - :start + 1 >= :shortest")
                   .bindparams(start=start, shortest=SHORTEST))

    op.add_column('cases', sa.Column('overdue_from', engine.models.UTCDateTime(), nullable=True))
    op.execute(sa.text("UPDATE cases SET overdue_from = CASE WHEN due_at IS NULL THEN NULL "
                       "WHEN closed_at IS NULL THEN due_at WHEN closed_at >= due_at THEN :late END")
               .bindparams(sa.bindparam('late', ENDED_LATE, type_=sa.DateTime())))
    for column in WINDOWS:
        op.drop_index(f'ix_cases_{column}', table_name='cases')
        op.create_index(f'ix_cases_{column}_reported_at_id', 'cases', [column, 'reported_at', 'id'], unique=False)
    op.drop_index('ix_cases_status_reported_at_id', table_name='cases')      # 0017's, now with the other filters
    op.create_index('ix_cases_status_reported_at_id', 'cases', ['status', 'reported_at', 'id', *STATUS_ALSO],
                    unique=False)
    op.create_index('ix_cases_overdue_from_reported_at_id', 'cases', ['overdue_from', 'reported_at', 'id', 'filed_at'],
                    unique=False)

    op.add_column('case_units', sa.Column('reported_at', engine.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE case_units SET reported_at = (SELECT cases.reported_at FROM cases "
               "WHERE cases.id = case_units.case_id)")
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.alter_column('reported_at', existing_type=engine.models.UTCDateTime(), nullable=False)
    op.create_index('ix_case_units_unit_code_reported_at_case_id', 'case_units',
                    ['unit_code', 'reported_at', 'case_id'], unique=False)


def downgrade():
    op.drop_index('ix_case_units_unit_code_reported_at_case_id', table_name='case_units')
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.drop_column('reported_at')

    op.drop_index('ix_cases_overdue_from_reported_at_id', table_name='cases')
    op.drop_index('ix_cases_status_reported_at_id', table_name='cases')
    op.create_index('ix_cases_status_reported_at_id', 'cases', ['status', 'reported_at', 'id'], unique=False)
    for column in WINDOWS:
        op.drop_index(f'ix_cases_{column}_reported_at_id', table_name='cases')
        op.create_index(f'ix_cases_{column}', 'cases', [column], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('overdue_from')

    op.drop_table('case_no_suffixes')
