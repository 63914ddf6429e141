"""/auth bodies: sign-in, refresh, token pairs, invitations. Sign-up uses the service's
`users.Registration` as its body."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from logistics_ai.api.schemas.common import Secret
from logistics_ai.domain.validation import Clean

OpaqueToken = Annotated[str, StringConstraints(min_length=10, max_length=200), Clean]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), Clean
    ]
    password: Secret
    otp: Annotated[str, StringConstraints(max_length=8), Clean] | None = Field(
        default=None, description="Authenticator code, for staff accounts with two-factor on."
    )


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: OpaqueToken


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class AcceptInvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: OpaqueToken
    password: Secret
