"""Users, invitations and login sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.api.schemas.common import Out
from logistics_ai.models import Role


class UserOut(Out):
    id: int
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class InvitationOut(Out):
    user: UserOut
    invitation_token: str = Field(
        validation_alias="token", description="Shown once. Send it to the invitee."
    )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    is_active: bool | None = None


class SessionOut(Out):
    session_id: str
    kind: str
    created_at: str
    last_used_at: str
    ip: str | None
    user_agent: str | None
    current: bool = False
