"""Reflex configuration, derived from logistics_ai.settings so one set of variables drives both."""

import reflex as rx

from logistics_ai.services.web_sessions import allowed_origins
from logistics_ai.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="logistics_ai",
    show_built_with_reflex=False,
    telemetry_enabled=False,
    # Redis switches Reflex's state manager to Redis so replicas share state; unset = in-process.
    redis_url=_settings.redis_url,
    # All-day dashboards: keep a tab's state for a working day, not Reflex's default hour.
    redis_token_expiration=14 * 3600,
    # The websocket and HTTP routes answer only pages of our own public origin (Reflex's
    # default, "*", would reflect any origin with credentials).
    cors_allowed_origins=allowed_origins(),
    # The same proxy count the API trusts, so sign-in limits and audit rows of the web app
    # see the real client behind nginx (X-Forwarded-For), not the proxy.
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
