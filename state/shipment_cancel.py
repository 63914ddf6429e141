"""Cancelling a booking from the customer's list: ask, confirm with an optional reason, refresh."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.models import Role
from logistics_ai.services import shipments
from state.auth import AuthState
from state.customer import CustomerState
from state.service import Failed

# Who may press the button; the policy still decides per shipment (customers: their own).
CANCELLERS = (Role.customer, Role.dispatcher, Role.admin)


class CancelShipmentState(AuthState):
    # The booking the confirmation dialog is about; 0 = the dialog is closed.
    shipment_id: rx.Field[int] = rx.field(0)
    tracking_code: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    working: rx.Field[bool] = rx.field(False)

    @rx.event
    async def ask(self, shipment_id: int, tracking_code: str) -> None:
        self.shipment_id, self.tracking_code, self.error = shipment_id, tracking_code, ""

    @rx.event
    async def keep(self) -> None:
        self.shipment_id, self.tracking_code, self.error = 0, "", ""

    @rx.event
    async def confirm(self, form_data: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        shipment_id, reason = self.shipment_id, form_data.get("reason", "")
        if not shipment_id:
            return None
        self.working = True
        result = await self._call(
            lambda s, actor: shipments.cancel_shipment(s, actor, shipment_id, reason), CANCELLERS
        )
        self.working = False
        if isinstance(result, Failed):
            # The dialog stays open with the reason the service gave (e.g. already picked up).
            self.error = result.error.message
            return None if not result.signed_out else result.event
        code = self.tracking_code
        self.shipment_id, self.tracking_code, self.error = 0, "", ""
        return [rx.toast.success(f"Delivery {code} cancelled"), CustomerState.load]
