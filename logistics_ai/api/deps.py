"""Request dependencies of the API: the unit of work, the caller, client identity, rate limits.

The request path is built so that one request costs one thread hop and one transaction:

- `ActorDep` runs on the event loop. A bearer token is verified in memory plus ONE store
  round trip (session liveness and the rate limit in a single atomic call); an API key is
  verified against the database once per `api_keys.VERIFIED_KEY_CACHE_S` per worker, then
  served from a small cache whose revocation marker rides along in that same round trip.
- `SessionDep` opens a session without touching the database (no connection yet);
  `ReadSessionDep` is the same for endpoints that only read, without BEGIN/COMMIT round trips.
- Endpoints are plain `def` functions. `UnitOfWorkRoute` (every router's `route_class`) runs
  the whole endpoint in ONE worker thread and commits its session there, so the response is
  sent only after the commit, and response validation then runs on the loop without a hop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import inspect
import time
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from logistics_ai.db import (
    abandon_unit,
    commit_unit,
    new_read_session,
    new_session,
    session_scope,
)
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, Unavailable
from logistics_ai.kvstore import StoreUnavailable, get_store
from logistics_ai.observability.context import bind_user
from logistics_ai.security.api_keys import KEY_PREFIX
from logistics_ai.security.tokens import TokenClaims
from logistics_ai.services import account_security, api_keys, auth, limits
from logistics_ai.settings import get_settings

# The two ways to send a credential. They are not FastAPI dependencies of the caller checks
# below: FastAPI would solve them as two more dependency layers on every request only to read
# two headers (docs/performance.md, Round 5). The checks call them directly, and
# `declare_caller_schemes` puts them in the OpenAPI document as FastAPI would have.
bearer_scheme = HTTPBearer(auto_error=False, description="JWT access token or API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
CALLER_SCHEMES = (bearer_scheme, api_key_scheme)
# The dependencies that authenticate the caller with one of CALLER_SCHEMES (see caller_check).
CALLER_CHECKS: set[Callable[..., Any]] = set()


@dataclass(frozen=True)
class Principal:
    actor: Actor
    claims: TokenClaims | None  # None when authenticated by API key


# --- The unit of work -------------------------------------------------------------------


# The request's session: opened without a connection, committed or abandoned by
# `UnitOfWorkRoute` in the endpoint's thread (`_run_unit`). Plain coroutines, not generator
# dependencies with a cleanup: FastAPI runs each generator dependency through an exit stack
# per request (~6% of an authenticated read's CPU, docs/performance.md, Round 5), and the
# cleanup was only for an endpoint bypassing UnitOfWorkRoute, which tests/integration/
# test_request_path.py rules out (every route taking a session is a sync endpoint of it).


async def request_session() -> Session:  # async: FastAPI would run a def in a thread
    return new_session()


SessionDep = Annotated[Session, Depends(request_session)]


async def request_read_session() -> Session:
    """For endpoints that only read: no BEGIN/COMMIT round trips (see db.ReadSession)."""
    return new_read_session()


ReadSessionDep = Annotated[Session, Depends(request_read_session)]


def _run_unit(
    endpoint: Callable[..., Any], kwargs: dict[str, Any], queued_at: float | None = None
) -> Any:
    sessions = [value for value in kwargs.values() if isinstance(value, Session)]
    if queued_at is not None and _waited_too_long(queued_at):
        for session in sessions:
            abandon_unit(session)
        raise Overloaded("The server is busy. Retry shortly.")
    try:
        result = endpoint(**kwargs)
    except BaseException as error:
        for session in sessions:
            abandon_unit(session, error)
        raise
    for session in sessions:
        commit_unit(session)
    return result


@functools.cache
def unit_threads() -> ThreadPoolExecutor:
    """The worker threads of this process's API units of work (API_THREADS of them).

    A plain executor rather than anyio's thread pool (`run_in_threadpool`): handing a job to
    it is a put on a C `SimpleQueue`, where anyio's worker threads wait on a pure-Python
    `queue.Queue` (a lock and a condition per put) behind a capacity limiter; that hand-off
    was ~9% of an authenticated read's CPU (docs/performance.md, Round 6). Same bound: a
    request beyond API_THREADS waits for a thread, as it waited for a limiter token.
    """
    return ThreadPoolExecutor(get_settings().api_threads, thread_name_prefix="api-unit")


def _waited_too_long(queued_at: float) -> bool:
    """Whether a unit waited for its thread past API_QUEUE_TIMEOUT_MS (0: never).

    `API_MAX_IN_FLIGHT` refuses requests beyond it at once, but an admitted request could
    still wait seconds for one of the worker's API_THREADS threads on a full machine
    (docs/performance.md, Round 13). Its answer would come too late to be useful, and doing
    the work anyway would make every request behind it later still: it answers 503 +
    Retry-After instead, before the endpoint runs, so nothing is read or written and the
    client may simply retry. Counted from the hand-off to the executor, so a sign-in's wait
    at its own gate (on the loop, bounded separately) is not counted twice.
    """
    timeout_ms = get_settings().api_queue_timeout_ms
    return bool(timeout_ms) and (time.monotonic() - queued_at) * 1000 > timeout_ms


async def run_unit_in_thread(endpoint: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """`_run_unit(endpoint, kwargs)` in a worker thread, with the request's context.

    If the request is cancelled meanwhile, the unit still finishes (and commits) in its
    thread, as with anyio's non-abandoning hop; only the response is not sent.
    """
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        unit_threads(), context.run, _run_unit, endpoint, kwargs, time.monotonic()
    )


def in_one_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint as a coroutine that runs it, and commits its session, in one hop."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    async def run(**kwargs: Any) -> Any:
        return await run_unit_in_thread(endpoint, kwargs)

    return run


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_one_thread(endpoint), **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose sync endpoints run as one unit of work in one thread hop."""
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)


