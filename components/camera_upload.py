"""`rx.upload` whose file input opens the phone's rear camera (`capture="environment"`), labelled.

Reflex builds the `<input type="file">` inside the dropzone itself and takes no prop for it,
so the attribute is set on that child after creation. Desktop browsers ignore `capture` and
show the ordinary file picker.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.components.component import Component


def _file_input(component: Component) -> Component | None:
    if component.tag == "input":
        return component
    for child in component.children:
        if isinstance(child, Component) and (found := _file_input(child)) is not None:
            return found
    return None


def camera_upload(*children: rx.Component, input_label: str, **props: Any) -> rx.Component:
    """`input_label` names the file input for screen readers (it has no visible <label>)."""
    upload = rx.upload(*children, **props)
    file_input = _file_input(upload)
    if file_input is None:  # Reflex changed how it builds the dropzone: fail loudly, at compile
        raise RuntimeError("rx.upload has no <input> child to give capture=environment")
    file_input.custom_attrs["capture"] = "environment"
    file_input.custom_attrs["aria-label"] = input_label
    return upload
