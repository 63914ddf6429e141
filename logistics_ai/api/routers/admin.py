"""Admin endpoints: API keys, users and invitations, the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query, Response, status

from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.api_keys import ApiKeyCreatedOut, ApiKeyOut
from logistics_ai.api.schemas.audit import AuditPage
from logistics_ai.api.schemas.users import InvitationOut, UserOut, UserPatch
from logistics_ai.models import Role
from logistics_ai.services import api_keys, audit_log, users
from logistics_ai.services.api_keys import NewApiKey
from logistics_ai.services.users import Invite

router = api_router(responses=ERRORS)
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Short = Annotated[str | None, Query(max_length=64)]


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
    summary="Create an API key (shown once)",
)
def create_key(body: NewApiKey, session: SessionDep, actor: ActorDep) -> ApiKeyCreatedOut:
    created = api_keys.create(session, actor, body)
    out = ApiKeyOut.model_validate(created.key)
    return ApiKeyCreatedOut(**out.model_dump(), key=created.secret)


@router.get("/api-keys", tags=["api-keys"], summary="List API keys")
def list_keys(session: SessionDep, actor: ActorDep) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in api_keys.list_keys(session, actor)]


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["api-keys"],
    summary="Revoke an API key",
)
def revoke_key(key_id: ItemId, session: SessionDep, actor: ActorDep) -> Response:
    api_keys.revoke(session, actor, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", tags=["users"], summary="List users")
def list_users(session: SessionDep, actor: ActorDep, role: Role | None = None) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in users.list_users(session, actor, role)]


@router.post(
    "/users/invitations",
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    summary="Invite a driver, dispatcher, admin or customer",
)
def invite(body: Invite, session: SessionDep, actor: ActorDep) -> InvitationOut:
    return InvitationOut.model_validate(users.invite(session, actor, body))


@router.patch("/users/{user_id}", tags=["users"], summary="Change a user's role or deactivate them")
def update_user(body: UserPatch, user_id: ItemId, session: SessionDep, actor: ActorDep) -> UserOut:
    user = None
    if body.role is not None:
        user = users.change_role(session, actor, user_id, body.role)
    if body.is_active is not None:
        user = users.set_active(session, actor, user_id, body.is_active)
    if user is None:
        user = users.get_for_admin(session, actor, user_id)
    return UserOut.model_validate(user)


@router.get("/audit-events", tags=["audit"], summary="Search the audit log")
def audit_events(
    session: SessionDep,
    actor: ActorDep,
    action: Short = None,
    actor_label: Annotated[str | None, Query(alias="actor", max_length=64)] = None,
    entity_type: Short = None,
    entity_id: Short = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
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
    return AuditPage.model_validate(audit_log.list_events(session, actor, filters))
