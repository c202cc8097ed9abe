"""Direct writes: the plain writes of a step (its state's version-checked UPDATE, its events, timer
rows, case row, open tasks, evaluation steps) handed to the driver's cursor, each statement compiled
by SQLAlchemy once per dialect and shape of parameters.

SQLAlchemy's execution around a statement (the compiled cache's lookup, the execution context,
the parameters' processing, the result's set-up) cost about 40 µs a statement on this machine,
where SQLite's own work for one of these writes is a few: ten such writes a step were a tenth of a
persisted step (`bench/variants.py direct`). What stays SQLAlchemy's: the statement (Core), its SQL
text and its parameters' type processing (the bind processors: aware datetimes stored as UTC, JSON,
booleans, scalar column defaults), the connection and its transaction (the session's). What is
skipped: its cursor events, so what goes out here is seen by `observing` and not by a
`before_cursor_execute` listener (engine.pipeline opens its pipeline itself), and its handling of
a driver error, raised as the DBAPIError SQLAlchemy would have raised.

A statement this does not plan for (expanding IN lists, a default computed in Python), a connection
outside a transaction or an engine that echoes its SQL: executed by SQLAlchemy, as before.
"""
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError

from . import pipeline

ENABLED = True          # bench/variants.py direct switches it off to compare


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple            # the parameters in the order the SQL takes them
    processors: tuple       # each one's bind processor, or None
    defaults: dict          # name -> value of the binds a row does not give (scalar defaults, literals)
    positional: bool


_PLANS = {}
_MAX_PLANS = 2000           # shapes of parameters (a case row's UPDATE has one per set of changed fields)
_NO_PLAN = object()
_OBSERVERS = []


def _plan(statement, dialect, keys):
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.escaped_bind_names:
        return _NO_PLAN             # IN lists expanded at execution, names the SQL spells otherwise
    defaults = {}
    for column in compiled.insert_prefetch:
        if column.default is None or not column.default.is_scalar:
            return _NO_PLAN
        defaults[column.key] = column.default.arg
    for column in compiled.update_prefetch:
        if column.onupdate is None or not column.onupdate.is_scalar:
            return _NO_PLAN
        defaults[column.key] = column.onupdate.arg
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    for name in names:
        if name not in keys and name not in defaults:
            bind = compiled.binds[name]
            if bind.required or bind.callable is not None:
                return _NO_PLAN
            defaults[name] = bind.value
    processors = compiled._bind_processors      # what SQLAlchemy's own execution applies (2.1, pinned)
    return _Plan(compiled.string, names, tuple(processors.get(name) for name in names), defaults,
                 compiled.positional)


def send(connection, statement, params):
    """Execute the write `statement` with `params` (a dict, or a list of dicts for several rows) on
    the SQLAlchemy `connection`'s driver cursor, in its transaction; returns the rowcount (-1 for a
    statement that went out pipelined, on PostgreSQL inside `pipeline.writes`: not answered yet)."""
    return counted(connection, statement, params).rowcount


@dataclass(frozen=True)
class _Answered:
    rowcount: int


def counted(connection, statement, params):
    """`send`, returning what holds the answer: its `rowcount` is the statement's once answered,
    at once outside a pipeline, else once `pipeline.writes` has ended (the driver's cursor keeps it)."""
    rows = params if isinstance(params, list) else [params]
    if not rows:
        return _Answered(0)
    dialect = connection.dialect
    key = (statement, dialect.name, tuple(rows[0]))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(statement, dialect, rows[0])
    if plan is _NO_PLAN or not ENABLED or not connection.in_transaction() or connection.engine.echo:
        return connection.execute(statement, params)
    values = [_values(plan, row) for row in rows]
    for observe in _OBSERVERS:
        observe(plan.sql, values)
    pipelined = pipeline.opened(connection)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if len(values) > 1:
            cursor.executemany(plan.sql, values)
        else:
            cursor.execute(plan.sql, values[0])
        # a pipelined statement's answer is set on its cursor where the pipeline ends, closed or not
        return cursor if pipelined else _Answered(cursor.rowcount)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(plan.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
    finally:
        cursor.close()


def _values(plan, row):
    defaults, out = plan.defaults, []
    for name, processor in zip(plan.names, plan.processors):
        value = row[name] if name in row else defaults[name]
        out.append(value if processor is None else processor(value))
    return tuple(out) if plan.positional else dict(zip(plan.names, out))


def in_each(column, name, count):
    """`column IN (:name_0, ..., :name_<count-1>)`: an IN list of `count` parameters of its own, for a
    statement built once per count (an expanding one is rendered again at every execution, and is
    not sent here); `each` gives its values."""
    return column.in_([bindparam(f"{name}_{n}") for n in range(count)])


def each(name, values):
    """The parameters of `in_each(column, name, len(values))`."""
    return {f"{name}_{n}": value for n, value in enumerate(values)}


@contextmanager
def observing(callback):
    """Inside, `callback(sql, rows)` is called with each statement sent here (a test counting
    statements listens to SQLAlchemy's cursor events and to this)."""
    _OBSERVERS.append(callback)
    try:
        yield
    finally:
        _OBSERVERS.remove(callback)
