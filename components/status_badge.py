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
        # Radix's soft badges (accent-11 on accent-3) fall just under 4.5:1 for 12 px text in
        # several colours (axe color-contrast); high contrast uses accent-12.
        high_contrast=True,
        data_status=status,
    )
