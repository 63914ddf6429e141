"""Building blocks of the admin area's tabs: a captioned table and a secret-shown-once field."""

from collections.abc import Callable
from typing import TypeVar

import reflex as rx

CELL = {"padding": "6px 8px", "font-size": "13px", "vertical-align": "top", "text-align": "left"}
T = TypeVar("T")


def table(
    caption: str,
    headers: list[str],
    rows: rx.Var[list[T]],
    render: Callable[[rx.Var[T]], rx.Component],
    table_id: str,
) -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.caption(caption, style={"text-align": "left", "font-weight": "600"}),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col", style=CELL) for h in headers])),
            rx.el.tbody(rx.foreach(rows, render)),
            id=table_id,
            style={"width": "100%", "border-collapse": "collapse"},
        ),
        overflow_x="auto",
        width="100%",
    )


def shown_once(visible: rx.Var[bool], label: str, field_id: str, icon: str) -> rx.Component:
    """A read-only field the server fills with a one-off event; the secret is never in state."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon)),
        rx.vstack(
            rx.el.label(label, html_for=field_id),
            rx.el.input(
                id=field_id,
                read_only=True,
                style={"width": "100%", "font-family": "monospace"},
            ),
            width="100%",
        ),
        color_scheme="amber",
        high_contrast=True,  # amber-11 on amber-3 is 4.2:1; the secret must be easy to read
        width="100%",
        # Hidden, not unmounted: the field must exist when the secret arrives.
        display=rx.cond(visible, "flex", "none"),
    )
