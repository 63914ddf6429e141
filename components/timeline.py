"""Vertical status timeline for the tracking page."""

import reflex as rx

from components.status_badge import status_badge
from state.tracking import TrackingEventRow


def timeline(events: rx.Var[list[TrackingEventRow]]) -> rx.Component:
    return rx.el.ol(
        rx.foreach(
            events,
            lambda event: rx.el.li(
                rx.hstack(
                    status_badge(event.status, event.label),
                    rx.text(event.when, size="2", color_scheme="gray"),
                    spacing="2",
                    align="center",
                ),
                rx.cond(event.note != "", rx.text(event.note, size="2")),
                style={
                    "padding": "8px 0",
                    "border-left": "2px solid var(--gray-6)",
                    "padding-left": "12px",
                    "list-style": "none",
                },
            ),
        ),
        aria_label="Status history",
        style={"padding": "0", "margin": "0"},
    )
