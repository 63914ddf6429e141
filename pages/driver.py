"""Driver app (mobile-first): today's stops in order with one-tap status updates."""

import reflex as rx
from reflex.vars import ObjectVar

from components.layout import app_shell
from pages.driver_proof import proof_button, proof_dialog
from state.driver import DriverState, StopRow

SHIFT_OPTIONS = [
    ("available", "Available"),
    ("on_route", "On route"),
    ("on_break", "On break"),
    ("off_duty", "Off duty"),
]


def _actions(stop: ObjectVar[StopRow]) -> rx.Component:
    open_stop = (stop.status == "pending") | (stop.status == "arrived")
    return rx.cond(
        open_stop,
        rx.hstack(
            rx.cond(
                stop.kind == "pickup",
                rx.button(
                    "Picked up",
                    on_click=DriverState.stop_event(stop.id, "picked_up"),
                    color_scheme="green",
                    aria_label="Mark " + stop.tracking_code + " picked up",
                ),
                rx.fragment(
                    proof_button(stop),
                    rx.button(
                        "Delivered",
                        on_click=DriverState.stop_event(stop.id, "delivered"),
                        color_scheme="green",
                        aria_label="Mark " + stop.tracking_code + " delivered",
                    ),
                ),
            ),
            rx.button(
                "Failed",
                on_click=DriverState.start_failure(stop.id),
                color_scheme="red",
                variant="soft",
                aria_label="Mark " + stop.tracking_code + " " + stop.kind_label + " failed",
            ),
            rx.link(
                "Navigate",
                href=stop.maps_url,
                is_external=True,
                size="2",
                aria_label="Navigate to stop " + stop.sequence.to_string(),
            ),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.text(
            rx.match(
                stop.status,
                ("done", "Done"),
                ("failed", "Failed: "),
                ("skipped", "Skipped"),
                stop.status,
            ),
            stop.failure_reason,
            size="2",
            color_scheme="gray",
        ),
    )


def _stop_card(stop: ObjectVar[StopRow]) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.badge(stop.sequence, variant="solid", radius="full"),
                    rx.text(stop.kind_label, weight="bold"),
                    rx.spacer(),
                    rx.text(stop.window, size="2"),
                    width="100%",
                    align="center",
                ),
                rx.text(stop.address, size="2"),
                rx.cond(
                    stop.eta != "",
                    rx.hstack(
                        rx.text("ETA ", stop.eta, size="2"),
                        rx.cond(
                            stop.late,
                            rx.badge("late risk", color_scheme="red", variant="soft"),
                        ),
                        spacing="2",
                    ),
                ),
                rx.text(
                    rx.code(stop.tracking_code),
                    " · ",
                    stop.recipient,
                    " · ",
                    stop.weight,
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(stop.notes != "", rx.text("Note: ", stop.notes, size="1")),
                _actions(stop),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        data_code=stop.tracking_code,
        data_kind=stop.kind,
        style={"list-style": "none", "margin-bottom": "8px"},
    )


def _failure_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Why did this stop fail?"),
            rx.el.label("Reason", html_for="failure-reason"),
            rx.input(
                id="failure-reason",
                value=DriverState.failure_reason,
                on_change=DriverState.set_failure_reason,
                placeholder="e.g. Recipient not home",
                width="100%",
            ),
            rx.hstack(
                rx.button("Cancel", on_click=DriverState.cancel_failure, variant="soft"),
                rx.button(
                    "Confirm failure", on_click=DriverState.confirm_failure, color_scheme="red"
                ),
                justify="end",
                padding_top="12px",
            ),
        ),
        open=DriverState.failing_stop_id != 0,
    )


def driver_page() -> rx.Component:
    return app_shell(
        "My route",
        rx.hstack(
            rx.heading("Today's stops", size="6", as_="h1"),
            rx.spacer(),
            rx.text(DriverState.open_stop_count, " open", size="2", id="open-stops"),
            width="100%",
            align="center",
        ),
        rx.vstack(
            rx.el.label("Shift status", html_for="shift-status", style={"font-size": "14px"}),
            rx.el.select(
                *[rx.el.option(label, value=value) for value, label in SHIFT_OPTIONS],
                id="shift-status",
                value=DriverState.shift_status,
                on_change=DriverState.set_shift_status,
                style={"height": "36px", "width": "100%"},
            ),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            DriverState.stops.length() == 0,
            rx.text("No stops assigned for today yet.", color_scheme="gray"),
        ),
        rx.el.ol(
            rx.foreach(DriverState.stops, _stop_card),
            aria_label="Today's stops",
            style={"padding": "0", "width": "100%"},
        ),
        _failure_dialog(),
        proof_dialog(),
        max_width="560px",
    )
