"""Account protection: email confirmation, password reset and change, TOTP for staff."""

from __future__ import annotations

from fastapi import Depends, Request, Response, status

from logistics_ai.api.deps import (
    Principal,
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
from logistics_ai.api.schemas.account import (
    ConfirmIn,
    MessageOut,
    PasswordChangeIn,
    ResetIn,
    ResetRequestIn,
    TotpCodeIn,
    TotpDisableIn,
    TotpSetupOut,
)
from logistics_ai.domain.errors import PermissionDenied
from logistics_ai.services import account_security

public = api_router(
    prefix="/auth", tags=["auth"], responses=ERRORS, dependencies=[Depends(limit_auth_by_ip)]
)
me = api_router(prefix="/me", tags=["me"], responses=ERRORS)


def _person(principal: Principal) -> Principal:
    if principal.claims is None:  # an API key acts for a person but is not that person
        raise PermissionDenied("Sign in as the person to manage their account.")
    return principal


@public.post("/confirm", dependencies=[SignInSlot], summary="Confirm an email address")
def confirm(body: ConfirmIn, session: SessionDep) -> MessageOut:
    account_security.confirm_email(session, body.token)
    return MessageOut(message="Your email address is confirmed. You can sign in now.")


@public.post(
    "/password-reset",
    response_model=MessageOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a one-time password-reset link (same answer for unknown emails)",
)
def request_reset(body: ResetRequestIn, request: Request, session: SessionDep) -> MessageOut:
    limit_auth_by_account(str(body.email))
    message = account_security.request_password_reset(
        session, str(body.email), ip=client_ip(request), user_agent=user_agent(request)
    )
    return MessageOut(message=message)


@public.post(
    "/password-reset/confirm",
    dependencies=[SignInSlot],
    summary="Set a new password from a link",
)
def reset(body: ResetIn, session: SessionDep) -> MessageOut:
    account_security.reset_password(session, body.token, body.password)
    return MessageOut(message="Your password is changed and every session was signed out.")


@me.post(
    "/password",
    dependencies=[SignInSlot],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change my password (other sessions are signed out)",
)
def change_password(
    body: PasswordChangeIn, session: SessionDep, principal: PrincipalDep
) -> Response:
    principal = _person(principal)
    account_security.change_password(
        session,
        principal.actor,
        body.current_password,
        body.new_password,
        keep_session_id=principal.claims.session_id if principal.claims else None,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post("/totp/setup", response_model=TotpSetupOut, summary="Start two-factor enrolment (staff)")
def totp_setup(session: SessionDep, principal: PrincipalDep) -> TotpSetupOut:
    enrollment = account_security.begin_totp(session, _person(principal).actor)
    return TotpSetupOut(secret=enrollment.secret, otpauth_uri=enrollment.uri)


@me.post(
    "/totp/enable",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Turn two-factor sign-in on with a first code",
)
def totp_enable(body: TotpCodeIn, session: SessionDep, principal: PrincipalDep) -> Response:
    person = _person(principal)
    account_security.enable_totp(
        session,
        person.actor,
        body.code,
        # This session proved the code: it counts as signed in with the second factor.
        current_session_id=person.claims.session_id if person.claims else None,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post(
    "/totp/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Turn two-factor sign-in off (password and a current code)",
)
def totp_disable(body: TotpDisableIn, session: SessionDep, principal: PrincipalDep) -> Response:
    account_security.disable_totp(session, _person(principal).actor, body.password, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
