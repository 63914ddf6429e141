"""Account settings: password change, two-factor sign-in (staff) and consents.

The TOTP secret and its otpauth URI are state only between "Set up" and the confirming code
(or "Cancel", or leaving the page): the person needs them on screen to scan or type. They
are cleared the moment the step ends, and every page load starts without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.models import Role
from logistics_ai.services import account_security, privacy
from state.auth import HOME_BY_ROLE, AuthState
from state.service import Failed


@dataclass(frozen=True)
class ConsentRow:
    purpose: str
    label: str
    granted: bool


@dataclass(frozen=True)
class Overview:
    security: account_security.SecurityOverview
    consents: dict[str, bool]


def _overview(session_id: str) -> Callable[[Session, Actor], Overview]:
    def work(session: Session, actor: Actor) -> Overview:
        return Overview(
            account_security.security_overview(session, actor, session_id or None),
            privacy.current_consents(session, actor),
        )

    return work


class SecurityState(AuthState):
    is_staff: rx.Field[bool] = rx.field(False)
    totp_enabled: rx.Field[bool] = rx.field(False)
    totp_required: rx.Field[bool] = rx.field(False)
    sign_in_again: rx.Field[bool] = rx.field(False)
    home: rx.Field[str] = rx.field("/")
    consents: rx.Field[list[ConsentRow]] = rx.field(default_factory=list)
    password_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    change_notice: rx.Field[str] = rx.field("")
    totp_error: rx.Field[str] = rx.field("")
    # The enrolment step only (see the module docstring).
    setup_secret: rx.Field[str] = rx.field("")
    setup_uri: rx.Field[str] = rx.field("")
    setup_qr: rx.Field[str] = rx.field("")

    def _end_setup(self) -> None:
        self.setup_secret, self.setup_uri, self.setup_qr = "", "", ""

    @rx.event
    async def load(self) -> EventSpec | None:
        self._end_setup()
        self.password_errors, self.change_notice, self.totp_error = {}, "", ""
        guard = await self._guard(tuple(Role), second_factor_setup=True)
        return guard or await self._refresh()

    @rx.event
    async def leave(self) -> None:
        """Page unload (navigation away): the enrolment secret does not outlive the page."""
        self._end_setup()

    async def _refresh(self) -> EventSpec | None:
        session_id = (await self.get_state(AuthState))._session_id
        result = await self._call(_overview(session_id), second_factor_setup=True)
        if isinstance(result, Failed):
            return result.event
        overview = result.value
        self.is_staff = overview.security.is_staff
        self.totp_enabled = overview.security.totp_enabled
        self.totp_required = overview.security.totp_required
        self.sign_in_again = overview.security.sign_in_again
        auth_state = await self.get_state(AuthState)
        self.home = (
            HOME_BY_ROLE.get(Role(auth_state.user_role), "/") if auth_state.user_role else "/"
        )
        self.consents = [
            ConsentRow(purpose, label, overview.consents.get(purpose, False))
            for purpose, label in privacy.CONSENT_PURPOSES.items()
        ]
        return None

    # --- Password ------------------------------------------------------------------------

    @rx.event
    async def change_password(self, form_data: dict[str, str]) -> EventSpec | None:
        current = form_data.get("current_password") or ""
        new = form_data.get("new_password") or ""
        self.change_notice = ""
        if new != (form_data.get("new_password_again") or ""):
            self.password_errors = {"new_password_again": "The two new passwords differ."}
            return None
        keep = (await self.get_state(AuthState))._session_id  # this browser stays signed in
        result = await self._call(
            lambda s, actor: account_security.change_password(
                s, actor, current, new, keep_session_id=keep or None
            )
        )
        if isinstance(result, Failed):
            if result.signed_out or result.error.http_status == 403:
                return result.event
            self.password_errors = result.field_errors or {"current_password": result.message}
            return None
        self.password_errors = {}
        self.change_notice = "Your password was changed. Your other sessions were signed out."
        return None

    # --- Two-factor sign-in ----------------------------------------------------------------

    @rx.event
    async def start_totp(self) -> EventSpec | None:
        result = await self._call(account_security.begin_totp, second_factor_setup=True)
        self.totp_error = ""
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.totp_error = result.field_errors.get("code") or result.message
            return None
        self.setup_secret, self.setup_uri = result.value.secret, result.value.uri
        self.setup_qr = result.value.qr
        return None

    @rx.event
    async def cancel_totp(self) -> None:
        self._end_setup()
        self.totp_error = ""

    @rx.event
    async def confirm_totp(self, form_data: dict[str, str]) -> EventSpec | None:
        code = (form_data.get("code") or "").strip()
        current = (await self.get_state(AuthState))._session_id
        result = await self._call(
            lambda s, actor: account_security.enable_totp(
                s, actor, code, current_session_id=current or None
            ),
            second_factor_setup=True,
        )
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.totp_error = result.field_errors.get("code") or result.message
            return None
        self._end_setup()
        self.totp_error = ""
        self.totp_enabled = True
        return rx.toast.success("Two-factor sign-in is on.")

    @rx.event
    async def disable_totp(self, form_data: dict[str, str]) -> EventSpec | None:
        password = form_data.get("password") or ""
        code = (form_data.get("code") or "").strip()
        result = await self._call(
            lambda s, actor: account_security.disable_totp(s, actor, password, code)
        )
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.totp_error = result.message
            return None
        self.totp_error = ""
        self.totp_enabled = False
        return rx.toast.success("Two-factor sign-in is off.")

    # --- Consents --------------------------------------------------------------------------

    @rx.event
    async def set_consent(self, purpose: str, granted: bool) -> EventSpec | None:
        result = await self._call(
            lambda s, actor: privacy.record_consent(s, actor, purpose, granted)
        )
        if isinstance(result, Failed):
            return result.event
        return await self._refresh() or rx.toast.success(
            "Consent recorded." if granted else "Consent withdrawn."
        )
