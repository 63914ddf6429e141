"""Public tracking page: /track/[tracking_code]."""

import reflex as rx

from components.layout import header
from components.live_map import live_map
from components.status_badge import status_badge
from components.timeline import timeline
from state.tracking import TrackingState


def _found() -> rx.Component:
    return rx.vstack(
        rx.heading(TrackingState.status_label, size="7", as_="h1", id="tracking-status"),
        rx.hstack(
            status_badge(TrackingState.status, TrackingState.status_label),
            rx.text("Tracking code ", rx.code(TrackingState.code), size="2"),
            wrap="wrap",
            spacing="2",
        ),
        rx.card(
            rx.vstack(
                rx.text(
                    "Delivering to ",
                    rx.text.strong(TrackingState.first_name),
                    " in ",
                    TrackingState.city,
                ),
                rx.text("Delivery window today: ", TrackingState.delivery_window, size="2"),
                rx.cond(
                    TrackingState.eta != "",
                    rx.text("Estimated arrival ", TrackingState.eta, size="2", id="tracking-eta"),
                ),
                # Only while the privacy rule allows it (services/public_tracking.py).
                rx.cond(
                    TrackingState.driver_visible,
                    rx.text(
                        "Your driver is on the way: the position updates live.",
                        size="2",
                        id="driver-position",
                        custom_attrs={
                            "data-lat": TrackingState.driver_lat,
                            "data-lng": TrackingState.driver_lng,
                        },
                    ),
                ),
                spacing="1",
            ),
            width="100%",
        ),
        live_map(
            "Map of the delivery area and the driver",
            markers=TrackingState.map_markers,
            height="260px",
            id="tracking-map",
        ),
        rx.cond(
            ~TrackingState.driver_visible,
            rx.text(
                "The driver's position shows on the map once your delivery is their next stop.",
                size="1",
                color_scheme="gray",
                id="tracking-map-note",
            ),
        ),
        rx.heading("History", size="4", as_="h2"),
        timeline(TrackingState.events),
        spacing="3",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.heading("Tracking code not found", size="7", as_="h1", id="tracking-not-found"),
        rx.text("404 · We have no shipment with the code ", rx.code(TrackingState.code), "."),
        rx.text("Check the code in your confirmation email and try again.", color_scheme="gray"),
        spacing="3",
    )


def track_page() -> rx.Component:
    return rx.box(
        header("Track a delivery"),
        rx.el.main(
            rx.cond(
                TrackingState.loaded,
                rx.cond(TrackingState.found, _found(), _not_found()),
                rx.spinner(size="3"),
            ),
            style={"max-width": "640px", "margin": "0 auto", "padding": "16px"},
        ),
    )
