"""The driver app's own writes over REST, authenticated by the browser's HttpOnly cookie.

The driver app keeps taps made without signal in the browser and replays them over plain
HTTP when the network returns (docs/proof-of-delivery.md, "Offline outbox"). The page's
script cannot read the HttpOnly session cookie, so these few routes also accept that cookie
besides a bearer token or API key. Only the routes that depend on this (stop events, GPS
batches and the proof-of-delivery upload) do; every other route keeps refusing cookies, so
the cookie cannot be abused for the rest of the API. CSRF: the cookie is SameSite=Strict and
a cookie-authenticated request must also carry our own Origin (the check of the sign-in
form); a cross-site page gets a 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from logistics_ai.api import web_session
from logistics_ai.api.deps import (
    caller_check,
    client_ip,
    current_principal,
    request_credential,
    user_agent,
)
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import PermissionDenied
from logistics_ai.models import Role
from logistics_ai.observability.context import bind_user
from logistics_ai.services import web_sessions


def _verify_cookie(credential: str, ip: str | None, agent: str | None) -> Actor:
    with session_scope() as session:
        who = web_sessions.verify(
            session, credential, roles=(Role.driver,), ip=ip, user_agent=agent
        )
    return who.actor


@caller_check
async def driver_app_actor(request: Request) -> Actor:
    """A bearer token or API key as everywhere; else the driver's same-origin session cookie."""
    cookie = request.cookies.get(web_sessions.cookie_name(), "")
    if not cookie or await request_credential(request):
        principal = await current_principal(request)
        return principal.actor
    if not web_session.same_origin(request):
        raise PermissionDenied("Cross-origin request refused.")
    # web_sessions.verify reads the database: one thread hop, never on the event loop.
    actor = await run_in_threadpool(_verify_cookie, cookie, client_ip(request), user_agent(request))
    bind_user(actor.user_id)
    return actor


DriverAppActorDep = Annotated[Actor, Depends(driver_app_actor)]
