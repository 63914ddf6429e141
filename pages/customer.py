"""Customer app (mobile-first): book a delivery, see my shipments."""

import reflex as rx
from reflex.vars import ObjectVar

from components.ai_booking import ai_booking_box
from components.field import field_error, labeled_input
from components.layout import app_shell
from components.live_map import live_map
from components.status_badge import status_badge
from pages.customer_extras import notification_settings, proof_button, proof_dialog
from pages.shipment_cancel import cancel_button, cancel_dialog
from state.customer import SKILLS, AddressChoice, CustomerState
from state.formatting import ShipmentRow

E = CustomerState.errors
# Milliseconds of quiet typing before the address goes to the server for suggestions.
ADDRESS_DEBOUNCE_MS = 400


def _suggestions(prefix: str, title: str) -> rx.Component:
    choices = getattr(CustomerState, f"{prefix}_suggestions")

    def option(choice: ObjectVar[AddressChoice], index: rx.Var[int]) -> rx.Component:
        return rx.el.li(
            rx.el.button(
                rx.text(choice.address, size="2", as_="span"),
                rx.text(" · ", choice.label, size="1", color_scheme="gray", as_="span"),
                type="button",
                on_click=CustomerState.pick_suggestion(prefix, index),
                style={
                    "width": "100%",
                    "text-align": "left",
                    "background": "var(--gray-2)",
                    "border": "1px solid var(--gray-6)",
                    "border-radius": "6px",
                    "padding": "6px 8px",
                    "cursor": "pointer",
                    "color": "var(--gray-12)",
                },
            ),
            style={"list-style": "none", "margin-bottom": "4px"},
        )

    return rx.cond(
        choices.length() > 0,
        rx.el.ul(
            rx.foreach(choices, option),
            aria_label=f"Suggested {title.lower()} addresses",
            id=f"{prefix}-suggestions",
            style={"padding": "0", "margin": "0", "width": "100%"},
        ),
    )


def _stop_fields(prefix: str, title: str) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(title, style={"font-weight": "600", "padding": "0 4px"}),
        rx.vstack(
            labeled_input(
                "Address",
                f"{prefix}_address",
                E.get(f"{prefix}_address", ""),
                value=getattr(CustomerState, f"{prefix}_address"),
                on_change=lambda v: CustomerState.set_field(f"{prefix}_address", v),
                # Debounced in the browser: one lookup per pause in typing, not per keystroke.
                debounce_timeout=ADDRESS_DEBOUNCE_MS,
                auto_complete="off",
                placeholder="e.g. 1200 N Clark St, Lincoln Park, Chicago, IL",
            ),
            _suggestions(prefix, title),
            rx.hstack(
                rx.button(
                    f"Check the {title.lower()} address",
                    type="button",
                    variant="soft",
                    size="1",
                    on_click=CustomerState.locate(prefix),
                ),
                # Announced to screen readers when the lookup answers.
                rx.text(
                    getattr(CustomerState, f"{prefix}_place"),
                    size="1",
                    id=f"{prefix}_place",
                    aria_live="polite",
                ),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.hstack(
                labeled_input(
                    "From",
                    f"{prefix}_from",
                    E.get(f"{prefix}_from", ""),
                    type="time",
                    default_value="09:00" if prefix == "pickup" else "11:00",
                ),
                labeled_input(
                    "To",
                    f"{prefix}_to",
                    E.get(f"{prefix}_to", ""),
                    type="time",
                    default_value="11:00" if prefix == "pickup" else "14:00",
                ),
                width="100%",
            ),
            field_error(E.get(f"{prefix}_window_end", ""), f"{prefix}_window"),
            spacing="2",
            width="100%",
        ),
        style={
            "border": "1px solid var(--gray-5)",
            "border-radius": "8px",
            "padding": "12px",
            "width": "100%",
        },
    )


