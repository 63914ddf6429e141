"""The Reflex app: pages, the REST API mount and start-up work.

This module is the composition root, the one place in logistics_ai/ that imports pages/
(and through them state/ and components/); the rest of the package never does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import reflex as rx

from logistics_ai.ai import offload
from logistics_ai.api.app import create_api
from logistics_ai.memory import freeze_startup_objects
from logistics_ai.observability.logging import configure_logging
from logistics_ai.observability.loop_watch import watch_event_loop
from logistics_ai.redis_client import patch_reflex_for_sentinel
from logistics_ai.settings import get_settings
from pages.account import invite_page, signup_page
from pages.account_links import confirm_page, forgot_page, reset_page
from pages.admin import admin_page
from pages.auth import index, login
from pages.customer import customer_page
from pages.dispatch import dispatch_page
from pages.driver import driver_page
from pages.privacy import my_data_page, privacy_notice_page
from pages.security import security_page
from pages.sessions import sessions_page
from pages.tracking import track_page
from state.account import AccountState
from state.account_links import ConfirmState, ResetState
from state.admin import AdminState
from state.auth import AuthState, SessionGate
from state.customer import CustomerState
from state.dispatch import DispatchState
from state.driver import DriverState
from state.live import run_fanout
from state.privacy import PrivacyState
from state.security import SecurityState
from state.sessions import SessionsState
from state.tracking import TrackingState

configure_logging()
patch_reflex_for_sentinel()  # Reflex's state manager follows Sentinel failovers too


def _prepare_embedded_database() -> None:
    """Embedded default only: migrate and seed on start (deployments migrate as a release step)."""
    if get_settings().is_sqlite:
        from logistics_ai.bootstrap import prepare_database

        prepare_database()
        # No separate worker in the embedded default: send notifications from this process.
        from logistics_ai.jobs.worker import start_in_background

        start_in_background()


def _freeze_startup_objects() -> None:
    """Each worker, once started: its pages, states and app stay for its life (memory.py)."""
    freeze_startup_objects()


@contextlib.asynccontextmanager
async def _ai_process_pool() -> AsyncIterator[None]:
    """The copilot's tool processes (logistics_ai/ai/offload.py) stop with the app."""
    try:
        yield
    finally:
        await asyncio.to_thread(offload.shutdown)


app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.el.meta(name="viewport", content="width=device-width, initial-scale=1")],
)
app.add_middleware(SessionGate())
app.register_lifespan_task(_prepare_embedded_database)
app.register_lifespan_task(_freeze_startup_objects)
# Committed changes from any worker, replica or the REST API reach the open screens.
app.register_lifespan_task(run_fanout)
app.register_lifespan_task(_ai_process_pool)
# Stalls of the event loop are measured, and what held it is logged (docs/operations.md).
app.register_lifespan_task(watch_event_loop)
app.add_page(index, route="/", title="Logistics AI", on_load=AuthState.redirect_home)
app.add_page(login, route="/login", title="Sign in · Logistics AI", on_load=AuthState.open_login)
app.add_page(
    dispatch_page, route="/dispatch", title="Dispatch · Logistics AI", on_load=DispatchState.load
)
app.add_page(
    customer_page,
    route="/customer",
    title="My deliveries · Logistics AI",
    on_load=CustomerState.load,
)
app.add_page(
    driver_page, route="/driver", title="My route · Logistics AI", on_load=DriverState.load
)
app.add_page(
    sessions_page,
    route="/account/sessions",
    title="My sessions · Logistics AI",
    on_load=SessionsState.load,
)
app.add_page(
    security_page,
    route="/account/security",
    title="Account settings · Logistics AI",
    on_load=SecurityState.load,
)
app.add_page(admin_page, route="/admin", title="Admin · Logistics AI", on_load=AdminState.load)
app.add_page(
    signup_page,
    route="/signup",
    title="Create an account · Logistics AI",
    on_load=AccountState.reset_form,
)
app.add_page(
    invite_page,
    route="/invite/[invite_token]",
    title="Accept invitation · Logistics AI",
    on_load=AccountState.reset_form,
)
app.add_page(
    track_page,
    route="/track/[tracking_code]",
    title="Track a delivery · Logistics AI",
    on_load=TrackingState.load,
)
app.add_page(
    confirm_page,
    route="/confirm/[confirm_token]",
    title="Confirm your email · Logistics AI",
    on_load=ConfirmState.confirm,
)
app.add_page(
    forgot_page,
    route="/forgot",
    title="Forgot your password · Logistics AI",
    on_load=ResetState.clear,
)
app.add_page(
    reset_page,
    route="/reset/[reset_token]",
    title="Choose a new password · Logistics AI",
    on_load=ResetState.clear,
)
app.add_page(privacy_notice_page, route="/privacy", title="Privacy · Logistics AI")
app.add_page(
    my_data_page,
    route="/account/privacy",
    title="My data · Logistics AI",
    on_load=PrivacyState.load,
)
