"""Public account flows: customer sign-up and accepting an invitation."""

from __future__ import annotations

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import DomainError, ValidationFailed
from logistics_ai.services import limits, users


class AccountState(rx.State):
    errors: dict[str, str] = {}
    message: str = ""
    done: bool = False

    @rx.event
    def reset_form(self):  # type: ignore[no-untyped-def]
        self.errors, self.message, self.done = {}, "", False

    @rx.event
    def sign_up(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        try:
            limits.auth_by_ip(self.router.session.client_ip or None)
            with session_scope() as session:
                users.register_customer(
                    session,
                    {
                        "email": form_data.get("email", ""),
                        "full_name": form_data.get("full_name", ""),
                        "password": form_data.get("password", ""),
                        "company_name": (form_data.get("company_name") or "").strip() or None,
                    },
                    ip=self.router.session.client_ip or None,
                    user_agent=self.router.headers.user_agent or None,
                )
        except ValidationFailed as error:
            self.errors = error.field_errors
            self.message = "Please correct the highlighted fields."
            return None
        except DomainError as error:
            self.errors = {}
            self.message = error.message
            return None
        self.errors, self.message, self.done = {}, "", True
        return rx.toast.success("Account created. Sign in to book your first delivery.")

    @rx.event
    def accept(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        password = form_data.get("password", "")
        if password != form_data.get("password_again", ""):
            self.errors = {"password_again": "the two passwords differ"}
            return None
        try:
            limits.auth_by_ip(self.router.session.client_ip or None)
            with session_scope() as session:
                users.accept_invitation(session, self.invite_token, password)  # type: ignore[attr-defined]
        except ValidationFailed as error:
            self.errors = error.field_errors
            return None
        except DomainError as error:
            self.errors = {}
            self.message = error.message
            return None
        self.errors, self.message, self.done = {}, "", True
        return None
