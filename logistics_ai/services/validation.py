"""Turn Pydantic validation errors into a domain error with one message per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from logistics_ai.services.errors import ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)


def field_messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "__root__"
        message = item["msg"].removeprefix("Value error, ")
        messages.setdefault(field, message)
    return messages


def parse(model: type[ModelT], data: Any) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = field_messages(error)
        summary = "; ".join(f"{field}: {msg}" for field, msg in fields.items())
        raise ValidationFailed(f"Please fix: {summary}", details={"fields": fields}) from None


def fail(fields: dict[str, str]) -> ValidationFailed:
    summary = "; ".join(f"{field}: {msg}" for field, msg in fields.items())
    return ValidationFailed(f"Please fix: {summary}", details={"fields": fields})
