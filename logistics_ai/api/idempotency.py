"""The `Idempotency-Key` header for the driver's writes (offline replay from the phone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.services import idempotency

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        max_length=255,
        description="Client-generated id of this action (e.g. a UUID). Sending the same key "
        "again returns the first answer instead of acting twice.",
    ),
]


def run_once(
    session: Session,
    actor: Actor,
    key: str | None,
    endpoint: str,
    fingerprint: str,
    status_code: int,
    work: Callable[[], BaseModel],
) -> Any:
    """Run `work` once per key; a replay gets the stored answer (marked by a header)."""
    if key is None:
        return work()
    replay = idempotency.claim(session, actor, key, endpoint, fingerprint)
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    result = work()
    idempotency.remember(session, actor, key, status_code, result.model_dump(mode="json"))
    return result
