"""Coloured shipment-status badge."""

import reflex as rx

STATUS_COLORS = {
    "requested": "gray",
    "scheduled": "blue",
    "assigned": "indigo",
    "picked_up": "cyan",
    "in_transit": "amber",
    "delivered": "green",
    "failed": "red",
    "cancelled": "gray",
}


def status_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(
            status,
            *[(key, color) for key, color in STATUS_COLORS.items()],
            "gray",
        ),
        variant="soft",
        data_status=status,
    )
