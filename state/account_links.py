"""Public account links: confirm an email address, ask for and use a password-reset link.

Every call goes through `state.service.run`: one unit of work in a worker thread.
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from logistics_ai.services import account_security, limits
from state.service import Failed, run


class ConfirmState(rx.State):
    confirm_status: str = "pending"  # pending | confirmed | failed
    confirm_message: str = ""

    @rx.event
    async def confirm(self) -> None:
        token = str(self.router.page.params.get("confirm_token", ""))
        self.confirm_status, self.confirm_message = "pending", ""
        result = await run(lambda s: account_security.confirm_email(s, token))
        if isinstance(result, Failed):
            self.confirm_status, self.confirm_message = "failed", result.message
            return
        self.confirm_status = "confirmed"
        self.confirm_message = "Your email address is confirmed. You can sign in now."


class ResetState(rx.State):
    reset_errors: dict[str, str] = {}
    reset_message: str = ""
    reset_done: bool = False

    @rx.event
    async def clear(self) -> None:
        self.reset_errors, self.reset_message, self.reset_done = {}, "", False

    @rx.event
    async def request_link(self, form_data: dict[str, str]) -> None:
        email = (form_data.get("email") or "").strip()
        if "@" not in email or len(email) > 254:
            self.reset_errors = {"email": "Enter the email address of your account."}
            return
        ip = self.router.session.client_ip or None
        agent = self.router.headers.user_agent or None

        def request(session: Session) -> str:
            limits.auth_by_ip(ip)
            limits.auth_by_account(email)
            return account_security.request_password_reset(session, email, ip=ip, user_agent=agent)

        result = await run(request)
        if isinstance(result, Failed):
            self.reset_errors, self.reset_message = {}, result.message
            return
        self.reset_errors, self.reset_message, self.reset_done = {}, result.value, True

    @rx.event
    async def set_password(self, form_data: dict[str, str]) -> None:
        password = form_data.get("password") or ""
        if password != (form_data.get("password_again") or ""):
            self.reset_errors = {"password_again": "The two passwords differ."}
            return
        token = str(self.router.page.params.get("reset_token", ""))
        result = await run(lambda s: account_security.reset_password(s, token, password))
        if isinstance(result, Failed):
            self.reset_errors = result.field_errors
            self.reset_message = "" if result.field_errors else result.message
            return
        self.reset_errors, self.reset_done = {}, True
        self.reset_message = "Your password is changed and every session was signed out."
