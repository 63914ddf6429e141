"""The dashboard's copilot panel and daily briefing. Answers stream in from a background
event (the model never runs under the state lock); action cards change nothing until the
dispatcher clicks Confirm, which runs the proposal through the normal services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventHandler, EventSpec

from logistics_ai.ai import copilot, proposals
from logistics_ai.ai.briefing import daily_briefing
from logistics_ai.ai.narrate import narrate
from logistics_ai.domain.errors import DomainError
from state.ai_booking import within_ai_budget
from state.auth import AuthState
from state.dispatch import STAFF, DispatchState
from state.service import Failed

SOURCE = {"groq": "answered by the AI model (Groq)", "offline": "answered offline (no AI model)"}


@dataclass(frozen=True)
class ChatLine:
    role: str  # "user" or "assistant"
    text: str


KIND_LABELS = {
    "assign": "Assign",
    "reassign": "Reassign",
    "replan": "Re-plan",
    "cancel": "Cancel",
    "notify": "Notify customer",
    "swap": "Swap stops",
}


@dataclass(frozen=True)
class ProposalCard:
    id: str
    kind: str
    title: str
    label: str = ""  # what kind of change, in words (the card's badge)
    detail: str = ""  # why: the late-risk line or the reason the card was made


class CopilotState(AuthState):
    chat: rx.Field[list[ChatLine]] = rx.field(default_factory=list)
    cards: rx.Field[list[ProposalCard]] = rx.field(default_factory=list)
    chat_input: rx.Field[str] = rx.field("")
    chat_busy: rx.Field[bool] = rx.field(False)
    conversation_id: rx.Field[str] = rx.field("")
    chat_source: rx.Field[str] = rx.field("")
    briefing: rx.Field[list[str]] = rx.field(default_factory=list)
    briefing_source: rx.Field[str] = rx.field("")

    @rx.event
    async def set_chat_input(self, value: str) -> None:
        self.chat_input = value[: copilot.MAX_MESSAGE]

    @rx.event(background=True)
    async def ask(self) -> AsyncIterator[EventSpec]:
        async with self:
            message = self.chat_input.strip()
            if self.chat_busy or not message:
                return
            self.chat_busy, self.chat_input = True, ""
            self.chat = [
                *self.chat,
                ChatLine("user", message),
                ChatLine("assistant", ""),
            ]
            conversation = self.conversation_id or None
        try:
            allowed = await self._call_background(within_ai_budget, STAFF)
            if isinstance(allowed, Failed):
                yield allowed.event
                return
            async for event in copilot.answer(allowed.value, message, conversation):
                async with self:
                    self._apply(event)
        except DomainError as error:
            yield rx.toast.error(error.message)
        finally:
            async with self:
                self.chat_busy = False

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "conversation":
            self.conversation_id = event["conversation_id"]
        elif kind == "text":
            last = self.chat[-1]
            self.chat = [*self.chat[:-1], ChatLine(last.role, last.text + event["text"])]
        elif kind == "card":
            card = event["card"]
            self.cards = [
                *self.cards,
                ProposalCard(
                    card["id"],
                    card["kind"],
                    card["title"],
                    KIND_LABELS.get(card["kind"], card["kind"]),
                    card.get("reason") or "",
                ),
            ]
        elif kind == "done":
            self.chat_source = SOURCE[event["source"]]

    @rx.event(background=True)
    async def confirm(self, proposal_id: str) -> AsyncIterator[EventSpec | EventHandler]:
        result = await self._call_background(
            lambda s, actor: proposals.confirm(s, actor, proposal_id), STAFF
        )
        if isinstance(result, Failed):
            async with self:
                self.cards = [c for c in self.cards if c.id != proposal_id]
            yield result.event
            return
        done = result.value
        async with self:
            self.cards = [c for c in self.cards if c.id != proposal_id]
            self.chat = [*self.chat, ChatLine("assistant", f"Done: {done}")]
        yield rx.toast.success(done)
        yield DispatchState.load  # the board shows the change

    @rx.event(background=True)
    async def dismiss(self, proposal_id: str) -> None:
        # Expired or handled: the card goes either way.
        await self._call_background(
            lambda s, actor: proposals.dismiss(s, actor, proposal_id), STAFF
        )
        async with self:
            self.cards = [c for c in self.cards if c.id != proposal_id]

    @rx.event(background=True)
    async def load_briefing(self) -> None:
        result = await self._call_background(lambda s, actor: daily_briefing(s, actor).lines, STAFF)
        if isinstance(result, Failed):
            return
        text, source, _ = await narrate(result.value, "briefing")
        async with self:
            self.briefing = text.split("\n") if source == "offline" else [text]
            self.briefing_source = SOURCE[source]
