"""Who may use the AI how much: a per-user request rate and a daily token budget for the
organisation (this deployment). Both live in the shared store (Redis in production)."""

from __future__ import annotations

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.kvstore import get_store
from logistics_ai.services.limits import enforce
from logistics_ai.settings import get_settings

_TWO_DAYS_S = 2 * 86400


def limit_user(actor: Actor) -> None:
    """Raise RateLimited when this user (or API key) asked the AI too often lately."""
    settings = get_settings()
    who = f"key:{actor.api_key_id}" if actor.api_key_id else f"user:{actor.user_id}"
    enforce(f"ai:{who}", settings.ai_requests_per_user, settings.ai_rate_window_seconds)


def _key() -> str:
    return f"ai:tokens:{clock.today_local().isoformat()}"


def tokens_used_today() -> int:
    return int(get_store().get(_key()) or 0)


def budget_left() -> int:
    return max(0, get_settings().ai_daily_token_budget - tokens_used_today())


def spend(tokens: int) -> None:
    # Read-then-write: concurrent calls may overshoot the budget by one call each; the
    # budget is a cost guard, not an invoice, so that is acceptable and avoids a new store op.
    if tokens > 0:
        get_store().set(_key(), str(tokens_used_today() + tokens), _TWO_DAYS_S)
