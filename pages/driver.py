"""Driver app (mobile-first): today's stops in order with one-tap status updates."""

import reflex as rx
from reflex.vars import ObjectVar

from components.layout import app_shell
from components.live_map import live_map
from components.signature_pad import signature_pad_preload
from pages.driver_proof import proof_button
from state.driver import DriverState, StopRow

SHIFT_OPTIONS = [
    ("available", "Available"),
    ("on_route", "On route"),
    ("on_break", "On break"),
    ("off_duty", "Off duty"),
]


def _outbox_button(
    label: str, stop: ObjectVar[StopRow], event: str, aria: rx.Var | str, **props: object
) -> rx.Component:
    # No Reflex event: assets/driver_app.js queues the tap on the phone and sends it over REST,
    # so a tap without signal is kept and replayed (docs/proof-of-delivery.md).
    return rx.button(
        label,
        type="button",
        size="3",
        data_outbox_event=event,
        data_stop_id=stop.id,
        aria_label=aria,
        **props,
    )


def _failure_dialog(stop: ObjectVar[StopRow]) -> rx.Component:
    # Uncontrolled: it opens and closes in the browser, so it works without signal too.
    reason_id = "failure-reason-" + stop.id.to_string()
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                "Failed",
                type="button",
                size="3",
                color_scheme="red",
                variant="soft",
                aria_label="Mark " + stop.tracking_code + " " + stop.kind_label + " failed",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Why did this stop fail?"),
            rx.el.label("Reason", html_for=reason_id),
            rx.input(
                id=reason_id,
                placeholder="e.g. Recipient not home",
                max_length=500,
                size="3",
                width="100%",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", type="button", variant="soft", size="3")),
                rx.dialog.close(
                    _outbox_button(
                        "Confirm failure",
                        stop,
                        "failed",
                        "Confirm failure",
                        color_scheme="red",
                        data_reason_input=reason_id,
                    )
                ),
                justify="end",
                padding_top="12px",
            ),
        ),
    )


def _actions(stop: ObjectVar[StopRow]) -> rx.Component:
    open_stop = (stop.status == "pending") | (stop.status == "arrived")
    return rx.cond(
        open_stop,
        rx.hstack(
            rx.cond(
                stop.status == "pending",
                _outbox_button(
                    "Arrived",
                    stop,
                    "arrived",
                    "Mark " + stop.tracking_code + " " + stop.kind_label + " arrived",
                    variant="outline",
                ),
            ),
            rx.cond(
                stop.kind == "pickup",
                _outbox_button(
                    "Picked up",
                    stop,
                    "picked_up",
                    "Mark " + stop.tracking_code + " picked up",
                    color_scheme="green",
                ),
                rx.fragment(
                    proof_button(stop),
                    _outbox_button(
                        "Delivered",
                        stop,
                        "delivered",
                        "Mark " + stop.tracking_code + " delivered",
                        color_scheme="green",
                    ),
                ),
            ),
            _failure_dialog(stop),
            rx.link(
                "Navigate",
                href=stop.maps_url,
                is_external=True,
                size="3",
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
        data_stop_id=stop.id,
        style={"list-style": "none", "margin-bottom": "8px"},
    )


def _outbox_panel() -> rx.Component:
    """Filled in by assets/driver_app.js (the server cannot update the page without signal)."""
    return rx.vstack(
        # Dark amber (about 8:1 on white): readable in sunlight.
        rx.text(id="outbox-pending", role="status", weight="bold", color="#7a4b00"),
        rx.text(id="outbox-status", role="status", size="2", color_scheme="green"),
        rx.text(id="outbox-error", role="alert", size="2", color_scheme="red", weight="bold"),
        # The script clicks this after sending queued changes: reload the stops.
        rx.el.button(
            id="outbox-refresh",
            type="button",
            on_click=DriverState.refresh,
            hidden=True,
            tab_index=-1,
            aria_hidden="true",
        ),
        # Location sharing follows the shift: the script watches this attribute.
        rx.el.div(id="gps-sharing", data_shift=DriverState.shift_status, hidden=True),
        spacing="1",
        width="100%",
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
            rx.text(
                rx.cond(
                    DriverState.shift_status == "off_duty",
                    "Location sharing is off while you are off duty.",
                    "Your location is shared with dispatch while on shift.",
                ),
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            width="100%",
        ),
        _outbox_panel(),
        rx.cond(
            DriverState.stops.length() == 0,
            rx.text("No stops assigned for today yet.", color_scheme="gray"),
            live_map(
                "Map of my position and my next stops",
                markers=DriverState.map_me,
                stops=DriverState.map_next_stops,
                lines=DriverState.map_path,
                height="240px",
                id="driver-map",
            ),
        ),
        rx.el.ol(
            rx.foreach(DriverState.stops, _stop_card),
            aria_label="Today's stops",
            style={"padding": "0", "width": "100%"},
        ),
        signature_pad_preload(),
        rx.script(src="/driver_app.js"),
        max_width="560px",
    )
