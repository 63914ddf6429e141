"""Browser sign-in and sign-out over plain HTTP: the only code that sets the session cookie.

The login form and the "Log out" button are ordinary HTML forms posting here (no script,
so they work under the strict CSP). The cookie is HttpOnly (scripts cannot read it),
SameSite=Strict, Secure with the `__Host-` prefix when PUBLIC_BASE_URL is https, and carries
a credential bound to a revocable server-side session. Both routes refuse a request whose
Origin is not our own (CSRF: login CSRF and forced logout). The Reflex side reads the cookie
from the websocket handshake (state/auth.py).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from logistics_ai.api.deps import client_ip, user_agent
from logistics_ai.db import session_scope
from logistics_ai.domain.errors import DomainError
from logistics_ai.services import web_sessions
from logistics_ai.settings import get_settings

router = APIRouter(prefix="/api/web", include_in_schema=False)

MAX_FORM_BYTES = 4096


def same_origin(request: Request) -> bool:
    """True when the browser says the request comes from one of our own pages.

    Browsers send Origin on every POST; Sec-Fetch-Site when they support it. The request's
    own origin (its Host) is accepted besides PUBLIC_BASE_URL: a cross-site page cannot make
    a browser send a foreign Origin with our Host.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = (request.headers.get("origin") or "").lower()
    if not origin or origin == "null":
        return False
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return origin in (*web_sessions.allowed_origins(), own)


def _refused() -> Response:
    return JSONResponse(
        {"error": {"code": "forbidden", "message": "Cross-origin request refused.", "details": {}}},
        status_code=403,
    )


def _set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        web_sessions.cookie_name(),
        token,
        max_age=get_settings().session_ttl_seconds,
        path="/",
        secure=web_sessions.uses_https(),
        httponly=True,
        samesite="strict",
    )


def _clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        web_sessions.cookie_name(),
        path="/",
        secure=web_sessions.uses_https(),
        httponly=True,
        samesite="strict",
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items() if values}


@router.post(web_sessions.LOGIN_PATH.removeprefix("/api/web"))
async def login(request: Request) -> Response:
    """Form fields email and password. 303 to the user's home, or back to /login with a flash."""
    if not same_origin(request):
        return _refused()
    form = await _form(request)
    email, password = (form.get("email") or "").strip(), form.get("password") or ""
    otp = (form.get("otp") or "").strip()[:8] or None  # staff with two-factor sign-in on
    ip, agent = client_ip(request), user_agent(request)

    def sign_in() -> tuple[str, str]:
        with session_scope() as session:
            token, user = web_sessions.sign_in(
                session, email, password, ip=ip, user_agent=agent, otp=otp
            )
            return token, web_sessions.landing_page(user)

    try:
        if not email or not password:
            raise DomainError("Enter your email and password.")
        # Argon2, Redis and the database: one hop off the event loop.
        token, landing = await asyncio.to_thread(sign_in)
    except DomainError as error:
        failed = RedirectResponse("/login", status_code=303)
        failed.set_cookie(
            web_sessions.FLASH_COOKIE,
            error.message,
            max_age=web_sessions.FLASH_SECONDS,
            path="/",
            secure=web_sessions.uses_https(),
            httponly=True,
            samesite="strict",
        )
        return failed
    # A full page load follows, so the websocket reconnects and its handshake carries the cookie.
    response = RedirectResponse(landing, status_code=303)
    _set_session_cookie(response, token)
    response.delete_cookie(web_sessions.FLASH_COOKIE, path="/")
    return response


@router.post(web_sessions.LOGOUT_PATH.removeprefix("/api/web"))
async def logout(request: Request) -> Response:
    """Revoke the session (audited) and clear the cookie; 303 to the login page."""
    if not same_origin(request):
        return _refused()
    credential = request.cookies.get(web_sessions.cookie_name(), "")
    ip, agent = client_ip(request), user_agent(request)

    def sign_out() -> None:
        with session_scope() as session:
            web_sessions.sign_out(session, credential, ip=ip, user_agent=agent)

    if credential:
        await asyncio.to_thread(sign_out)
    response = RedirectResponse("/login", status_code=303)
    _clear_session_cookie(response)
    return response
