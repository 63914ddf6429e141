"""Integration API keys. Creation uses the service's `NewApiKey` as its body."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from logistics_ai.api.schemas.common import Out


class ApiKeyOut(Out):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    owner_user_id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        # Stored as a comma-separated column.
        return [s for s in value.split(",") if s] if isinstance(value, str) else value


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. Shown once; store it in your secret manager.")
