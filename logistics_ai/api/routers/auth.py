"""/auth: tokens for email + password, refresh rotation, logout, sign-up, invitations."""

from __future__ import annotations

from fastapi import Depends, Request, Response, status

from logistics_ai.api.deps import (
    PrincipalDep,
    SessionDep,
    SignInSlot,
    api_router,
    client_ip,
    limit_auth_by_account,
    limit_auth_by_ip,
    user_agent,
)
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.account import MessageOut
from logistics_ai.api.schemas.auth import AcceptInvitationIn, LoginIn, RefreshIn, TokenOut
from logistics_ai.api.schemas.users import UserOut
from logistics_ai.domain.errors import AuthenticationFailed
from logistics_ai.services import account_security, auth, users
from logistics_ai.services.users import Registration

router = api_router(
    prefix="/auth", tags=["auth"], responses=ERRORS, dependencies=[Depends(limit_auth_by_ip)]
)


@router.post("/token", dependencies=[SignInSlot], summary="Sign in with email and password")
def issue_token(body: LoginIn, request: Request, session: SessionDep) -> TokenOut:
    limit_auth_by_account(body.email)
    pair = auth.login(
        session,
        body.email,
        body.password,
        ip=client_ip(request),
        user_agent=user_agent(request),
        otp=body.otp,
    )
    return TokenOut.model_validate(pair)


@router.post("/refresh", summary="Rotate a refresh token")
def refresh_token(body: RefreshIn, request: Request, session: SessionDep) -> TokenOut:
    pair = auth.refresh_tokens(
        session, body.refresh_token, ip=client_ip(request), user_agent=user_agent(request)
    )
    return TokenOut.model_validate(pair)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke this access token and its session",
)
def logout(session: SessionDep, principal: PrincipalDep) -> Response:
    if principal.claims is None:
        raise AuthenticationFailed("API keys are revoked by an admin, not logged out.")
    auth.logout(session, principal.actor, principal.claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[SignInSlot],
    summary="Customer self-registration (confirmed by an emailed link)",
)
def register(body: Registration, request: Request, session: SessionDep) -> MessageOut:
    """The same answer whether or not the email already has an account; the mailbox learns
    which (a confirmation link, or a notice that someone tried)."""
    limit_auth_by_account(str(body.email))
    message = account_security.register(
        session, body.model_dump(), ip=client_ip(request), user_agent=user_agent(request)
    )
    return MessageOut(message=message)


@router.post(
    "/invitations/accept",
    dependencies=[SignInSlot],
    summary="Set a password from an invitation link",
)
def accept_invitation(body: AcceptInvitationIn, session: SessionDep) -> UserOut:
    return UserOut.model_validate(users.accept_invitation(session, body.token, body.password))
