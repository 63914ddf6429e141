"""My account: the signed-in user's sessions (browsers and API clients), revocable."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import DomainError
from logistics_ai.security import tokens
from logistics_ai.services import auth
from state.auth import AuthState
from state.formatting import when


class SessionsState(AuthState):
    sessions: list[dict[str, str]] = []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session)
                self.user_role = actor.role.value if actor.role else ""
                records = auth.list_sessions(actor)
        except DomainError:
            return rx.redirect("/login")
        try:
            current = tokens.decode(self.session_token, audience=tokens.WEB_AUDIENCE).session_id
        except tokens.InvalidToken:
            current = ""
        self.sessions = [
            {
                "id": r.session_id,
                "kind": "Browser" if r.kind == "web" else "API client",
                "agent": (r.user_agent or "unknown device")[:80],
                "ip": r.ip or "",
                "created": when(datetime.fromisoformat(r.created_at)),
                "last_used": when(datetime.fromisoformat(r.last_used_at)),
                "current": "yes" if r.session_id == current else "",
            }
            for r in records
        ]
        return None

    @rx.event
    def revoke(self, session_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                auth.revoke_session(session, self._actor(session), session_id)
        except DomainError as error:
            return rx.toast.error(error.message)
        self.load()
        return rx.toast.success("Session signed out")
