"""the case list's filter columns copied onto case_units, with an index of a unit's rows per filter:
a unit's list counted and paged off its own rows

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 14:00:00

A street officer's list with a filter (status, category, channel, urgency, overdue, a light, a
deadline's day, a filing or closing window, a unit or an area) looked each of the unit's cases up to
check it: 20-60 ms at 100,000 cases. The rows stored before get the values of their case here; the
case row's listener keeps them from now on.
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = [
    ('status', sa.String(length=20)),
    ('category', sa.String(length=6)),
    ('channel', sa.String(length=20)),
    ('urgency', sa.String(length=1)),
    ('filed_at', engine.models.UTCDateTime()),
    ('due_at', engine.models.UTCDateTime()),
    ('warn_at', engine.models.UTCDateTime()),
    ('closed_at', engine.models.UTCDateTime()),
    ('overdue_from', engine.models.UTCDateTime()),
    ('community', sa.String(length=20)),
    ('grid', sa.String(length=30)),
    ('holder_unit', sa.String(length=20)),
    ('handler_unit', sa.String(length=20)),
]
PLACES = ('community', 'grid', 'holder_unit', 'handler_unit')     # after the order on its index
ORDERED = 'ix_case_units_unit_code_reported_at_case_id'
STATUS_ALSO = ('category', 'urgency', 'channel')     # after the order on the status index
INDEXED = ('status', 'category', 'channel', 'urgency', 'filed_at', 'due_at', 'closed_at', 'overdue_from')


def upgrade():
    for name, type_ in COLUMNS:
        op.add_column('case_units', sa.Column(name, type_, nullable=True))
    names = ', '.join(name for name, _ in COLUMNS)
    op.execute(f"UPDATE case_units SET ({names}) = (SELECT {names} FROM cases WHERE cases.id = case_units.case_id)")
    for column in INDEXED:
        op.create_index(f'ix_case_units_unit_code_{column}', 'case_units',
                        ['unit_code', column, 'reported_at', 'case_id', *(STATUS_ALSO if column == 'status' else ())],
                        unique=False)
    op.drop_index(ORDERED, table_name='case_units')
    op.create_index(ORDERED, 'case_units', ['unit_code', 'reported_at', 'case_id', *PLACES], unique=False)


def downgrade():
    op.drop_index(ORDERED, table_name='case_units')
    op.create_index(ORDERED, 'case_units', ['unit_code', 'reported_at', 'case_id'], unique=False)
    for column in INDEXED:
        op.drop_index(f'ix_case_units_unit_code_{column}', table_name='case_units')
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
