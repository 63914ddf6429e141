"""New rows written by one Core statement, for tables whose rows are written on a hot path.

Constructing a table model and letting the unit of work INSERT it costs far more CPU than the
INSERT: for a shipment, SQLModel's `__init__` ~65 us and the flush's bookkeeping more again,
against ~6 us to write the same values as a prebuilt Core statement and hand back an object
as if it had just been read (docs/performance.md, Round 10). The model's own field defaults
still fill every column not given, so a default keeps one home.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import cache, partial
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import SQLModel

Model = TypeVar("Model", bound=SQLModel)


# A column's default: (the value, None), (None, the factory that makes it) or, for a column
# with none, (_REQUIRED, None).
_REQUIRED = object()
Default = tuple[Any, Callable[[], Any] | None]


@cache
def _shape(model: type[SQLModel]) -> tuple[Insert, tuple[tuple[str, Default], ...]]:
    """The model's INSERT ... RETURNING id and its columns' defaults, worked out once rather
    than asking pydantic for each default of each row (it showed in a booking's profile)."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel's table
    columns = []
    for column in table.columns:
        if column.key == "id":
            continue
        field = model.model_fields[column.key]
        if field.default_factory is not None:
            default: Default = (None, field.default_factory)  # type: ignore[assignment]  # the models' factories take no argument
        elif field.default is PydanticUndefined:
            default = (_REQUIRED, None)
        elif isinstance(field.default, list | dict | set):  # a fresh copy per row, as pydantic
            default = (None, partial(deepcopy, field.default))
        else:
            default = (field.default, None)
        columns.append((column.key, default))
    return insert(table).returning(table.c.id), tuple(columns)


@cache
def _columns(model: type[SQLModel]) -> frozenset[str]:
    return frozenset(key for key, _ in _shape(model)[1])


def with_defaults(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """`values` for every column but the id, the model's defaults where none is given."""
    _, columns = _shape(model)
    unknown = values.keys() - _columns(model)
    if unknown:  # a misspelt column would otherwise be dropped without a word
        raise TypeError(f"{model.__name__}: no column {', '.join(sorted(unknown))}")
    row: dict[str, Any] = {}
    for key, (value, factory) in columns:
        if key in values:
            row[key] = values[key]
        elif factory is not None:
            row[key] = factory()
        elif value is _REQUIRED:
            raise TypeError(f"{model.__name__}: no value for required column {key!r}")
        else:
            row[key] = value
    return row


def insert_row(session: Session, model: type[Model], **values: Any) -> Model:
    """INSERT one row of `model` in `session`'s transaction and return it as a persistent
    object, its columns loaded as if just read: later changes to it flush as UPDATEs."""
    statement, _ = _shape(model)
    row = with_defaults(model, values)
    session.flush()  # rows added before (which this one may refer to) go first, as a flush would
    row["id"] = session.connection().execute(statement, row).scalar_one()
    instance = inspect(model).class_manager.new_instance()
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
