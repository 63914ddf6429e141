"""Form inputs that always carry a visible label and show their own error."""

from typing import Any

import reflex as rx


def field_error(message: rx.Var[str], field_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="1", id=f"{field_id}-error", role="alert"),
    )


def labeled_input(
    label: str, field_id: str, error: rx.Var[str] | None = None, **props: Any
) -> rx.Component:
    """An <input> whose <label for=...> makes it reachable by screen readers and tests."""
    input_props = {"id": field_id, "name": props.pop("name", field_id), "width": "100%", **props}
    if error is not None:
        input_props["custom_attrs"] = {"aria-describedby": f"{field_id}-error"}
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font-weight": "500", "font-size": "14px"}),
        rx.input(**input_props),
        field_error(error, field_id) if error is not None else rx.fragment(),
        spacing="1",
        width="100%",
        align="start",
    )
