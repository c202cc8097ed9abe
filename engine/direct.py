"""Direct writes and reads: the plain writes of a step (its state's version-checked UPDATE, its
events, timer rows, case row, open tasks, evaluation steps) and its reads (the user, the task with
its case and instance, the worklist) handed to the driver's cursor, each statement compiled by
SQLAlchemy once per dialect and shape of parameters. A read's rows come back through its columns'
types (`rows`), or as the session's ORM objects (`entities`, for a select of `columns(model)`).

SQLAlchemy's execution around a statement (the compiled cache's lookup, the execution context,
the parameters' processing, the result's set-up) cost about 40 µs a statement on this machine,
where SQLite's own work for one of these writes is a few: ten such writes a step were a tenth of a
persisted step (`bench/variants.py direct`), and its three reads a quarter of it. What stays
SQLAlchemy's: the statement (Core), its SQL text and its values' type processing both ways (the
bind and result processors: aware datetimes stored as UTC, JSON, booleans, scalar column
defaults), the ORM's identity map and unit of work, the connection and its transaction (the
session's). What is skipped: its cursor events, so what goes out here is seen by `observing` and
not by a `before_cursor_execute` listener (engine.pipeline opens and ends its pipeline itself), and
its handling of a driver error, raised as the DBAPIError SQLAlchemy would have raised.

A statement this does not plan for (expanding IN lists, a default computed in Python), a connection
outside a transaction or an engine that echoes its SQL: executed by SQLAlchemy, as before.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached

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
_READERS = {}               # (select, dialect name) -> (position, result processor) of its columns that have one
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
    plan = _plan_for(statement, dialect, rows[0])
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


def rows(bind, statement, params=None):
    """The rows of the Core select (or statement with RETURNING) `statement` with `params`, read on
    the driver's cursor of `bind` in its transaction: a SQLAlchemy connection, or a session (flushed
    first when it autoflushes, as its own query would be, and read on its connection). Tuples in
    the order of its columns, each value through its type's result processor as SQLAlchemy's
    execution returns it (aware datetimes, JSON, booleans). A read SQLAlchemy executed cost about
    50 µs on this machine, where SQLite's own work for a step's reads (a user, a task with its case)
    is a few. What `counted` does not plan for, and a connection outside a transaction:
    SQLAlchemy's execution (its Rows are tuples too). An open pipeline is ended first
    (pipeline.answered)."""
    if isinstance(bind, Session):
        if bind.autoflush:
            bind.flush()
        bind = bind.connection()
    connection, params = bind, params or {}
    dialect = connection.dialect
    plan = _plan_for(statement, dialect, params)
    if plan is _NO_PLAN or not ENABLED or not connection.in_transaction() or connection.engine.echo:
        return connection.execute(statement, params).all()
    values = _values(plan, params)
    for observe in _OBSERVERS:
        observe(plan.sql, [values])
    cursor = None
    try:
        pipeline.answered(connection)
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute(plan.sql, values)
        fetched = cursor.fetchall()
        processors = _READERS.get((statement, dialect.name))
        if processors is None:      # as SQLAlchemy picks them: by the driver's type of each column
            if len(_READERS) >= _MAX_PLANS:
                _READERS.clear()
            each_column = [column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                           for column, described in zip(statement.exported_columns, cursor.description)]
            processors = _READERS[statement, dialect.name] = tuple(
                (n, process) for n, process in enumerate(each_column) if process is not None)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(plan.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
    finally:
        if cursor is not None:
            cursor.close()
    if not processors:
        return [tuple(row) for row in fetched]
    out = []
    for row in fetched:
        row = list(row)
        for n, process in processors:
            row[n] = process(row[n])
        out.append(tuple(row))
    return out


def columns(model):
    """The columns of `model` an ORM select of it loads (its deferred ones left out), in the order
    `entities` takes them back: `select(*columns(A), *columns(B))...` for a row of an A and a B."""
    return [prop.columns[0] for prop in _loaded_properties(model)]


def entities(session, statement, params, models):
    """The rows of `statement` (a select of `columns(model)` for each of `models`, in that order) as
    tuples of the `session`'s persistent objects, as its ORM select would give them: the object
    already in its identity map, else a new one holding the row's values (its deferred columns
    loaded when first read, its changes flushed as any other's); None for a model whose primary key
    is NULL in the row (an outer join that found nothing). The session is flushed first when it
    autoflushes, as its own query would be. No ORM `load` event is emitted (none is listened to)."""
    found = rows(session, statement, params)
    shapes = [_shape(model) for model in models]
    identity_map, out = session.identity_map, []
    for row in found:
        objects, start = [], 0
        for mapper, keys, primary in shapes:
            values = row[start:start + len(keys)]
            objects.append(_persistent(session, identity_map, mapper, keys, values, primary))
            start += len(keys)
        out.append(tuple(objects))
    return out


def entities_each(session, build, name, values, models):
    """`entities` of a statement with an `in_each(column, name, count)` list, for all of `values`:
    `build(count)` gives it for `count` values (the caller keeps one per count); read in parts of
    at most IN_MOST values, their rows one part after the other."""
    values, out = list(values), []
    for start in range(0, len(values), IN_MOST):
        part = values[start:start + IN_MOST]
        out += entities(session, build(len(part)), each(name, part), models)
    return out


def _loaded_properties(model):
    return [prop for prop in sa_inspect(model).column_attrs if not prop.deferred]


@cache
def _shape(model):
    """(mapper, the attribute keys `columns` gives, the positions of its primary key among them)"""
    mapper = sa_inspect(model)
    properties = _loaded_properties(model)
    keys = tuple(prop.key for prop in properties)
    positions = {prop.columns[0]: n for n, prop in enumerate(properties)}
    return mapper, keys, tuple(positions[column] for column in mapper.primary_key)


def _persistent(session, identity_map, mapper, keys, values, primary):
    pk = tuple(values[n] for n in primary)
    if any(value is None for value in pk):
        return None
    known = identity_map.get(mapper.identity_key_from_primary_key(pk))
    if known is not None:
        return known
    instance = mapper.class_manager.new_instance()      # as the ORM's loading makes one: no __init__
    instance.__dict__.update(zip(keys, values))
    make_transient_to_detached(instance)                # loaded, unchanged, the others expired
    session.add(instance)
    return instance


def _plan_for(statement, dialect, params):
    key = (statement, dialect.name, tuple(params))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(statement, dialect, params)
    return plan


def _values(plan, row):
    defaults, out = plan.defaults, []
    for name, processor in zip(plan.names, plan.processors):
        value = row[name] if name in row else defaults[name]
        out.append(value if processor is None else processor(value))
    return tuple(out) if plan.positional else dict(zip(plan.names, out))


IN_MOST = 100      # values per `in_each` list `entities_each` sends at once (so at most this many statements)


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
