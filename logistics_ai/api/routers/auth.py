"""/auth: tokens for email + password, refresh rotation, logout, sign-up, invitations."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from logistics_ai.api.deps import (
    Principal,
    client_ip,
    current_principal,
    limit_auth_by_account,
    limit_auth_by_ip,
    user_agent,
)
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import (
    AcceptInvitationIn,
    LoginIn,
    RefreshIn,
    RegisterIn,
    TokenOut,
    UserOut,
)
from logistics_ai.db import session_scope
from logistics_ai.domain.errors import AuthenticationFailed
from logistics_ai.services import auth, users

router = APIRouter(
    prefix="/auth", tags=["auth"], responses=ERRORS, dependencies=[Depends(limit_auth_by_ip)]
)


def _tokens(pair: auth.TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/token", response_model=TokenOut, summary="Sign in with email and password")
def issue_token(body: LoginIn, request: Request) -> TokenOut:
    limit_auth_by_account(body.email)
    with session_scope() as session:
        pair = auth.login(
            session,
            body.email,
            body.password,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    return _tokens(pair)


@router.post("/refresh", response_model=TokenOut, summary="Rotate a refresh token")
def refresh_token(body: RefreshIn, request: Request) -> TokenOut:
    with session_scope() as session:
        pair = auth.refresh_tokens(
            session, body.refresh_token, ip=client_ip(request), user_agent=user_agent(request)
        )
    return _tokens(pair)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke this access token and its session",
)
def logout(principal: Principal = Depends(current_principal)) -> Response:
    if principal.claims is None:
        raise AuthenticationFailed("API keys are revoked by an admin, not logged out.")
    with session_scope() as session:
        auth.logout(session, principal.actor, principal.claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/register",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Customer self-registration",
)
def register(body: RegisterIn, request: Request) -> UserOut:
    limit_auth_by_account(str(body.email))
    with session_scope() as session:
        user = users.register_customer(
            session, body.model_dump(), ip=client_ip(request), user_agent=user_agent(request)
        )
        return UserOut.model_validate(user)


@router.post(
    "/invitations/accept", response_model=UserOut, summary="Set a password from an invitation link"
)
def accept_invitation(body: AcceptInvitationIn) -> UserOut:
    with session_scope() as session:
        return UserOut.model_validate(users.accept_invitation(session, body.token, body.password))
