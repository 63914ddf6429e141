"""My account: the signed-in user's sessions (browsers and API clients), revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.models import Role
from logistics_ai.services import auth, web_sessions
from state.auth import AuthState
from state.formatting import when
from state.service import Failed


@dataclass(frozen=True)
class SessionRow:
    id: str
    kind: str
    agent: str
    ip: str
    created: str
    last_used: str
    current: bool


def session_row(record: web_sessions.SessionRecord, current_id: str) -> SessionRow:
    return SessionRow(
        id=record.session_id,
        kind="Browser" if record.kind == "web" else "API client",
        agent=(record.user_agent or "unknown device")[:80],
        ip=record.ip or "",
        created=when(datetime.fromisoformat(record.created_at)),
        last_used=when(datetime.fromisoformat(record.last_used_at)),
        current=record.session_id == current_id,
    )


class SessionsState(AuthState):
    sessions: rx.Field[list[SessionRow]] = rx.field(default_factory=list)

    @rx.event
    async def load(self) -> EventSpec | None:
        return await self._guard(tuple(Role)) or await self._refresh()

    async def _refresh(self) -> EventSpec | None:
        result = await self._call(lambda _, actor: auth.list_sessions(actor))
        if isinstance(result, Failed):
            return result.event
        self.sessions = [session_row(r, self._session_id) for r in result.value]
        return None

    @rx.event
    async def revoke(self, session_id: str) -> EventSpec | None:
        result = await self._call(lambda s, actor: auth.revoke_session(s, actor, session_id))
        if isinstance(result, Failed):
            return result.event
        return await self._refresh() or rx.toast.success("Session signed out")
