"""Admin endpoints: API keys, users and invitations, the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import (
    ApiKeyCreatedOut,
    ApiKeyOut,
    AuditEventOut,
    AuditPageOut,
    InvitationOut,
    UserOut,
    UserPatch,
)
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.models import Role
from logistics_ai.services import api_keys, audit_log, users
from logistics_ai.services.api_keys import NewApiKey
from logistics_ai.services.users import Invite

router = APIRouter(responses=ERRORS)
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreatedOut,
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
    summary="Create an API key (shown once)",
)
def create_key(body: NewApiKey, actor: Actor = Depends(current_actor)) -> ApiKeyCreatedOut:
    with session_scope() as session:
        created = api_keys.create(session, actor, body)
        out = ApiKeyOut.of(created.key)
        return ApiKeyCreatedOut(**out.model_dump(), key=created.secret)


@router.get("/api-keys", response_model=list[ApiKeyOut], tags=["api-keys"], summary="List API keys")
def list_keys(actor: Actor = Depends(current_actor)) -> list[ApiKeyOut]:
    with session_scope() as session:
        return [ApiKeyOut.of(k) for k in api_keys.list_keys(session, actor)]


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["api-keys"],
    summary="Revoke an API key",
)
def revoke_key(key_id: ItemId, actor: Actor = Depends(current_actor)) -> Response:
    with session_scope() as session:
        api_keys.revoke(session, actor, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", response_model=list[UserOut], tags=["users"], summary="List users")
def list_users(role: Role | None = None, actor: Actor = Depends(current_actor)) -> list[UserOut]:
    with session_scope() as session:
        return [UserOut.model_validate(u) for u in users.list_users(session, actor, role)]


@router.post(
    "/users/invitations",
    response_model=InvitationOut,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    summary="Invite a driver, dispatcher, admin or customer",
)
def invite(body: Invite, actor: Actor = Depends(current_actor)) -> InvitationOut:
    with session_scope() as session:
        link = users.invite(session, actor, body)
        return InvitationOut(user=UserOut.model_validate(link.user), invitation_token=link.token)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    tags=["users"],
    summary="Change a user's role or deactivate them",
)
def update_user(body: UserPatch, user_id: ItemId, actor: Actor = Depends(current_actor)) -> UserOut:
    with session_scope() as session:
        user = None
        if body.role is not None:
            user = users.change_role(session, actor, user_id, body.role)
        if body.is_active is not None:
            user = users.set_active(session, actor, user_id, body.is_active)
        if user is None:
            user = users.get_for_admin(session, actor, user_id)
        return UserOut.model_validate(user)


@router.get(
    "/audit-events", response_model=AuditPageOut, tags=["audit"], summary="Search the audit log"
)
def audit_events(
    action: str | None = Query(default=None, max_length=64),
    actor_label: str | None = Query(default=None, alias="actor", max_length=64),
    entity_type: str | None = Query(default=None, max_length=64),
    entity_id: str | None = Query(default=None, max_length=64),
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = Query(default=1, ge=1, le=100_000),
    page_size: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(current_actor),
) -> AuditPageOut:
    filters = {
        "action": action,
        "actor": actor_label,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "date_from": date_from,
        "date_to": date_to,
        "page": page,
        "page_size": page_size,
    }
    with session_scope() as session:
        result = audit_log.list_events(session, actor, filters)
        return AuditPageOut(
            items=[AuditEventOut.model_validate(e) for e in result.items],
            total=result.total,
            page=result.page,
            page_size=result.page_size,
        )
