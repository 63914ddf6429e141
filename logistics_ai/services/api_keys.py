"""Creating, listing, revoking and authenticating integration API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, NotFound
from logistics_ai.domain.validation import Clean, Id, bounded, fail, parse
from logistics_ai.kvstore import get_store
from logistics_ai.models import ApiKey, saved_id, utcnow
from logistics_ai.security import api_keys as keys
from logistics_ai.security.policy import SCOPES, Action, require
from logistics_ai.services import audit, users

# Workers cache a verified key this long (bounds how late an owner's deactivation applies);
# a revocation applies at once through the marker below, which outlives every cache entry.
VERIFIED_KEY_CACHE_S = 10
REVOKED_MARKER_TTL_S = 3600


def revoked_marker(key_id: int) -> str:
    return f"revoked_api_key:{key_id}"


# Update last_used_at at most this often, so a busy key doesn't write on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, bounded(80, min_length=1), Clean]
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES))
    owner_user_id: Id | None = Field(default=None, description="Defaults to the creating admin.")
    expires_in_days: int | None = Field(default=90, ge=1, le=730)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once, never stored


def create(session: Session, actor: Actor, payload: NewApiKey | dict) -> CreatedKey:
    require(actor, Action.api_key_manage)
    data = payload if isinstance(payload, NewApiKey) else parse(NewApiKey, payload)
    unknown = sorted(set(data.scopes) - set(SCOPES))
    if unknown:
        raise fail({"scopes": f"unknown scopes {unknown}; choose from {sorted(SCOPES)}"})
    owner_id = data.owner_user_id or actor.user_id
    if owner_id is None or users.active_user(session, owner_id) is None:
        raise fail({"owner_user_id": "must be an active user"})
    full, prefix, hashed = keys.generate()
    expires = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    key = ApiKey(
        name=data.name,
        prefix=prefix,
        key_hash=hashed,
        scopes=",".join(sorted(set(data.scopes))),
        created_by_id=actor.user_id,
        owner_user_id=owner_id,
        expires_at=expires,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        "api_key.created",
        "api_key",
        key.id,
        {"prefix": prefix, "scopes": key.scopes, "owner_user_id": owner_id},
    )
    return CreatedKey(key, full)


def list_keys(session: Session, actor: Actor) -> list[ApiKey]:
    require(actor, Action.api_key_manage)
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all())


def revoke(session: Session, actor: Actor, key_id: int) -> ApiKey:
    require(actor, Action.api_key_manage)
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound(f"API key {key_id} was not found.")
    key.revoked_at = utcnow()
    session.add(key)
    # Every worker's cache of verified keys checks this marker on each request.
    get_store().set(revoked_marker(saved_id(key)), "1", REVOKED_MARKER_TTL_S)
    audit.record(session, actor, "api_key.revoked", "api_key", key.id, {"prefix": key.prefix})
    return key


def authenticate(
    session: Session, full_key: str, *, ip: str | None, user_agent: str | None
) -> Actor:
    prefix = keys.parse_prefix(full_key)
    key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first() if prefix else None
    now = utcnow()
    if key is None or not keys.matches(full_key, key.key_hash):
        raise AuthenticationFailed("The API key is invalid.")
    if key.revoked_at is not None:
        raise AuthenticationFailed("The API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise AuthenticationFailed("The API key has expired.")
    owner = users.active_user(session, key.owner_user_id)
    if owner is None:
        raise AuthenticationFailed("The API key's owner is no longer active.")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        key.last_used_at = now
        session.add(key)
    base = users.actor_for(session, owner, ip=ip, user_agent=user_agent)
    return Actor(
        user_id=base.user_id,
        role=base.role,
        label=f"api_key:{key.prefix}",
        customer_id=base.customer_id,
        driver_id=base.driver_id,
        ip=ip,
        user_agent=user_agent,
        scopes=frozenset(key.scopes.split(",")),
        api_key_id=key.id,
    )


def is_expired(key: ApiKey, now: datetime | None = None) -> bool:
    return key.expires_at is not None and key.expires_at <= (now or utcnow())
