"""The dashboard's copilot panel and daily briefing. Answers stream in from a background
event (the model never runs under the state lock); action cards change nothing until the
dispatcher clicks Confirm, which runs the proposal through the normal services."""

from __future__ import annotations

import contextlib

import reflex as rx

from logistics_ai.ai import budget, copilot, proposals
from logistics_ai.ai.briefing import daily_briefing
from logistics_ai.ai.narrate import narrate
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import DomainError
from state.auth import AuthState
from state.dispatch import STAFF, DispatchState

SOURCE = {"groq": "answered by the AI model (Groq)", "offline": "answered offline (no AI model)"}


class CopilotState(AuthState):
    chat: list[dict[str, str]] = []  # {"role": "user" | "assistant", "text": ...}
    cards: list[dict[str, str]] = []  # {"id", "kind", "title"}
    chat_input: str = ""
    chat_busy: bool = False
    conversation_id: str = ""
    chat_source: str = ""
    briefing: list[str] = []
    briefing_source: str = ""

    def _staff(self, limited: bool = True) -> Actor:
        with session_scope() as session:
            actor = self._actor(session, STAFF)
        if limited:
            budget.limit_user(actor)
        return actor

    @rx.event
    def set_chat_input(self, value: str):  # type: ignore[no-untyped-def]
        self.chat_input = value[: copilot.MAX_MESSAGE]

    @rx.event(background=True)
    async def ask(self):  # type: ignore[no-untyped-def]
        async with self:
            message = self.chat_input.strip()
            if self.chat_busy or not message:
                return
            self.chat_busy, self.chat_input = True, ""
            self.chat = [
                *self.chat,
                {"role": "user", "text": message},
                {"role": "assistant", "text": ""},
            ]
            conversation = self.conversation_id or None
        try:
            actor = await rx.run_in_thread(self._staff)
            async for event in copilot.answer(actor, message, conversation):
                async with self:
                    self._apply(event)
        except DomainError as error:
            yield rx.toast.error(error.message)
        finally:
            async with self:
                self.chat_busy = False

    def _apply(self, event: dict) -> None:  # type: ignore[type-arg]
        kind = event["type"]
        if kind == "conversation":
            self.conversation_id = event["conversation_id"]
        elif kind == "text":
            last = dict(self.chat[-1])
            last["text"] += event["text"]
            self.chat = [*self.chat[:-1], last]
        elif kind == "card":
            card = event["card"]
            self.cards = [
                *self.cards,
                {"id": card["id"], "kind": card["kind"], "title": card["title"]},
            ]
        elif kind == "done":
            self.chat_source = SOURCE[event["source"]]

    @rx.event(background=True)
    async def confirm(self, proposal_id: str):  # type: ignore[no-untyped-def]
        def run() -> str:
            actor = self._staff(limited=False)
            with session_scope() as session:
                return proposals.confirm(session, actor, proposal_id)

        try:
            done = await rx.run_in_thread(run)
        except DomainError as error:
            async with self:
                self.cards = [c for c in self.cards if c["id"] != proposal_id]
            yield rx.toast.error(error.message)
            return
        async with self:
            self.cards = [c for c in self.cards if c["id"] != proposal_id]
            self.chat = [*self.chat, {"role": "assistant", "text": f"Done: {done}"}]
        yield rx.toast.success(done)
        yield DispatchState.load  # the board shows the change

    @rx.event(background=True)
    async def dismiss(self, proposal_id: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            actor = self._staff(limited=False)
            with session_scope() as session:
                proposals.dismiss(session, actor, proposal_id)

        with contextlib.suppress(DomainError):  # expired or handled: the card goes either way
            await rx.run_in_thread(run)
        async with self:
            self.cards = [c for c in self.cards if c["id"] != proposal_id]

    @rx.event(background=True)
    async def load_briefing(self):  # type: ignore[no-untyped-def]
        def compute() -> list[str]:
            actor = self._staff(limited=False)
            with session_scope() as session:
                return daily_briefing(session, actor).lines

        try:
            lines = await rx.run_in_thread(compute)
        except DomainError:
            return
        text, source, _ = await narrate(lines, "briefing")
        async with self:
            self.briefing = text.split("\n") if source == "offline" else [text]
            self.briefing_source = SOURCE[source]
