"""Rows in and out of the session without the ORM's general machinery, where it costs most.

The unit of work is general: at each flush it sorts every mapper of the session by its
dependencies, walks every relationship of every new object for cascades and dependency
rules, then builds the INSERT. For a new ticket and its CREATED event, written on every
catalogue submission, that machinery was about a third of the request's CPU
(`bench/submit_cpu.py` with py-spy) for two rows whose every value is already known. Loading
an entity is general too (an ORM compile state, loader strategies, per-row instance
processing): the signed-in user, read on every request, cost a tenth of a submission.

- `insert_row(session, obj)` takes an object that no session holds yet, INSERTs its columns
  (its many-to-one relationships as their foreign keys, the columns' defaults computed as a
  flush computes them) and attaches it to the session as persistent and clean: later
  changes are tracked and flushed as usual (with the version check, if the model has one).
  Only for a model of one table with an integer primary key given back by RETURNING; the
  collections of a row just written start empty.
- `attach_row(session, cls, row)` makes the instance of a Core row holding every column of
  `cls`'s table, as a query would have loaded it (the instance the session already holds
  wins); relationships load lazily as usual.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

T = TypeVar("T")

# Built once per table: the compiled form is then cached per set of keys given.
_INSERTS: dict[Table, Any] = {}


def _insert(table: Table) -> Any:
    statement = _INSERTS.get(table)
    if statement is None:
        # Only what the database decides comes back: the key and any server default.
        decided = [c for c in table.c if c.primary_key or c.server_default is not None]
        statement = _INSERTS[table] = insert(table).returning(*decided)
    return statement


def insert_row(session: Session, obj: Any) -> None:
    """INSERT `obj` (transient) now, in the session's transaction; it becomes persistent."""
    state = inspect(obj)
    if not state.transient:
        raise ValueError("insert_row() takes a new object that no session holds")
    mapper = state.mapper
    given = state.dict
    values: dict[str, Any] = {}
    for rel in mapper.relationships:
        if rel.uselist and given.get(rel.key):
            raise ValueError(f"insert_row() cannot write the collection {rel.key!r}")
        if rel.direction is MANYTOONE and rel.key in given:
            target = given[rel.key]
            for local, remote in rel.local_remote_pairs:
                values[local.key] = None if target is None else _value(target, remote)
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in given:
            values[column.key] = given[prop.key]
        elif column.key not in values and column.default is not None:
            values[column.key] = _default(column)
    row = session.connection().execute(_insert(mapper.local_table), values).one()._mapping
    # Straight into the instance's dict: make_transient_to_detached() then commits it all.
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        given[prop.key] = row[column] if column in row else values.get(column.key)
    for rel in mapper.relationships:
        if rel.uselist and rel.key not in given:
            set_committed_value(obj, rel.key, [])  # a row just written has no children yet
    make_transient_to_detached(obj)
    session.add(obj)


def _default(column: Any) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # wrapped by SQLAlchemy: the context argument is optional
    raise ValueError(f"insert_row() cannot compute the default of {column.key!r}")


def _value(target: Any, column: Any) -> Any:
    return getattr(target, inspect(target).mapper.get_property_by_column(column).key)


def columns_of(cls: type) -> Any:
    """A SELECT of every column of `cls`'s table, for `attach_row`."""
    return select(*inspect(cls).local_table.c)


def attach_row(session: Session, cls: type[T], row: Any) -> T:
    """The persistent instance of `row` (every column of `cls`'s table), without the ORM's
    loading: the session's own instance if it has one, else a new one added to it."""
    mapper: Mapper[Any] = inspect(cls)
    mapping = row._mapping
    key = mapper.identity_key_from_primary_key([mapping[c] for c in mapper.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    obj = mapper.class_manager.new_instance()
    loaded = inspect(obj).dict
    for prop in mapper.column_attrs:
        loaded[prop.key] = mapping[prop.columns[0]]
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
