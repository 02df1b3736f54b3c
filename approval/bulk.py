"""A batch of rows written by one statement: on PostgreSQL, the rows' values as one array per column, ``unnest``ed
side by side. The statement's text is the same whatever the number of rows, so it is parsed and planned once per
connection (a prepared statement), where a multi-row ``VALUES`` list is a new text for each size of batch, parsed
again by the driver and the server at each execution. Elsewhere (SQLite, which has no arrays and runs its triggers
per row anyway), the statement is executed once per row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (JSON, Column, Enum, Insert, String, Table, Text, any_, bindparam, cast, column, func, insert,
                        select)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine


def among(column_: ColumnElement[Any] | QueryableAttribute[Any], name: str, postgres: bool) -> ColumnElement[bool]:
    """``column_`` among the values of the list bound as ``name``. On PostgreSQL, ``= ANY`` of the list as one array
    (its items typed as ``array_item`` says: a string longer than the column is compared whole, never cut): the
    statement's text is the same whatever the list's length, so the driver prepares it rather than the server
    planning each new text, and the list goes as one value (an expanding ``IN`` writes a parameter per value into
    the statement at each execution: a tenth of a millisecond of the publishing worker's Python per statement).
    Elsewhere (SQLite has no arrays), an expanding ``IN``."""
    if postgres:
        return column_ == any_(bindparam(name, type_=postgresql.ARRAY(array_item(column_.expression.type))))
    return column_.in_(bindparam(name, expanding=True))


def array_item(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type of a column's values in an array: a string as ``TEXT``, so that the assignment checks the column's
    length (a cast to ``VARCHAR(n)[]`` would cut a longer value silently, where a row's statement raises); a JSON
    document as its text (a list would be read as a dimension of the array), cast back by ``value_of``; an enum's
    values are its own."""
    if isinstance(type_, JSON):
        return Text()
    return Text() if isinstance(type_, String) and not isinstance(type_, Enum) else type_


def unnested(types: Mapping[str, TypeEngine[Any]], name: str, prefix: str = "") -> Any:
    """``unnest(:a, :b, ...) AS name(a, b, ...)``: a table of the rows whose columns come as the arrays ``a``, ``b``...
    (``arrays`` makes them), each of ``types``' type as an array holds it (``array_item``). ``prefix``: the arrays
    are bound as ``prefix`` and the column's name (two tables of rows in one statement, ``arrays(..., prefix)``)."""
    items = {key: array_item(type_) for key, type_ in types.items()}
    return func.unnest(*(bindparam(prefix + key, type_=postgresql.ARRAY(item)) for key, item in items.items())
                       ).table_valued(*(column(key, item) for key, item in items.items())).render_derived(name=name)


def value_of(rows: Any, key: str, type_: TypeEngine[Any]) -> ColumnElement[Any]:
    """The column ``key`` of ``unnested`` ``rows`` as the column of ``type_`` takes it (a JSON document cast back)."""
    return cast(rows.c[key], type_) if isinstance(type_, JSON) else rows.c[key]


def arrays(rows: Sequence[Mapping[str, Any]], types: Mapping[str, TypeEngine[Any]],
           prefix: str = "") -> dict[str, list[Any]]:
    """The rows' values as one list per column of ``types``, in the rows' order (a JSON document as its text), each
    under ``prefix`` and its column's name (as ``unnested`` binds them)."""
    return {prefix + key: _documents([row[key] for row in rows], type_) if isinstance(type_, JSON) else
            [row[key] for row in rows] for key, type_ in types.items()}


def _documents(values: list[Any], type_: JSON) -> list[str | None]:
    """A JSON column's values as their texts (None a SQL NULL where the column says so, else JSON's ``null``)."""
    null = getattr(type_, "none_as_null", False)
    return [None if value is None and null else json.dumps(value) for value in values]


@cache
def _insert_from_arrays(table: Table, keys: tuple[str, ...], returning: tuple[str, ...]) -> Insert:
    rows = unnested({key: table.c[key].type for key in keys}, "new_rows")
    statement = insert(table).from_select(list(keys), select(*(value_of(rows, key, table.c[key].type)
                                                               for key in keys)))
    return statement.returning(*(table.c[key] for key in returning)) if returning else statement


@cache
def _insert_each(table: Table, returning: tuple[str, ...]) -> Insert:
    statement = insert(table)
    return statement.returning(*(table.c[key] for key in returning), sort_by_parameter_order=True) if returning \
        else statement


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
                returning: Column[Any] | None = None, by: Column[Any] | None = None) -> list[Any]:
    """Insert ``rows`` (each with the same keys) into ``table`` by one statement; with ``returning``, that column of
    each new row, in the rows' order. On PostgreSQL the rows' order is found by ``by``, a column whose values the
    batch holds once each (the order of an ``INSERT ... SELECT``'s ``RETURNING`` is not promised)."""
    if not rows:
        return []
    keys = tuple(rows[0])
    wanted = () if returning is None else (returning.key,) if by is None else (returning.key, by.key)
    if connection.dialect.name != "postgresql" or len(rows) == 1:
        result = connection.execute(_insert_each(table, wanted[:1]), list(rows) if len(rows) > 1 else rows[0])
        return list(result.scalars()) if returning is not None else []
    if returning is not None and by is None:
        raise ValueError("a batch's new values are read back by a column that tells its rows apart")
    types = {key: table.c[key].type for key in keys}
    result = connection.execute(_insert_from_arrays(table, keys, wanted), arrays(rows, types))
    if returning is None:
        return []
    assert by is not None
    found = {row[1]: row[0] for row in result}
    return [found[row[by.key]] for row in rows]
