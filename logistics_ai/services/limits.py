"""Rate-limit policies shared by the API and the web login (buckets live in Redis)."""

from __future__ import annotations

from logistics_ai.domain.errors import RateLimited
from logistics_ai.kvstore import WindowCount
from logistics_ai.security import rate_limit
from logistics_ai.settings import get_settings


def enforce(bucket: str, limit: int, window_s: int) -> None:
    _raise_if_denied(rate_limit.check(bucket, limit, window_s))


def _raise_if_denied(decision: rate_limit.Decision) -> None:
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests. Try again in {decision.retry_after_s} seconds.",
            retry_after_s=decision.retry_after_s,
        )


def api_principal_bucket(who: str) -> tuple[str, int]:
    """The store key and window of the per-principal API limit (counted with the auth check)."""
    return f"rl:api:{who}", get_settings().rate_limit_api_window_seconds


def enforce_api_principal(count: WindowCount) -> None:
    _raise_if_denied(rate_limit.decide(count, get_settings().rate_limit_api_per_principal))


def auth_by_ip(ip: str | None) -> None:
    settings = get_settings()
    enforce(
        f"auth:ip:{ip}", settings.rate_limit_auth_per_ip, settings.rate_limit_auth_window_seconds
    )


def auth_by_account(email: str) -> None:
    settings = get_settings()
    enforce(
        f"auth:acct:{email.strip().lower()}",
        settings.rate_limit_auth_per_account,
        settings.rate_limit_auth_window_seconds,
    )


def api_principal(who: str) -> None:
    settings = get_settings()
    enforce(
        f"api:{who}", settings.rate_limit_api_per_principal, settings.rate_limit_api_window_seconds
    )


async def anonymous(ip: str | None) -> None:
    """The per-address limit of public endpoints (tracking), counted without a thread hop."""
    settings = get_settings()
    _raise_if_denied(
        await rate_limit.check_async(
            f"anon:ip:{ip}",
            settings.rate_limit_api_per_principal,
            settings.rate_limit_api_window_seconds,
        )
    )
