"""Admin area, webhooks tab: endpoints (create, disable, enable), recent deliveries, redeliver.

The signing secret of a new endpoint is shown once like an API key: it goes to the browser as
a one-off `set_value` event into a read-only field and is never kept in state (the state is
handed to whoever connects with the tab's token, and Reflex logs it).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.models import Role, WebhookDelivery, WebhookEndpoint
from logistics_ai.services import webhooks
from state.auth import AuthState
from state.formatting import when
from state.service import Failed

ADMIN = (Role.admin,)
# Element id of the read-only field that receives the signing secret, shown once.
SHOWN_ONCE_FIELD = "new-webhook-secret"
RECENT_DELIVERIES = 20


@dataclass(frozen=True)
class WebhookRow:
    id: int
    url: str
    description: str
    event_types: str
    active: bool
    state: str
    failures: int
    created: str


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_type: str
    status: str
    attempts: int
    response: str
    created: str
    delivered: str


def webhook_row(endpoint: WebhookEndpoint) -> WebhookRow:
    state = "active" if endpoint.is_active else f"disabled: {endpoint.disabled_reason or ''}"
    return WebhookRow(
        id=endpoint.id or 0,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types.replace(",", ", "),
        active=endpoint.is_active,
        state=state.rstrip(": "),
        failures=endpoint.consecutive_failures,
        created=when(endpoint.created_at),
    )


def delivery_row(delivery: WebhookDelivery) -> DeliveryRow:
    code = f"HTTP {delivery.last_status_code}" if delivery.last_status_code else ""
    return DeliveryRow(
        id=delivery.id or 0,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        response=" · ".join(part for part in (code, delivery.last_error or "") if part),
        created=when(delivery.created_at),
        delivered=when(delivery.delivered_at),
    )


def _recent(session: Session, actor: Actor, endpoint_id: int) -> list[DeliveryRow]:
    page = webhooks.deliveries(session, actor, endpoint_id, page_size=RECENT_DELIVERIES)
    return [delivery_row(d) for d in page.items]


class WebhookAdminState(AuthState):
    endpoints: rx.Field[list[WebhookRow]] = rx.field(default_factory=list)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    secret_created: rx.Field[bool] = rx.field(False)
    # The endpoint whose delivery log is shown (0: none) and that log.
    log_endpoint_id: rx.Field[int] = rx.field(0)
    log_url: rx.Field[str] = rx.field("")
    deliveries: rx.Field[list[DeliveryRow]] = rx.field(default_factory=list)

    @rx.event
    async def refresh(self) -> EventSpec | None:
        return await self._reload()

    async def _reload(self) -> EventSpec | None:
        result = await self._call(
            lambda s, actor: [webhook_row(e) for e in webhooks.list_endpoints(s, actor)], ADMIN
        )
        if isinstance(result, Failed):
            return result.event
        self.endpoints = result.value
        return None

    @rx.event
    async def create(self, form_data: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        self.secret_created = False
        payload = {
            "url": (form_data.get("webhook_url") or "").strip(),
            "description": (form_data.get("webhook_description") or "").strip(),
            "event_types": [t for t in webhooks.EVENT_TYPES if form_data.get(f"event_{t}")],
        }
        result = await self._call(
            lambda s, actor: webhooks.create_endpoint(s, actor, payload).secret, ADMIN
        )
        if isinstance(result, Failed):
            if result.signed_out:
                return result.event
            self.errors = {
                f"webhook_{key.split('.')[0]}": message
                for key, message in result.field_errors.items()
            } or {"webhook_url": result.message}
            return None
        self.errors = {}
        self.secret_created = True
        return [
            rx.set_value(SHOWN_ONCE_FIELD, result.value),
            await self._reload()
            or rx.toast.success("Webhook created. Copy the signing secret now; it is shown once."),
        ]

    @rx.event
    async def set_active(self, endpoint_id: int, active: bool) -> EventSpec | None:
        change = webhooks.enable if active else webhooks.disable
        result = await self._call(lambda s, actor: change(s, actor, endpoint_id), ADMIN)
        if isinstance(result, Failed):
            return result.event
        return await self._reload() or rx.toast.success(
            "Webhook enabled" if active else "Webhook disabled"
        )

    @rx.event
    async def show_deliveries(self, endpoint_id: int, url: str) -> EventSpec | None:
        result = await self._call(lambda s, actor: _recent(s, actor, endpoint_id), ADMIN)
        if isinstance(result, Failed):
            return result.event
        self.log_endpoint_id, self.log_url, self.deliveries = endpoint_id, url, result.value
        return None

    @rx.event
    async def redeliver(self, delivery_id: int) -> EventSpec | None:
        endpoint_id = self.log_endpoint_id

        def again(session: Session, actor: Actor) -> list[DeliveryRow]:
            webhooks.redeliver(session, actor, delivery_id)
            return _recent(session, actor, endpoint_id)

        result = await self._call(again, ADMIN)
        if isinstance(result, Failed):
            return result.event
        self.deliveries = result.value
        return rx.toast.success("Queued for redelivery")
