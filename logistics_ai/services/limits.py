"""Rate-limit policies shared by the API and the web login (buckets live in Redis)."""

from __future__ import annotations

from logistics_ai.domain.errors import RateLimited
from logistics_ai.security import rate_limit
from logistics_ai.settings import get_settings


def enforce(bucket: str, limit: int, window_s: int) -> None:
    decision = rate_limit.check(bucket, limit, window_s)
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests. Try again in {decision.retry_after_s} seconds.",
            retry_after_s=decision.retry_after_s,
        )


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


def anonymous(ip: str | None) -> None:
    settings = get_settings()
    enforce(
        f"anon:ip:{ip}",
        settings.rate_limit_api_per_principal,
        settings.rate_limit_api_window_seconds,
    )
