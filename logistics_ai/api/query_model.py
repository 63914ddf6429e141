"""A service's filter model read from the query string in one validation.

FastAPI can take a pydantic model as `Annotated[Model, Query()]`, but it then looks each field
up in the query string field by field, alias by alias, on every request: ~6% of a shipment
list's CPU (docs/performance.md, Round 10). `query_model` reads the whole query string into
the model at once (its `extra="forbid"` still names a typo such as `stauts` in the 422), on
the event loop (no thread hop), and documents every field as a query parameter, as FastAPI
would have.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from logistics_ai.domain.validation import parse

Model = TypeVar("Model", bound=BaseModel)


def query_model(model: type[Model]) -> tuple[Callable[[Request], Awaitable[Model]], dict]:
    """(the dependency that reads `model` from the query string, the route's `openapi_extra`
    documenting its fields)."""

    async def read(request: Request) -> Model:  # async: FastAPI would run a def in a thread
        return parse(model, dict(request.query_params))

    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _inlined(field, definitions),
        }
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return read, {"parameters": parameters}


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with its local `$ref`s replaced by their definitions: a parameter's schema
    cannot point into the model's own `$defs`, which the OpenAPI document does not carry."""
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref", "")
    if reference.startswith("#/$defs/"):
        return _inlined(definitions[reference.removeprefix("#/$defs/")], definitions)
    return {key: _inlined(value, definitions) for key, value in schema.items()}
