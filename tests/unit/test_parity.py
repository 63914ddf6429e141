"""Feature parity: every action of the policy is reachable from the REST API and from the UI.

`PARITY` maps each `policy.Action` to the API operations and the UI event handlers that
perform it (both call the same service, which asks the same policy). An action missing from
one side must say so, with a reason, in `API_ONLY` / `UI_ONLY`. The test fails when a new
action is added to the policy without a row, when a listed route or handler no longer
exists, or when a listed handler is wired to no page.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import reflex as rx

import state
from logistics_ai.api.app import create_api
from logistics_ai.security.policy import POLICY, Action

ROOT = Path(__file__).resolve().parents[2]

PARITY: dict[Action, tuple[list[str], list[str]]] = {
    # action: ([API operations], [UI event handlers as "StateClass.handler"])
    Action.shipment_create: (
        ["POST /api/v1/shipments", "POST /api/v1/ai/parse-order"],
        ["CustomerState.submit", "AiBookingState.read_text"],
    ),
    Action.shipment_read: (
        ["GET /api/v1/shipments", "GET /api/v1/shipments/{shipment_id}"],
        ["CustomerState.load", "DispatchState.load"],
    ),
    Action.shipment_cancel: (
        ["POST /api/v1/shipments/{shipment_id}/cancel"],
        ["CancelShipmentState.confirm"],
    ),
    Action.shipment_assign: (
        [
            "POST /api/v1/shipments/{shipment_id}/assign",
            "POST /api/v1/shipments/{shipment_id}/unassign",
            "POST /api/v1/shipments/{shipment_id}/auto-assign",
            "POST /api/v1/dispatch/plan",
            "POST /api/v1/dispatch/plans/{plan_id}/apply",
        ],
        [
            "DispatchState.assign",  # a driver, or "none" to unassign
            "DispatchState.auto_assign",
            "AutoDispatchState.auto_dispatch",
            "AutoDispatchState.apply_plan",
        ],
    ),
    Action.stop_update: (["POST /api/v1/stops/{stop_id}/events"], []),
    Action.route_read: (["GET /api/v1/drivers/me/route"], ["DriverState.load"]),
    Action.driver_location_update: (["POST /api/v1/drivers/me/location"], []),
    Action.driver_status_update: (
        ["PUT /api/v1/drivers/me/status", "PUT /api/v1/drivers/{driver_id}/status"],
        ["DriverState.set_shift_status"],
    ),
    Action.fleet_read: (
        ["GET /api/v1/fleet", "GET /api/v1/alerts/late", "GET /api/v1/ai/briefing"],
        ["DispatchState.load", "CopilotState.load_briefing"],
    ),
    Action.session_manage: (
        [
            "GET /api/v1/me/sessions",
            "DELETE /api/v1/me/sessions/{session_id}",
            "POST /api/v1/me/password",
            "POST /api/v1/me/totp/setup",
            "POST /api/v1/me/totp/enable",
            "POST /api/v1/me/totp/disable",
            "GET /api/v1/privacy/export",
            "DELETE /api/v1/privacy/me",
            "GET /api/v1/privacy/consents",
            "POST /api/v1/privacy/consents",
        ],
        ["SessionsState.load", "SessionsState.revoke"],
    ),
    Action.user_manage: (
        ["GET /api/v1/users", "POST /api/v1/users/invitations", "PATCH /api/v1/users/{user_id}"],
        ["AdminUsersState.invite", "AdminUsersState.change_role", "AdminUsersState.toggle_active"],
    ),
    Action.api_key_manage: (
        ["GET /api/v1/api-keys", "POST /api/v1/api-keys", "DELETE /api/v1/api-keys/{key_id}"],
        ["ApiKeysState.create_key", "ApiKeysState.revoke_key"],
    ),
    Action.audit_read: (["GET /api/v1/audit-events"], ["AuditLogState.filter_audit"]),
    Action.optimize_run: (["POST /api/v1/optimize"], []),
}

API_ONLY: dict[Action, str] = {
    Action.stop_update: (
        "the driver page sends stop actions from its offline outbox (assets/driver_app.js) to "
        "this REST endpoint with an Idempotency-Key: a Reflex event would be lost without signal"
    ),
    Action.driver_location_update: (
        "GPS fixes are sent by the phone in batches to the REST endpoint (offline replay); "
        "a Reflex event per fix would hold a websocket round trip for every ping"
    ),
    Action.optimize_run: (
        "a stateless solver for integrators' own data; the dashboard plans the day's real "
        "work through auto-dispatch (shipment.assign)"
    ),
}
UI_ONLY: dict[Action, str] = {}


def _operations() -> set[str]:
    doc = create_api().openapi()
    methods = ("get", "post", "put", "patch", "delete")
    return {
        f"{m.upper()} {path}" for path, item in doc["paths"].items() for m in item if m in methods
    }


def _state_classes() -> dict[str, type[rx.State]]:
    found: dict[str, type[rx.State]] = {}
    for module in pkgutil.iter_modules(state.__path__):
        loaded = importlib.import_module(f"state.{module.name}")
        for name, value in vars(loaded).items():
            if isinstance(value, type) and issubclass(value, rx.State):
                found[name] = value
    return found


def _ui_sources() -> str:
    files = [*ROOT.glob("pages/*.py"), *ROOT.glob("components/*.py")]
    files.append(ROOT / "logistics_ai" / "logistics_ai.py")  # on_load handlers
    return "\n".join(path.read_text() for path in files)


def test_every_policy_action_has_a_parity_row() -> None:
    missing = [action.value for action in POLICY if action not in PARITY]
    assert not missing, (
        f"actions without a row in PARITY (tests/unit/test_parity.py): {missing}; "
        "list the REST operations and UI handlers that perform each one"
    )


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_both_sides_or_a_reason(action: Action) -> None:
    api, ui = PARITY[action]
    if not api:
        assert UI_ONLY.get(action), f"{action.value} has no REST route and no UI_ONLY reason"
    if not ui:
        assert API_ONLY.get(action), f"{action.value} has no UI entry point and no API_ONLY reason"
    assert not (api and action in UI_ONLY), f"{action.value} has a route now: drop UI_ONLY"
    assert not (ui and action in API_ONLY), f"{action.value} has a UI now: drop API_ONLY"


def test_listed_routes_exist() -> None:
    operations = _operations()
    stale = [op for api, _ in PARITY.values() for op in api if op not in operations]
    assert not stale, f"PARITY lists operations the API does not have: {stale}"


def test_listed_handlers_exist_and_are_wired_to_a_page() -> None:
    classes = _state_classes()
    sources = _ui_sources()
    problems = []
    for _, ui in PARITY.values():
        for handler in ui:
            cls_name, method = handler.split(".")
            cls = classes.get(cls_name)
            if cls is None or method not in cls.event_handlers:
                problems.append(f"{handler}: no such event handler in state/")
            elif handler not in sources:
                problems.append(f"{handler}: no page, component or on_load uses it")
    assert not problems, "\n".join(problems)
