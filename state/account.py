"""Public account flows: customer sign-up and accepting an invitation."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.services import account_security, limits, users
from state.service import Failed, caller_of, run


class AccountState(rx.State):
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    message: rx.Field[str] = rx.field("")
    done: rx.Field[bool] = rx.field(False)

    def _show(self, failure: Failed) -> None:
        self.errors = failure.field_errors
        self.message = (
            "Please correct the highlighted fields." if failure.field_errors else failure.message
        )

    @rx.event
    async def reset_form(self) -> None:
        self.errors, self.message, self.done = {}, "", False

    @rx.event
    async def sign_up(self, form_data: dict[str, str]) -> EventSpec | None:
        caller = caller_of(self)
        registration = {
            "email": form_data.get("email", ""),
            "full_name": form_data.get("full_name", ""),
            "password": form_data.get("password", ""),
            "company_name": (form_data.get("company_name") or "").strip() or None,
        }

        def register(session: Session) -> str:
            limits.auth_by_ip(caller.ip)
            # The same answer whether or not the email had an account; confirmation by email.
            return account_security.register(
                session, registration, ip=caller.ip, user_agent=caller.user_agent
            )

        result = await run(register)
        if isinstance(result, Failed):
            self._show(result)
            return None
        self.errors, self.message, self.done = {}, result.value, True
        return None

    @rx.event
    async def accept(self, form_data: dict[str, str]) -> None:
        password = form_data.get("password", "")
        if password != form_data.get("password_again", ""):
            self.errors = {"password_again": "the two passwords differ"}
            return
        caller = caller_of(self)
        # /invite/<token>: the token is the last path segment.
        invite_token = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

        def accept_invitation(session: Session) -> None:
            limits.auth_by_ip(caller.ip)
            users.accept_invitation(session, invite_token, password)

        result = await run(accept_invitation)
        if isinstance(result, Failed):
            self._show(result)
            return
        self.errors, self.message, self.done = {}, "", True
