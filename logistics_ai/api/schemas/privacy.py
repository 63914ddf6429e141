"""/privacy bodies: erasure confirmation and consent decisions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.api.schemas.common import Secret


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Secret = Field(description="The account's password, to confirm the erasure.")


class ErasedOut(BaseModel):
    erased: bool
    anonymised: dict[str, int]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=32)
    granted: bool


class ConsentsOut(BaseModel):
    notice_version: str
    consents: dict[str, bool]
    purposes: dict[str, str]
