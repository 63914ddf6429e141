"""/privacy: export my data, erase my account, consents (GDPR self-service)."""

from __future__ import annotations

from typing import Any

from logistics_ai.api.deps import ActorDep, SessionDep, SignInSlot, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.privacy import ConsentIn, ConsentsOut, ErasedOut, EraseIn
from logistics_ai.services import privacy
from logistics_ai.settings import get_settings

router = api_router(prefix="/privacy", tags=["privacy"], responses=ERRORS)


@router.get("/export", summary="Everything held about me, as JSON")
def export(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return privacy.export_my_data(session, actor)


@router.delete(
    "/me",
    dependencies=[SignInSlot],
    summary="Erase my account (customers; personal data anonymised irreversibly)",
)
def erase(body: EraseIn, session: SessionDep, actor: ActorDep) -> ErasedOut:
    counts = privacy.erase_my_account(session, actor, body.password)
    return ErasedOut(erased=True, anonymised=counts)


def _consents(session: SessionDep, actor: ActorDep) -> ConsentsOut:
    return ConsentsOut(
        notice_version=get_settings().privacy_notice_version,
        consents=privacy.current_consents(session, actor),
        purposes=privacy.CONSENT_PURPOSES,
    )


@router.get("/consents", summary="My current consent decisions")
def consents(session: SessionDep, actor: ActorDep) -> ConsentsOut:
    return _consents(session, actor)


@router.post("/consents", summary="Grant or withdraw consent for one purpose")
def decide(body: ConsentIn, session: SessionDep, actor: ActorDep) -> ConsentsOut:
    privacy.record_consent(session, actor, body.purpose, body.granted)
    session.flush()
    return _consents(session, actor)