# --- Client identity --------------------------------------------------------------------


def client_ip(request: Request) -> str | None:
    """The caller's IP, trusting X-Forwarded-For only from the configured proxy hops."""
    hops = get_settings().trusted_proxy_hops
    forwarded = request.headers.get("x-forwarded-for", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:300] or None


# --- Rate limits outside the per-request check ---------------------------------------------


def limit_auth_by_ip(request: Request) -> None:
    limits.auth_by_ip(client_ip(request))


def limit_auth_by_account(email: str) -> None:
    limits.auth_by_account(email)


async def limit_anonymous(request: Request) -> None:  # async: no thread hop of its own
    await limits.anonymous(client_ip(request))


# --- Bounded password hashing -------------------------------------------------------------


class Overloaded(Exception):
    """Answered with 503 + Retry-After (see api/errors.py)."""


@dataclass
class _Gate:
    slots: asyncio.Semaphore
    waiting: int = 0


_sign_in_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gate] = (
    weakref.WeakKeyDictionary()
)
SIGN_IN_MAX_WAIT_S = 2.0
# Sign-ins in progress per hash slot. A sign-in spent ~60 ms in its unit of work of which
# ~25 ms hashing: with one request per slot the slot idled through the round trips
# (32 sign-ins/s on 2 workers, docs/performance.md "Round 3").
SIGN_INS_PER_HASH_SLOT = 3


def sign_in_slots() -> int:
    return get_settings().sign_in_concurrency * SIGN_INS_PER_HASH_SLOT


async def sign_in_slot() -> AsyncIterator[None]:
    """Hold one of `sign_in_slots()` places while an endpoint that hashes a password runs.

    Argon2id costs ~25 ms of CPU and ~19 MiB per hash; unbounded, a sign-in storm takes
    every worker thread and core (reads queue behind it). The hash itself is bounded to
    `SIGN_IN_CONCURRENCY` at once by `passwords.hashing_slot`; this gate admits a few
    sign-ins per hash slot, so one's database and Redis round trips overlap another's hash
    and they hold at most `sign_in_slots()` threads. Waiting happens on the loop, before the
    thread hop, and is bounded.
    """
    settings = get_settings()
    loop = asyncio.get_running_loop()
    gate = _sign_in_gates.get(loop)
    if gate is None:
        gate = _sign_in_gates[loop] = _Gate(asyncio.Semaphore(sign_in_slots()))
    if gate.slots.locked() and gate.waiting >= settings.sign_in_queue:
        raise Overloaded("Too many sign-ins at once. Retry shortly.")
    gate.waiting += 1
    try:
        await asyncio.wait_for(gate.slots.acquire(), SIGN_IN_MAX_WAIT_S)
    except TimeoutError:
        raise Overloaded("Too many sign-ins at once. Retry shortly.") from None
    finally:
        gate.waiting -= 1
    try:
        yield
    finally:
        gate.slots.release()


SignInSlot = Depends(sign_in_slot, scope="function")


# --- The caller ---------------------------------------------------------------------------