def _booking_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Book a delivery", size="5", as_="h2"),
                labeled_input(
                    "Service date",
                    "service_day",
                    E.get("service_day", ""),
                    type="date",
                    value=CustomerState.service_day,
                    on_change=lambda v: CustomerState.set_field("service_day", v),
                ),
                _stop_fields("pickup", "Pickup"),
                _stop_fields("dropoff", "Delivery"),
                rx.cond(
                    CustomerState.booking_markers.length() > 0,
                    live_map(
                        "Map of the chosen pickup and delivery points",
                        markers=CustomerState.booking_markers,
                        height="200px",
                        id="booking-map",
                    ),
                ),
                labeled_input(
                    "Recipient name",
                    "recipient_name",
                    E.get("recipient_name", ""),
                    auto_complete="off",
                ),
                labeled_input(
                    "Recipient phone (optional)",
                    "recipient_phone",
                    E.get("recipient_phone", ""),
                    type="tel",
                ),
                rx.hstack(
                    labeled_input(
                        "Weight (kg)", "weight_kg", E.get("weight_kg", ""), input_mode="decimal"
                    ),
                    labeled_input(
                        "Volume (m³)",
                        "volume_m3",
                        E.get("volume_m3", ""),
                        input_mode="decimal",
                        default_value="0.1",
                    ),
                    width="100%",
                ),
                rx.el.fieldset(
                    rx.el.legend("Needs", style={"font-size": "14px"}),
                    rx.hstack(
                        *[
                            rx.el.label(
                                rx.el.input(type="checkbox", name=f"skill_{s}", id=f"skill_{s}"),
                                " " + s.capitalize(),
                                html_for=f"skill_{s}",
                                style={"font-size": "14px"},
                            )
                            for s in SKILLS
                        ],
                        spacing="3",
                        wrap="wrap",
                    ),
                    style={"border": "none", "padding": "0"},
                ),
                labeled_input("Notes for the driver (optional)", "notes", E.get("notes", "")),
                rx.cond(
                    CustomerState.form_message != "",
                    rx.callout(
                        CustomerState.form_message,
                        icon="triangle_alert",
                        color_scheme="red",
                        role="alert",
                        width="100%",
                    ),
                ),
                rx.cond(
                    CustomerState.booked_code != "",
                    rx.callout(
                        rx.text(
                            "Booked! Tracking code ",
                            rx.link(
                                CustomerState.booked_code,
                                href="/track/" + CustomerState.booked_code,
                                id="booked-code",
                            ),
                        ),
                        icon="circle_check",
                        color_scheme="green",
                        width="100%",
                    ),
                ),
                rx.button("Book delivery", type="submit", size="3", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=CustomerState.submit,
            reset_on_submit=False,
            aria_label="Book a delivery",
        ),
        width="100%",
    )


def _shipment_card(row: ObjectVar[ShipmentRow]) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.link(rx.code(row.tracking_code), href="/track/" + row.tracking_code),
                    rx.spacer(),
                    status_badge(row.status, row.status_label),
                    width="100%",
                ),
                rx.text("To ", row.recipient, " · ", row.dropoff, size="2"),
                rx.text(
                    row.service_date,
                    " · delivery ",
                    row.dropoff_window,
                    " · ",
                    row.price,
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(row.status == "delivered", proof_button(row.id, row.tracking_code)),
                rx.cond(row.cancellable, cancel_button(row.id, row.tracking_code)),
                spacing="1",
                width="100%",
            ),
            width="100%",
        ),
        style={"list-style": "none", "margin-bottom": "8px"},
        data_code=row.tracking_code,
    )


def customer_page() -> rx.Component:
    return app_shell(
        "My deliveries",
        ai_booking_box(),
        _booking_form(),
        rx.heading("My shipments", size="5", as_="h2"),
        rx.el.ul(
            rx.foreach(CustomerState.my_shipments, _shipment_card),
            aria_label="My shipments",
            style={"padding": "0", "width": "100%"},
        ),
        proof_dialog(),
        cancel_dialog(),
        notification_settings(),
        max_width="640px",
    )
