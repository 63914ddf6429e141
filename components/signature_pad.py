"""Signature pad: npm `react-signature-canvas` wrapped as a Reflex component.

The drawing stays in the browser until the stroke ends: then `on_end` sends the canvas as a
PNG data URL to the state (a plain event, no `eval`, so it works under the strict CSP). The
clear button empties the canvas through the component's ref and tells the state.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventHandler, EventSpec
from reflex.vars.base import Var

CANVAS_ID = "signature-canvas"
PAD_ID = "signature_pad"


def _canvas_png(_event: Var) -> list[Var]:
    # The canvas element itself: the pad's stroke-end event comes from the document for a mouse.
    return [Var(f"document.getElementById('{CANVAS_ID}')?.toDataURL('image/png') ?? ''")]


class SignatureCanvas(rx.NoSSRComponent):
    """react-signature-canvas (a class component around signature_pad).

    Its build is a UMD bundle whose default export the production bundler hands over as the
    module object; Reflex's client-side import unwraps `mod.default.default ?? mod.default`.
    The canvas only exists in the browser anyway.
    """

    library = "react-signature-canvas@1.0.7"
    tag = "SignatureCanvas"
    is_default = True

    canvas_props: Var[dict[str, Any]]
    pen_color: Var[str]
    background_color: Var[str]
    clear_on_resize: Var[bool]

    on_end: EventHandler[_canvas_png]  # type: ignore[type-arg,valid-type]  # Reflex idiom


def signature_pad(
    label: str, on_change: EventHandler | Any, on_clear: EventHandler | Any
) -> rx.Component:
    """A labelled pad with a clear button. `on_change(data_url)` after each stroke."""
    label_id = f"{CANVAS_ID}-label"
    clear: list[EventSpec | Any] = [
        # Runs in the browser (no eval): the pad's own clear() resets its strokes.
        rx.call_function(f"() => refs['ref_{PAD_ID}']?.current?.clear()"),
        on_clear,
    ]
    return rx.vstack(
        rx.text(label, id=label_id, as_="div", size="2", weight="medium"),
        rx.box(
            SignatureCanvas.create(
                id=PAD_ID,
                canvas_props={
                    "id": CANVAS_ID,
                    # Fits a 360 px phone's dialog; never scaled by CSS, since signature_pad
                    # maps touches 1:1 from the element's box to the drawing buffer.
                    "width": 272,
                    "height": 136,
                    "role": "img",
                    "aria-labelledby": label_id,
                    "style": {"display": "block", "touchAction": "none"},
                },
                pen_color="#111111",
                background_color="#ffffff",
                clear_on_resize=False,
                on_end=on_change,
            ),
            border="1px solid #666",
            border_radius="6px",
            background_color="#ffffff",
            width="274px",
        ),
        rx.button(
            "Clear signature",
            type="button",
            variant="soft",
            size="3",
            on_click=clear,
            aria_label="Clear signature",
        ),
        spacing="2",
        width="100%",
    )


def signature_pad_preload() -> rx.Component:
    """A hidden 1x1 pad rendered with the page: it loads the pad's lazily imported module while
    the page still has signal, so the proof dialog's pad also renders in a dead zone."""
    return rx.box(
        SignatureCanvas.create(
            id="signature_preload",
            canvas_props={"width": 1, "height": 1, "aria-hidden": "true"},
        ),
        display="none",
        aria_hidden="true",
    )
