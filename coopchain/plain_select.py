"""A fixed SELECT of thousands of rows, run on the database driver's cursor (issue 19 §2).

A lot's origins are one indexed read of up to tens of thousands of rows, on every lot page,
certificate and scan. Through SQLAlchemy's result, each row becomes a Row object and each value
goes through its type's processor one call at a time: on SQLite that was half of the read (9 ms
of a 2,000-row read, 4 ms of it the driver's own fetch). Here the statement is an ordinary
SQLAlchemy select, compiled once per dialect, run on the session's own connection (so in its
transaction), and fetched as the driver's plain tuples; only the columns whose driver value is
not yet the Python value (SQLite's dates and decimals) are converted, with the very processors
SQLAlchemy would have used.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select

from coopchain.db import flushed_connection


class PlainSelect:
    """`build()` returns the select; its parameters are `bindparam("name")`s given to rows()."""

    def __init__(self, build: Callable[[], Select]):
        self._build = build
        self._compiled: dict[str, Any] = {}
        self._processors: dict[str, list] = {}

    def rows(self, session, **params) -> list[tuple]:
        connection = flushed_connection(session)
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._build().compile(dialect=dialect)
        if compiled.positional:
            arguments: Any = tuple(params[name] for name in compiled.positiontup)
        else:
            arguments = params
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.string, arguments)
            rows = cursor.fetchall()
            processors = self._processors.get(dialect.name)
            if processors is None:
                processors = self._processors[dialect.name] = _processors(
                    compiled, dialect, cursor.description
                )
        finally:
            cursor.close()
        if not rows or not any(processors):
            return rows
        # Column by column (zip transposes in C), each distinct value converted once: a lot's
        # 20,000 deliveries share a few hundred dates and weights, and the converted values
        # (dates, Decimals) are immutable, so rows may share them. SQLAlchemy's processors take
        # None as they find it.
        columns = list(zip(*rows, strict=True))
        for index, process in enumerate(processors):
            if process is None:
                continue
            try:
                converted = {value: process(value) for value in set(columns[index])}
            except TypeError:  # unhashable driver values (JSON): one call each
                columns[index] = map(process, columns[index])
            else:
                columns[index] = map(converted.__getitem__, columns[index])
        return list(zip(*columns, strict=True))


def _processors(compiled, dialect, description) -> list:
    """Per column, SQLAlchemy's result processor for this driver (None where the driver's
    value is already the Python value), as a Result would pick it: by the column's type and
    the driver's type code in cursor.description."""
    columns = compiled.statement.selected_columns
    return [
        column.type.dialect_impl(dialect).result_processor(dialect, described[1])
        for column, described in zip(columns, description, strict=True)
    ]
