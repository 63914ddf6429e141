"""/ai: plain-words booking, the copilot (streamed), action cards and the daily briefing.

Every route authenticates, then applies the per-user AI rate limit before any work. Blocking
work (database, Redis) runs in worker threads; the event loop only waits on the model.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from logistics_ai.ai import booking, budget, copilot, proposals
from logistics_ai.ai.briefing import daily_briefing
from logistics_ai.ai.narrate import narrate
from logistics_ai.api.deps import ActorDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.ai import (
    ActionOut,
    BriefingOut,
    CopilotIn,
    ParseOrderIn,
    ParseOrderOut,
)
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.security.policy import Action, require

router = api_router(prefix="/ai", tags=["ai"], responses=ERRORS)
ProposalId = Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[\w-]+$")]


@router.post("/parse-order", response_model=ParseOrderOut, summary="Plain words -> booking draft")
async def parse_order(body: ParseOrderIn, actor: ActorDep) -> ParseOrderOut:
    await run_in_threadpool(require, actor, Action.shipment_create)
    await run_in_threadpool(budget.limit_user, actor)
    result = await booking.parse_order(body.text)
    return ParseOrderOut(**result.model_dump())


@router.post(
    "/copilot",
    summary="Ask the dispatch copilot (streamed NDJSON events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def ask_copilot(body: CopilotIn, actor: ActorDep) -> StreamingResponse:
    await run_in_threadpool(budget.limit_user, actor)

    async def events() -> AsyncIterator[bytes]:
        async for event in copilot.answer(actor, body.message, body.conversation_id):
            yield (json.dumps(event, default=str) + "\n").encode()

    return StreamingResponse(events(), media_type="application/x-ndjson")


def _confirm(actor: Actor, proposal_id: str) -> ActionOut:
    with session_scope() as session:
        proposal = proposals.load(actor, proposal_id)
        return ActionOut(
            proposal_id=proposal_id,
            kind=proposal.kind,
            result=proposals.confirm(session, actor, proposal_id),
        )


@router.post(
    "/actions/{proposal_id}/confirm", response_model=ActionOut, summary="Confirm an action card"
)
def confirm_action(proposal_id: ProposalId, actor: ActorDep) -> ActionOut:
    return _confirm(actor, proposal_id)


@router.post(
    "/actions/{proposal_id}/dismiss", response_model=ActionOut, summary="Dismiss an action card"
)
def dismiss_action(proposal_id: ProposalId, actor: ActorDep) -> ActionOut:
    with session_scope() as session:
        proposal = proposals.dismiss(session, actor, proposal_id)
    return ActionOut(proposal_id=proposal_id, kind=proposal.kind, result="dismissed")


def _briefing(actor: Actor, day: date | None) -> dict[str, Any]:
    with session_scope() as session:
        b = daily_briefing(session, actor, day)
        return {
            "day": b.day,
            "lines": b.lines,
            "yesterday": b.yesterday.as_dict(),
            "today": b.today.as_dict(),
            "risks": [r.as_dict() for r in b.risks],
        }


@router.get("/briefing", response_model=BriefingOut, summary="The dispatcher's daily briefing")
async def briefing(actor: ActorDep, day: Annotated[date | None, Query()] = None) -> BriefingOut:
    await run_in_threadpool(budget.limit_user, actor)
    data = await run_in_threadpool(_briefing, actor, day)
    text, source, _reason = await narrate(data["lines"], "briefing")
    return BriefingOut(text=text, source=source, **data)
