"""The permission policy: who may do what, and over which records.

One table of role x action -> ownership, used by every service call (UI and API alike) and
rendered into docs/permissions.md by a test so the documentation cannot drift.

Ownership:
- "all":  every record
- "own":  records the caller owns (a customer's own shipments, a user's own sessions)
- "route": records on the caller's own routes (drivers)
- "self": the caller's own driver profile
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from logistics_ai.domain.errors import PermissionDenied
from logistics_ai.models import Role

Ownership = Literal["all", "own", "route", "self"]


class Action(StrEnum):
    shipment_create = "shipment.create"
    shipment_read = "shipment.read"
    shipment_cancel = "shipment.cancel"
    shipment_assign = "shipment.assign"
    stop_update = "stop.update"
    route_read = "route.read"
    driver_location_update = "driver.location.update"
    driver_status_update = "driver.status.update"
    fleet_read = "fleet.read"
    session_manage = "session.manage"
    user_manage = "user.manage"
    api_key_manage = "api_key.manage"
    audit_read = "audit.read"
    optimize_run = "optimize.run"


C, D, P, A = Role.customer, Role.driver, Role.dispatcher, Role.admin

POLICY: dict[Action, dict[Role, Ownership]] = {
    Action.shipment_create: {C: "own", P: "all", A: "all"},
    Action.shipment_read: {C: "own", D: "route", P: "all", A: "all"},
    Action.shipment_cancel: {C: "own", P: "all", A: "all"},
    Action.shipment_assign: {P: "all", A: "all"},
    Action.stop_update: {D: "route", P: "all", A: "all"},
    Action.route_read: {D: "self", P: "all", A: "all"},
    Action.driver_location_update: {D: "self"},
    Action.driver_status_update: {D: "self", P: "all", A: "all"},
    Action.fleet_read: {P: "all", A: "all"},
    Action.session_manage: {C: "own", D: "own", P: "own", A: "own"},
    Action.user_manage: {A: "all"},
    Action.api_key_manage: {A: "all"},
    Action.audit_read: {A: "all"},
    Action.optimize_run: {P: "all", A: "all"},
}

# What an API key's scopes allow, on top of (never beyond) its owner's role.
SCOPES: dict[str, frozenset[Action]] = {
    "shipments:read": frozenset({Action.shipment_read}),
    "shipments:write": frozenset({Action.shipment_create, Action.shipment_cancel}),
    "dispatch:write": frozenset({Action.shipment_assign, Action.fleet_read}),
    "optimize:run": frozenset({Action.optimize_run}),
    "drivers:write": frozenset(
        {
            Action.driver_location_update,
            Action.stop_update,
            Action.route_read,
            Action.driver_status_update,
        }
    ),
}


def ownership(
    role: Role | None, action: Action, scopes: frozenset[str] | None = None
) -> Ownership | None:
    """The ownership a role (and, for API keys, its scopes) grants for an action, or None."""
    if role is None:
        return None
    if scopes is not None and not any(action in SCOPES.get(scope, ()) for scope in scopes):
        return None
    return POLICY[action].get(role)


def require(actor: object, action: Action) -> Ownership:
    """Raise PermissionDenied unless `actor` may perform `action`; return its ownership."""
    granted = ownership(getattr(actor, "role", None), action, getattr(actor, "scopes", None))
    if granted is None:
        raise PermissionDenied(
            f"You are not allowed to {action.value.replace('.', ' ').replace('_', ' ')}."
        )
    return granted


def render_markdown() -> str:
    roles = list(Role)
    lines = [
        "# Permissions",
        "",
        "Generated from `logistics_ai/security/policy.py` by `python -m logistics_ai docs`"
        " (checked by `tests/unit/test_docs.py`); do not edit by hand.",
        "",
        "Ownership: **all** = every record, **own** = the caller's own records, **route** ="
        " records on the caller's routes, **self** = the caller's own driver profile,"
        " **-** = denied (reads of records outside the ownership answer 404, not 403).",
        "",
        "| action | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action in Action:
        cells = [POLICY[action].get(role, "-") for role in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    lines += ["", "## API key scopes", "", "| scope | actions |", "|---|---|"]
    for scope, actions in SCOPES.items():
        lines.append(f"| `{scope}` | " + ", ".join(f"`{a.value}`" for a in sorted(actions)) + " |")
    lines += ["", "An API key acts as the user it belongs to, limited to its scopes.", ""]
    return "\n".join(lines)
