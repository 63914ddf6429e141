"""Response and request bodies of the REST API. Every string and list has a limit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from logistics_ai.domain.validation import Clean, text
from logistics_ai.models import Role
from logistics_ai.services.shipment_status import StopEvent

Secret = Annotated[str, StringConstraints(min_length=1, max_length=256), Clean]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: text(254, min_length=3)
    password: Secret


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200), Clean]


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class AcceptInvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, StringConstraints(min_length=10, max_length=200), Clean]
    password: Secret


class UserOut(Out):
    id: int
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class InvitationOut(BaseModel):
    user: UserOut
    invitation_token: str = Field(description="Shown once. Send it to the invitee.")


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    is_active: bool | None = None


class SessionOut(BaseModel):
    session_id: str
    kind: str
    created_at: str
    last_used_at: str
    ip: str | None
    user_agent: str | None
    current: bool


class ShipmentOut(Out):
    id: int
    tracking_code: str
    customer_id: int
    status: str
    service_date: date
    pickup_address: str
    pickup_lat: float
    pickup_lon: float
    pickup_window_start: datetime
    pickup_window_end: datetime
    dropoff_address: str
    dropoff_lat: float
    dropoff_lon: float
    dropoff_window_start: datetime
    dropoff_window_end: datetime
    recipient_name: str
    recipient_phone: str | None
    weight_kg: float
    volume_m3: float
    required_skills: list[str]
    notes: str | None
    price_cents: int
    eta: datetime | None
    driver_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, shipment: Any) -> ShipmentOut:
        data = {
            name: getattr(shipment, name) for name in cls.model_fields if name != "required_skills"
        }
        skills = [s for s in shipment.required_skills.split(",") if s]
        return cls(**data, required_skills=skills)


class ShipmentPageOut(BaseModel):
    items: list[ShipmentOut]
    total: int
    page: int
    page_size: int
    pages: int


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: text(300) | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    driver_id: int = Field(ge=1, le=2**31 - 1)


class StopEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: StopEvent
    reason: text(300) | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class StopOut(BaseModel):
    id: int
    sequence: int
    kind: str
    status: str
    shipment_id: int
    tracking_code: str
    address: str
    lat: float
    lon: float
    window_start: datetime
    window_end: datetime
    recipient_name: str
    notes: str | None
    failure_reason: str | None


class RouteOut(BaseModel):
    driver_id: int
    service_date: date
    stops: list[StopOut]


class DriverLocationOut(BaseModel):
    driver_id: int
    lat: float | None
    lon: float | None
    last_seen_at: datetime | None
    accepted: int


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

    @classmethod
    def of(cls, key: Any) -> ApiKeyOut:
        data = {name: getattr(key, name) for name in cls.model_fields if name != "scopes"}
        return cls(**data, scopes=key.scopes.split(","))


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. Shown once; store it in your secret manager.")


class AuditEventOut(Out):
    id: int
    occurred_at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    total: int
    page: int
    page_size: int


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    password: Secret
    company_name: text(120) | None = None


class GeocodeOut(BaseModel):
    lat: float
    lon: float
    label: str
    approximate: bool = Field(description="True when placed by the offline demo gazetteer")
