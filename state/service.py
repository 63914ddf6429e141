"""The one way Reflex handlers call the services: off the event loop, with errors mapped for the UI.

Reflex 0.10 runs event handlers on the worker's event loop, so a handler that waits on the
database, Redis, Argon2, the solver or HTTP there stalls every tab and every API request of
that worker. Handlers therefore never call a service directly. They hand a function to
`AuthState._call` (signed-in work) or `run` (public work): it runs in a worker thread inside one
`session_scope`, and a `DomainError` comes back as a `Failed` value whose `event` is the toast
(or, for an ended session, the redirect to the login page) that the handler returns:

    @rx.event
    async def revoke_key(self, key_id: int) -> EventSpec:
        result = await self._call(lambda s, actor: api_keys.revoke(s, actor, key_id), ADMIN)
        if isinstance(result, Failed):
            return result.event
        ...  # mutate state from result.value, on the loop

Long work (the solver) runs as a background event: read `self._caller()` inside
`async with self:`, await `run_signed_in(...)` outside it, and mutate state in another
`async with self:` block. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Generic, TypeAlias, TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import (
    AuthenticationFailed,
    DomainError,
    SecondFactorSetupRequired,
    ValidationFailed,
)
from logistics_ai.models import Role
from logistics_ai.services import account_security, web_sessions
from logistics_ai.services.web_sessions import WebUser

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """The service's return value."""

    value: T


@dataclass(frozen=True)
class Failed:
    """A refused call: the domain error and how the page reports it."""

    error: DomainError
    # True when the caller is no longer signed in: the tab's user data has been cleared.
    signed_out: bool = False

    @property
    def message(self) -> str:
        return self.error.message

    @property
    def field_errors(self) -> dict[str, str]:
        return self.error.field_errors if isinstance(self.error, ValidationFailed) else {}

    @property
    def event(self) -> EventSpec:
        if self.signed_out:
            return rx.redirect("/login")
        if isinstance(self.error, SecondFactorSetupRequired):
            return rx.redirect(account_security.SETUP_PATH)
        return rx.toast.error(self.message)


Result: TypeAlias = Done[T] | Failed


@dataclass(frozen=True)
class Caller:
    """Who sent the event, read on the loop from the websocket connection (never from state)."""

    credential: str = field(repr=False)
    ip: str | None
    user_agent: str | None

    @property
    def fingerprint(self) -> str:
        """A digest of the credential: lets state remember whose data it holds without it."""
        return credential_fingerprint(self.credential)


def caller_of(state: rx.State, credential: str = "") -> Caller:
    """The sender of the event `state` is handling: address and agent of its websocket."""
    return Caller(
        credential=credential,
        ip=state.router.session.client_ip or None,
        user_agent=(state.router.headers.user_agent or "")[:300] or None,
    )


def credential_fingerprint(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest() if credential else ""


def cookie_value(cookie_header: str, name: str) -> str:
    """One cookie's value from a Cookie header ("" when absent or malformed)."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


async def run(work: Callable[[Session], T]) -> Result[T]:
    """Public work (no signed-in user): one unit of work in a worker thread."""

    def unit() -> T:
        with session_scope() as session:
            return work(session)

    try:
        return Done(await asyncio.to_thread(unit))
    except DomainError as error:
        return Failed(error)


def verify(
    session: Session,
    caller: Caller,
    roles: Iterable[Role] | None = None,
    *,
    second_factor_setup: bool = False,
) -> WebUser:
    """Re-check the caller's credential against the live session and the user's current role
    (and, unless this is the enrolment itself, the staff two-factor rule)."""
    return web_sessions.verify(
        session,
        caller.credential,
        roles=None if roles is None else tuple(roles),
        ip=caller.ip,
        user_agent=caller.user_agent,
        second_factor_setup=second_factor_setup,
    )


class CredentialRefused(DomainError):
    """The work itself refused a password or code the user typed (say, a wrong current password
    on the password change): the caller is still signed in, so the tab keeps its state."""


async def run_signed_in(
    caller: Caller,
    work: Callable[[Session, Actor], T],
    roles: Iterable[Role] | None = None,
    *,
    second_factor_setup: bool = False,
) -> Result[tuple[T, WebUser]]:
    """Signed-in work: verify the caller, then call `work` in the same unit of work.

    `second_factor_setup`: the work is the two-factor enrolment itself, which staff who must
    enrol (STAFF_TOTP) may do before anything else.
    """

    def unit(session: Session) -> tuple[T, WebUser]:
        who = verify(session, caller, roles, second_factor_setup=second_factor_setup)
        try:
            return work(session, who.actor), who
        except AuthenticationFailed as error:
            raise CredentialRefused(error.message) from error

    result = await run(unit)
    if isinstance(result, Failed) and isinstance(result.error, AuthenticationFailed):
        return Failed(result.error, signed_out=True)
    return result
