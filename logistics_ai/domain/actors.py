"""Who is calling a service: the authenticated user (or system job) and where from."""

from __future__ import annotations

from dataclasses import dataclass

from logistics_ai.models import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: Role | None
    label: str
    customer_id: int | None = None
    driver_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None
    # Set for API keys: the scopes that narrow what the owner's role allows.
    scopes: frozenset[str] | None = None
    api_key_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.dispatcher, Role.admin)


SYSTEM = Actor(user_id=None, role=None, label="system")