# sha256(key) -> (actor without ip/user agent, key expiry as epoch seconds or None, valid until)
_verified_keys: dict[str, tuple[Actor, float | None, float]] = {}
_MAX_CACHED_KEYS = 10_000


def _verify_key_in_db(full_key: str) -> tuple[Actor, float | None]:
    from logistics_ai.models import ApiKey

    with session_scope() as session:
        actor = api_keys.authenticate(session, full_key, ip=None, user_agent=None)
        key = session.get(ApiKey, actor.api_key_id)
        expires = key.expires_at.timestamp() if key and key.expires_at else None
    return actor, expires


async def _api_key_actor(full_key: str) -> Actor:
    digest = hashlib.sha256(full_key.encode()).hexdigest()
    now = time.time()
    cached = _verified_keys.get(digest)
    if cached is None or cached[2] < now:
        actor, expires = await run_in_threadpool(_verify_key_in_db, full_key)
        if len(_verified_keys) >= _MAX_CACHED_KEYS:
            _verified_keys.clear()
        cached = (actor, expires, now + api_keys.VERIFIED_KEY_CACHE_S)
        _verified_keys[digest] = cached
    actor, expires, _ = cached
    if expires is not None and expires <= now:
        _verified_keys.pop(digest, None)
        raise AuthenticationFailed("The API key has expired.")
    counter, window_s = limits.api_principal_bucket(f"key:{actor.api_key_id}")
    try:
        (revoked,), count = await get_store().get_and_hit(
            (api_keys.revoked_marker(actor.api_key_id),),  # type: ignore[arg-type]  # key actor
            counter,
            window_s,
            now,
        )
    except StoreUnavailable:  # Redis down: the cache entry (at most a few seconds old) holds
        return actor
    if revoked is not None:
        _verified_keys.pop(digest, None)
        raise AuthenticationFailed("The API key has been revoked.")
    limits.enforce_api_principal(count)
    return actor


# What staff who must use two-factor sign-in (STAFF_TOTP) may still call without it: enrol,
# or sign out. Everything else answers 403 second_factor_required.
SECOND_FACTOR_SETUP_ROUTES = frozenset(
    {"/api/v1/me/totp/setup", "/api/v1/me/totp/enable", "/api/v1/auth/logout"}
)


def _check_second_factor(request: Request, verified: auth.VerifiedToken) -> None:
    # The scope's path, not request.url.path: the same for these paths, without building
    # the request's URL (~2% of a read's CPU, docs/performance.md, Round 5).
    if request.scope["path"] in SECOND_FACTOR_SETUP_ROUTES:
        return
    role = verified.actor.role
    if verified.second_factor is None:  # the session store could not be read
        if account_security.second_factor_missing(role, False):
            raise Unavailable("Two-factor sign-in cannot be checked right now; retry shortly.")
        return
    account_security.require_second_factor(role, verified.second_factor)


def caller_check(check: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a dependency that authenticates the caller with CALLER_SCHEMES, so that every
    operation depending on it declares them in the OpenAPI document."""
    CALLER_CHECKS.add(check)
    return check


async def request_credential(request: Request) -> str | None:
    """The caller's API key (X-API-Key) or else bearer credential, read as the schemes do."""
    header_key = await api_key_scheme(request)
    bearer = await bearer_scheme(request)
    return header_key or (bearer.credentials if bearer else None)


@caller_check
async def current_principal(request: Request) -> Principal:
    credential = await request_credential(request)
    if not credential:
        raise AuthenticationFailed("Authentication required: send a Bearer token or X-API-Key.")
    ip, agent = client_ip(request), user_agent(request)
    if credential.startswith(KEY_PREFIX):
        actor = await _api_key_actor(credential)
        principal = Principal(replace(actor, ip=ip, user_agent=agent), None)
    else:
        verified = await auth.verify_api_token(credential, ip=ip, user_agent=agent)
        _check_second_factor(request, verified)
        principal = Principal(verified.actor, verified.claims)
    bind_user(principal.actor.user_id)  # hashed into this request's log lines
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


@caller_check
async def current_actor(request: Request) -> Actor:
    # The same check as PrincipalDep, called directly rather than as a sub-dependency:
    # FastAPI solves every dependency layer anew on each request (docs/performance.md,
    # Round 4). No endpoint takes both ActorDep and PrincipalDep, so nothing runs twice.
    return (await current_principal(request)).actor


ActorDep = Annotated[Actor, Depends(current_actor)]
