"""Thousands of new rows of one table, inserted in one statement and returned as entities.

A 10,000-ticket import makes 10,000 deliveries and their 10,000 lots inside SQLite's write lock
(every clerk's save waits for it). Built one by one, each SQLModel object runs pydantic's field
handling on every attribute and the unit of work then walks it again to flush it. Here the rows
go in as one SQLAlchemy ORM bulk INSERT … RETURNING, and the entities come back loaded from what
was written, in the order given (sort_by_parameter_order), persistent in the session like
flushed objects.

The ledger appends its events this way too; what a bulk insert never does is pass through
session.new, so whoever must learn of the rows is told by the code that inserts them (the
ledger notes the heads it wrote for the shared page cache: ledger.services.WRITTEN_HEADS).
"""

from typing import TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)


def insert_all(session: Session, model: type[M], rows: list[dict]) -> list[M]:
    """Insert `rows` (column values by attribute name) into `model`'s table; returns the new
    entities in the same order. Fields a row leaves out get the model's defaults, exactly as
    its constructor would give them (default_factory called once per row)."""
    if not rows:
        return []
    constant, factories = _defaults(model)
    complete = []
    for row in rows:
        values = {**constant, **row}
        for name, factory in factories:
            if name not in row:
                values[name] = factory()
        complete.append(values)
    statement = insert(model).returning(model, sort_by_parameter_order=True)
    return list(session.scalars(statement, complete).all())


def _defaults(model) -> tuple[dict, list]:
    """({field: constant default}, [(field, default factory)]) of the model's columns, the
    primary key left to the database."""
    keys = {column.key for column in model.__table__.primary_key.columns}
    constant, factories = {}, []
    for name, info in model.model_fields.items():
        if name in keys or name not in model.__table__.columns:
            continue
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        elif info.default is not PydanticUndefined:
            constant[name] = info.default
    return constant, factories
