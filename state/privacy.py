"""My data: download everything held about me, erase my account (customers)."""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.models import Role
from logistics_ai.services import privacy
from state.auth import AuthState
from state.service import Failed


class PrivacyState(AuthState):
    can_erase: rx.Field[bool] = rx.field(False)
    erase_error: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> EventSpec | None:
        guard = await self._guard(tuple(Role))
        if guard is not None:
            return guard
        auth_state = await self.get_state(AuthState)  # _guard stored the role there
        self.can_erase = auth_state.user_role == Role.customer.value
        self.erase_error = ""
        return None

    @rx.event
    async def download(self) -> EventSpec:
        result = await self._call(privacy.export_my_data)
        if isinstance(result, Failed):
            return result.event
        # Straight to the browser as a file; the document never becomes state.
        return rx.download(
            data=json.dumps(result.value, indent=2, ensure_ascii=False),
            filename="logistics-ai-my-data.json",
        )

    @rx.event
    async def erase(self, form_data: dict[str, str]) -> EventSpec | None:
        password = form_data.get("password") or ""
        if (form_data.get("confirm") or "").strip().upper() != "ERASE":
            self.erase_error = "Type ERASE to confirm."
            return None
        result = await self._call(lambda s, actor: privacy.erase_my_account(s, actor, password))
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.erase_error = result.field_errors.get("password") or result.message
            return None
        await self._forget_user()  # every session was revoked with the account
        return rx.redirect("/privacy?erased=1")
