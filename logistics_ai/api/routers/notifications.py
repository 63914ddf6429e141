"""Notification preferences of the caller, and the sign-in-free unsubscribe link."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Query
from fastapi.responses import HTMLResponse

from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS, PUBLIC_ERRORS
from logistics_ai.db import session_scope
from logistics_ai.domain.errors import NotFound
from logistics_ai.services import notifications
from logistics_ai.services.notifications import Preferences

router = api_router(tags=["notifications"], responses=ERRORS)
_PUBLIC: dict[int | str, dict[str, Any]] = dict(PUBLIC_ERRORS.items())
public = api_router(tags=["notifications"], responses=_PUBLIC)


@router.get(
    "/me/notification-preferences",
    response_model=Preferences,
    summary="My notification channels, events and language",
)
def get_preferences(session: SessionDep, actor: ActorDep) -> Preferences:
    return notifications.my_preferences(session, actor)


@router.put(
    "/me/notification-preferences",
    response_model=Preferences,
    summary="Choose notification channels, events and language",
)
def put_preferences(body: Preferences, session: SessionDep, actor: ActorDep) -> Preferences:
    return notifications.update_my_preferences(session, actor, body)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Arial,sans-serif;max-width:480px;margin:24px auto;'
        'padding:0 16px">'
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status)


# The unsubscribe pages answer in HTML (a person opened a link), errors included.
HTML_PAGES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}},
    404: {"description": "The link is not valid (an HTML page)", "content": {"text/html": {}}},
    # Malformed query and rate limits keep the API's JSON envelope.
    **{
        code: {**PUBLIC_ERRORS[code], "content": {"application/json": {}}}
        for code in (400, 422, 429)
    },
}
Uid = Query(ge=1, le=2**31 - 1, alias="u")
Token = Query(min_length=1, max_length=64, alias="t")


@public.get(
    "/notifications/unsubscribe",
    response_class=HTMLResponse,
    responses=HTML_PAGES,
    summary="Unsubscribe page (no sign-in): asks for confirmation",
)
def unsubscribe_page(user_id: int = Uid, token: str = Token) -> HTMLResponse:
    # GET only shows a button: link scanners and mail previews fetch links, and must not
    # unsubscribe anyone by doing so.
    if not notifications.unsubscribe_token_valid(user_id, token):
        return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404)
    form = (
        f'<form method="post" action="?u={user_id}&amp;t={escape(token)}">'
        "<p>Stop all delivery emails and text messages for your account?</p>"
        '<button type="submit" style="min-height:48px;padding:0 20px;font-size:16px">'
        "Unsubscribe</button></form>"
    )
    return _page("Unsubscribe", form)


@public.post(
    "/notifications/unsubscribe",
    response_class=HTMLResponse,
    responses=HTML_PAGES,
    summary="Unsubscribe (no sign-in; also RFC 8058 one-click)",
)
def unsubscribe(user_id: int = Uid, token: str = Token) -> HTMLResponse:
    try:
        with session_scope() as session:
            notifications.unsubscribe(session, user_id, token)
    except NotFound:
        return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404)
    return _page(
        "You are unsubscribed",
        "<p>You will get no more delivery emails or text messages. You can turn them back on "
        "in the customer app under <em>Notifications</em>.</p>",
    )
