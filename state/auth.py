"""The signed-in user of a tab: credential check, page guards, the login page and sign-out.

The credential is the HttpOnly session cookie that `logistics_ai/api/web_session.py` sets and
clears over plain HTTP. Reflex fills `router.headers.cookie` on the server from the websocket
handshake and never sends it to the browser, so state holds no credential: a client token
alone (it travels in `/_event?token=...`) authenticates nobody. Every state that holds user
data subclasses `AuthState`; `_forget_user` resets all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import reflex as rx
from reflex.app import App
from reflex.event import EventSpec
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import SecondFactorSetupRequired
from logistics_ai.models import Role
from logistics_ai.services import live_updates, web_sessions
from state.service import (
    Caller,
    Done,
    Failed,
    Result,
    caller_of,
    cookie_value,
    run,
    run_signed_in,
    verify,
)

T = TypeVar("T")

HOME_BY_ROLE = web_sessions.HOME_BY_ROLE


def authenticated_states() -> list[type[AuthState]]:
    """AuthState and every state class below it: all of them hold the signed-in user's data."""
    found: list[type[AuthState]] = []
    pending: list[type[AuthState]] = [AuthState]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


class AuthState(rx.State):
    user_name: rx.Field[str] = rx.field("")
    user_role: rx.Field[str] = rx.field("")
    login_error: rx.Field[str] = rx.field("")
    # Backend only (never sent): a digest of the cookie whose user's data this tab's state
    # holds, and that cookie's session id.
    _credential_fingerprint: str = ""
    _session_id: str = ""

    def _caller(self) -> Caller:
        """The sender of the current event, from the websocket connection's handshake."""
        cookie = cookie_value(self.router.headers.cookie, web_sessions.cookie_name())
        return caller_of(self, cookie)

    def _reset_loaded(self) -> None:
        self.reset()  # this state and every loaded substate
        self._credential_fingerprint = ""
        self._session_id = ""
        # No more live pushes for the user who left (GPS fixes reach a tab on its
        # registration alone, without a look at this state: state/live.py).
        live_updates.unwatch(self.router.session.client_token)

    async def _forget_user(self) -> None:
        """Sign-out or failed authentication: every state holding user data back to defaults."""
        for cls in authenticated_states():
            await self.get_state(cls)  # load them all (the Redis manager loads lazily)
        auth_state = await self.get_state(AuthState)
        auth_state._reset_loaded()

    async def _call(
        self,
        work: Callable[[Session, Actor], T],
        roles: Iterable[Role] | None = None,
        *,
        second_factor_setup: bool = False,
    ) -> Result[T]:
        """Run service work for the signed-in user off the event loop (see state/service.py).

        A failed authentication clears every authenticated substate before it is reported.
        `second_factor_setup`: the two-factor enrolment, which staff who must enrol may do.
        """
        caller = self._caller()
        result = await run_signed_in(caller, work, roles, second_factor_setup=second_factor_setup)
        if isinstance(result, Failed):
            if result.signed_out:
                await self._forget_user()
            return result
        value, who = result.value
        await self._remember(caller, who.session_id)
        return Done(value)

    async def _call_background(
        self, work: Callable[[Session, Actor], T], roles: Iterable[Role] | None = None
    ) -> Result[T]:
        """`_call` for background events: the state lock is taken only to read the caller and,
        when the session has ended, to clear the user's data; the work runs without it."""
        async with self:
            caller = self._caller()
        result = await run_signed_in(caller, work, roles)
        if isinstance(result, Failed):
            if result.signed_out:
                async with self:
                    await self._forget_user()
            return result
        return Done(result.value[0])

    async def _remember(self, caller: Caller, session_id: str) -> None:
        """Bind the tab's data to this credential (`SessionGate` already dropped any other's)."""
        auth_state = await self.get_state(AuthState)
        auth_state._credential_fingerprint = caller.fingerprint
        auth_state._session_id = session_id

    async def _guard(
        self, roles: Iterable[Role], *, second_factor_setup: bool = False
    ) -> EventSpec | None:
        """On page load: send strangers to the login page and others to their own area.

        Staff who must use two-factor sign-in and have not yet go to its set-up page first
        (that page passes `second_factor_setup`); they get no other page's data.
        """
        caller = self._caller()
        result = await run(
            lambda session: verify(session, caller, second_factor_setup=second_factor_setup)
        )
        if isinstance(result, Failed):
            await self._forget_user()
            if isinstance(result.error, SecondFactorSetupRequired):
                return rx.redirect(web_sessions.SECOND_FACTOR_SETUP_PATH)
            return rx.redirect("/login")
        who = result.value
        await self._remember(caller, who.session_id)
        role = who.actor.role or Role.customer
        auth_state = await self.get_state(AuthState)
        auth_state.user_name, auth_state.user_role = who.name, role.value
        if role not in set(roles):
            return rx.redirect(HOME_BY_ROLE[role])
        return None

    async def _home(self) -> EventSpec | None:
        """Where a signed-in user belongs, or None when nobody is signed in."""
        caller = self._caller()
        result = await run(lambda session: verify(session, caller, second_factor_setup=True))
        if isinstance(result, Failed) or result.value.actor.role is None:
            return None
        if result.value.needs_second_factor:
            return rx.redirect(web_sessions.SECOND_FACTOR_SETUP_PATH)
        return rx.redirect(HOME_BY_ROLE[result.value.actor.role])

    @rx.event
    async def redirect_home(self) -> EventSpec:
        """The landing page: signed-in users go to their area, others to the login page."""
        return await self._home() or rx.redirect("/login")

    @rx.event
    async def open_login(self) -> EventSpec | None:
        """Login page load: skip the form when signed in, else show the last sign-in error.

        The sign-in route answers a failed attempt with a short-lived flash cookie holding the
        message (set by the server, so a third party cannot put text on this page).
        """
        self.login_error = cookie_value(self.router.headers.cookie, web_sessions.FLASH_COOKIE)
        return await self._home()


class SessionGate(Middleware):
    """Before every event, hydration included: data loaded for another credential is dropped.

    A socket whose cookie is not the one the tab's data was loaded for (signed out, another
    account, or a stolen tab token with no cookie at all) gets the signed-out state before
    Reflex sends any of it. Cheap and I/O-free: it compares digests; handlers then verify
    the session in full.
    """

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        auth_state = await state.get_state(AuthState)
        presented = auth_state._caller().fingerprint
        if auth_state._credential_fingerprint and presented != auth_state._credential_fingerprint:
            await auth_state._forget_user()
        return None
