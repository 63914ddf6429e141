"""Admin area, webhooks tab: subscribe a URL, see the secret once, pause, and read the log."""

import reflex as rx
from reflex.vars import ObjectVar

from components.admin_parts import CELL, shown_once, table
from components.field import field_error, labeled_input
from logistics_ai.services.webhooks import EVENT_TYPES
from state.admin_webhooks import SHOWN_ONCE_FIELD, DeliveryRow, WebhookAdminState, WebhookRow

W = WebhookAdminState


def _endpoint_row(w: ObjectVar[WebhookRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.code(w.url), rx.text(w.description, size="1"), style=CELL),
        rx.el.td(w.event_types, style=CELL),
        rx.el.td(w.state, style=CELL),
        rx.el.td(w.failures, style=CELL),
        rx.el.td(w.created, style=CELL),
        rx.el.td(
            rx.hstack(
                rx.button(
                    rx.cond(w.active, "Disable", "Enable"),
                    on_click=W.set_active(w.id, ~w.active),
                    size="1",
                    color_scheme=rx.cond(w.active, "red", "green"),
                    variant="soft",
                    high_contrast=True,  # soft green text on green fails 4.5:1
                    aria_label=rx.cond(w.active, "Disable webhook ", "Enable webhook ") + w.url,
                ),
                rx.button(
                    "Deliveries",
                    on_click=W.show_deliveries(w.id, w.url),
                    size="1",
                    variant="outline",
                    aria_label="Show deliveries of webhook " + w.url,
                ),
                spacing="2",
            ),
            style=CELL,
        ),
        data_url=w.url,
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def _delivery_row(d: ObjectVar[DeliveryRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.td(d.created, style=CELL),
        rx.el.td(d.event_type, style=CELL),
        rx.el.td(d.status, style=CELL),
        rx.el.td(d.attempts, style=CELL),
        rx.el.td(d.response, style=CELL),
        rx.el.td(d.delivered, style=CELL),
        rx.el.td(
            rx.button(
                "Redeliver",
                on_click=W.redeliver(d.id),
                size="1",
                variant="soft",
                aria_label="Redeliver delivery " + d.id.to_string(),
            ),
            style=CELL,
        ),
        style={"border-bottom": "1px solid var(--gray-4)"},
    )


def webhooks_tab() -> rx.Component:
    e = W.errors
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.hstack(
                    labeled_input(
                        "Endpoint URL",
                        "webhook_url",
                        e.get("webhook_url", ""),
                        placeholder="https://example.com/hooks/logistics",
                        type="url",
                    ),
                    labeled_input(
                        "Description (optional)",
                        "webhook_description",
                        e.get("webhook_description", ""),
                    ),
                    width="100%",
                    wrap="wrap",
                ),
                rx.el.fieldset(
                    rx.el.legend("Events", style={"font-size": "14px"}),
                    rx.hstack(
                        *[
                            rx.el.label(
                                rx.el.input(type="checkbox", name=f"event_{t}", id=f"event_{t}"),
                                " " + t,
                                html_for=f"event_{t}",
                                style={"font-size": "14px"},
                            )
                            for t in EVENT_TYPES
                        ],
                        spacing="3",
                        wrap="wrap",
                    ),
                    style={"border": "none", "padding": "0"},
                ),
                field_error(e.get("webhook_event_types", ""), "webhook_event_types"),
                rx.button("Create webhook", type="submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=W.create,
            reset_on_submit=False,
            aria_label="Create a webhook endpoint",
        ),
        shown_once(
            W.secret_created,
            "Signing secret: copy it now; it will not be shown again",
            SHOWN_ONCE_FIELD,
            "key",
        ),
        table(
            "Webhook endpoints",
            ["URL", "Events", "State", "Failures in a row", "Created", ""],
            W.endpoints,
            _endpoint_row,
            "webhooks-table",
        ),
        rx.cond(
            W.log_endpoint_id > 0,
            table(
                "Recent deliveries to " + W.log_url,
                ["Queued", "Event", "Status", "Attempts", "Last answer", "Delivered", ""],
                W.deliveries,
                _delivery_row,
                "webhook-deliveries-table",
            ),
        ),
        width="100%",
        spacing="3",
    )
