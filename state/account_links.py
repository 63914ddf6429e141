"""Public account links: confirm an email address, ask for and use a password-reset link.

Handlers are async and push the database and Argon2 work off the event loop.
"""

from __future__ import annotations

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import DomainError, ValidationFailed
from logistics_ai.services import account_security, limits


def _confirm(token: str) -> None:
    with session_scope() as session:
        account_security.confirm_email(session, token)


def _request_reset(email: str, ip: str | None, agent: str | None) -> str:
    limits.auth_by_ip(ip)
    limits.auth_by_account(email)
    with session_scope() as session:
        return account_security.request_password_reset(session, email, ip=ip, user_agent=agent)


def _reset(token: str, password: str) -> None:
    with session_scope() as session:
        account_security.reset_password(session, token, password)


class ConfirmState(rx.State):
    confirm_status: str = "pending"  # pending | confirmed | failed
    confirm_message: str = ""

    @rx.event
    async def confirm(self):  # type: ignore[no-untyped-def]
        token = str(self.router.page.params.get("confirm_token", ""))
        self.confirm_status, self.confirm_message = "pending", ""
        try:
            await rx.run_in_thread(lambda: _confirm(token))
        except DomainError as error:
            self.confirm_status, self.confirm_message = "failed", error.message
            return
        self.confirm_status = "confirmed"
        self.confirm_message = "Your email address is confirmed. You can sign in now."


class ResetState(rx.State):
    reset_errors: dict[str, str] = {}
    reset_message: str = ""
    reset_done: bool = False

    @rx.event
    def clear(self):  # type: ignore[no-untyped-def]
        self.reset_errors, self.reset_message, self.reset_done = {}, "", False

    @rx.event
    async def request_link(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        email = (form_data.get("email") or "").strip()
        if "@" not in email or len(email) > 254:
            self.reset_errors = {"email": "Enter the email address of your account."}
            return
        ip = self.router.session.client_ip or None
        agent = self.router.headers.user_agent or None
        try:
            message = await rx.run_in_thread(lambda: _request_reset(email, ip, agent))
        except DomainError as error:
            self.reset_errors, self.reset_message = {}, error.message
            return
        self.reset_errors, self.reset_message, self.reset_done = {}, message, True

    @rx.event
    async def set_password(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        password = form_data.get("password") or ""
        if password != (form_data.get("password_again") or ""):
            self.reset_errors = {"password_again": "The two passwords differ."}
            return
        token = str(self.router.page.params.get("reset_token", ""))
        try:
            await rx.run_in_thread(lambda: _reset(token, password))
        except ValidationFailed as error:
            self.reset_errors, self.reset_message = error.field_errors, ""
            return
        except DomainError as error:
            self.reset_errors, self.reset_message = {}, error.message
            return
        self.reset_errors, self.reset_done = {}, True
        self.reset_message = "Your password is changed and every session was signed out."
