"""Turn Pydantic validation errors into a domain error with one message per field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, ValidationError

from logistics_ai.domain.errors import ValidationFailed

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


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here turns a 500 into a clear 422.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _plausible_moment(value: datetime) -> datetime:
    if not (MIN_YEAR <= value.year <= MAX_YEAR):
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers

Clean = AfterValidator(_no_nul)
Text = Annotated[str, Clean]
Moment = Annotated[datetime, AfterValidator(_plausible_moment)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def bounded(max_length: int, *, min_length: int = 0) -> StringConstraints:
    """Stripped and length-bounded: ``Annotated[str, bounded(64), Clean]`` is a clean, short string.

    Returned as metadata (not as a ready-made type) so that every field stays a real type
    annotation the type checker can read. It goes before ``Clean``: constraints placed after a
    validator are checked generically ("at most 64 items") instead of as string lengths.
    """
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# A short free-text reason (cancellations, failed stops): stripped, bounded, no NULs. One
# rule for the REST schemas and the services the web app calls directly.
Reason = Annotated[str, bounded(300), Clean]
