"""Shapes shared by every resource: the error envelope, pages, the output base class."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from logistics_ai.domain.validation import Clean

Secret = Annotated[str, StringConstraints(min_length=1, max_length=256), Clean]


class Out(BaseModel):
    """Response bodies read service objects by attribute."""

    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="before")
    @classmethod
    def _loaded_columns(cls, value: Any) -> Any:
        # A mapped object's attributes read one by one go through SQLAlchemy's instrumentation
        # (~0.2 us each: three quarters of validating a page of 20 shipments, Round 10), while
        # its loaded column values already sit in its __dict__. Read from there only when every
        # field is loaded; an expired attribute or a computed one still reads through getattr.
        loaded = getattr(value, "__dict__", None)
        if (
            loaded is not None
            and "_sa_instance_state" in loaded
            and cls.__pydantic_fields__.keys() <= loaded.keys()
        ):
            return loaded
        return value


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorEnvelope(BaseModel):
    error: ErrorBody


Item = TypeVar("Item")


class Page(Out, Generic[Item]):
    """One page of a list. Name each use: `class ShipmentPage(Page[ShipmentOut])`."""

    items: list[Item]
    total: int = Field(
        description="Matching items; when total_exact is false, more than this many match."
    )
    page: int
    page_size: int
    total_exact: bool = Field(
        default=True,
        description="False when the count stopped early (lists count at most 1,000 items "
        "past the page's start): then `total` and `pages` are lower bounds.",
    )

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented mypy idiom
    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
