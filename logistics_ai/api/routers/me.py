"""/me: the caller's account and login sessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response, status

from logistics_ai.api.deps import Principal, current_principal
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import SessionOut, UserOut
from logistics_ai.db import session_scope
from logistics_ai.services import auth, users

router = APIRouter(prefix="/me", tags=["me"], responses=ERRORS)


@router.get("", response_model=UserOut, summary="The signed-in user")
def me(principal: Principal = Depends(current_principal)) -> UserOut:
    with session_scope() as session:
        return UserOut.model_validate(users.current_user(session, principal.actor))


@router.get("/sessions", response_model=list[SessionOut], summary="My active sessions")
def my_sessions(principal: Principal = Depends(current_principal)) -> list[SessionOut]:
    current = principal.claims.session_id if principal.claims else None
    return [
        SessionOut(
            session_id=r.session_id,
            kind=r.kind,
            created_at=r.created_at,
            last_used_at=r.last_used_at,
            ip=r.ip,
            user_agent=r.user_agent,
            current=r.session_id == current,
        )
        for r in auth.list_sessions(principal.actor)
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke one of my sessions",
)
def revoke_my_session(
    session_id: str = Path(min_length=1, max_length=64),
    principal: Principal = Depends(current_principal),
) -> Response:
    with session_scope() as session:
        auth.revoke_session(session, principal.actor, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
