"""/me: the caller's account and login sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from logistics_ai.api.deps import PrincipalDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.users import SessionOut, UserOut
from logistics_ai.services import auth, users

router = api_router(prefix="/me", tags=["me"], responses=ERRORS)


@router.get("", summary="The signed-in user")
def me(session: SessionDep, principal: PrincipalDep) -> UserOut:
    return UserOut.model_validate(users.current_user(session, principal.actor))


@router.get("/sessions", summary="My active sessions")
def my_sessions(principal: PrincipalDep) -> list[SessionOut]:
    current = principal.claims.session_id if principal.claims else None
    return [
        SessionOut.model_validate(r).model_copy(update={"current": r.session_id == current})
        for r in auth.list_sessions(principal.actor)
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke one of my sessions",
)
def revoke_my_session(
    session_id: Annotated[str, Path(min_length=1, max_length=64)],
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    auth.revoke_session(session, principal.actor, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
