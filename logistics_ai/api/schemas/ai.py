"""Request and response bodies of /api/v1/ai/*."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.ai.booking import Question

ConversationId = Field(default=None, min_length=8, max_length=64, pattern=r"^[\w-]+$")


class ParseOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000, description="The request in plain words.")


class ParseOrderOut(BaseModel):
    draft: dict[str, Any] = Field(
        description="Fields of the booking request (POST /shipments) that could be determined."
    )
    questions: list[Question]
    source: Literal["groq", "offline"]
    fallback_reason: str | None = None


class CopilotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=1000)
    conversation_id: str | None = ConversationId


class ActionOut(BaseModel):
    proposal_id: str
    kind: str
    result: str


class BriefingOut(BaseModel):
    day: str
    text: str
    source: Literal["groq", "offline"]
    lines: list[str]
    yesterday: dict[str, Any]
    today: dict[str, Any]
    risks: list[dict[str, Any]]
