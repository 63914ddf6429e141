"""Account protection bodies: confirmation and reset links, password change, TOTP."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from logistics_ai.api.schemas.common import Secret
from logistics_ai.domain.validation import Clean

LinkToken = Annotated[str, StringConstraints(min_length=20, max_length=100), Clean]
Code = Annotated[str, StringConstraints(min_length=6, max_length=8), Clean]


class MessageOut(BaseModel):
    message: str


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: LinkToken


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: LinkToken
    password: Secret


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Secret
    new_password: Secret


class TotpSetupOut(BaseModel):
    secret: str = Field(description="Base32 secret for the authenticator app. Shown once.")
    otpauth_uri: str


class TotpCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code


class TotpDisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Secret
    code: Code
