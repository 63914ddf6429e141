"""Driver app: the proof-of-delivery dialog (photo, signature, name; offline outbox or upload)."""

import reflex as rx
from reflex.vars import ObjectVar

from components.camera_upload import camera_upload
from components.signature_pad import signature_pad
from state.driver import StopRow
from state.driver_proof import UPLOAD_ID, ProofUploadState

P = ProofUploadState
IMAGE_TYPES = {"image/jpeg": [], "image/png": [], "image/heic": [], "image/webp": []}


def proof_button(stop: ObjectVar[StopRow]) -> rx.Component:
    """*Add proof* and its dialog, one per drop-off.

    Uncontrolled (opened and closed in the browser, like the failure dialog): it opens without
    signal too, where a state-bound `open` would wait for the websocket. Radix mounts the
    content only while open, so one pad and one file input exist at a time.
    """
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                "Add proof",
                variant="outline",
                size="3",
                aria_label="Add proof of delivery for " + stop.tracking_code,
            )
        ),
        _content(stop),
        # Not on the trigger: an event there makes Reflex wrap the button, and Radix then puts
        # its ARIA on that wrapper. Opening and closing both reset the upload state.
        on_open_change=lambda _open: P.start(stop.id, stop.tracking_code),
    )


def _content(stop: ObjectVar[StopRow]) -> rx.Component:
    return rx.dialog.content(
        rx.dialog.title("Proof of delivery ", stop.tracking_code),
        rx.vstack(
            camera_upload(
                rx.vstack(
                    rx.button(
                        "Take or choose a photo",
                        type="button",
                        size="3",
                        aria_label="Take or choose a photo",
                    ),
                    rx.text(rx.selected_files(UPLOAD_ID), size="2"),
                ),
                id=UPLOAD_ID,
                input_label="Photo of the delivered parcel",
                accept=IMAGE_TYPES,
                max_files=1,
                multiple=False,
                border="1px dashed #888",
                padding="12px",
                width="100%",
            ),
            signature_pad(
                "Recipient's signature (sign with a finger)",
                on_change=P.set_signature,
                on_clear=P.clear_signature,
            ),
            rx.el.label(
                "Recipient's name",
                # Uncontrolled (no value binding): a bound input is debounced, and the
                # name must reach the state before the upload button's event does.
                rx.input(
                    on_change=P.set_recipient_name,
                    id="proof-recipient",
                    size="3",
                    width="100%",
                ),
                html_for="proof-recipient",
                style={"width": "100%"},
            ),
            rx.cond(
                P.uploading | P.saved,
                rx.progress(value=P.progress, max=100, aria_label="Upload progress"),
            ),
            rx.cond(P.error != "", rx.text(P.error, color_scheme="red", role="alert")),
            rx.cond(
                P.saved,
                rx.text(
                    "Proof saved. You can now mark the stop delivered.",
                    color_scheme="green",
                    weight="bold",
                    role="status",
                ),
            ),
            # Written by assets/driver_app.js (no server needed): what the outbox refused to queue.
            # aria-live, not role=alert: the upload's own error above is the dialog's one alert.
            rx.text(
                id="proof-outbox-error", aria_live="assertive", color_scheme="red", weight="bold"
            ),
            rx.hstack(
                # No Reflex event: assets/driver_app.js keeps photo, signature and name on the
                # phone and queues the proof before the stop's "delivered", so it works in a
                # dead zone and replays in order (docs/proof-of-delivery.md).
                rx.dialog.close(
                    rx.button(
                        "Save proof & deliver",
                        type="button",
                        size="3",
                        data_outbox_proof=stop.id,
                        data_shipment_id=stop.shipment_id,
                        aria_label="Save proof & deliver " + stop.tracking_code,
                    )
                ),
                rx.button(
                    rx.cond(P.error != "", "Retry upload", "Upload proof"),
                    on_click=P.upload(
                        rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=P.on_progress),
                        # Read at the tap and sent with the upload (see ProofUploadState.upload).
                        rx.Var("document.getElementById('proof-recipient')?.value ?? ''").to(str),
                    ),
                    size="3",
                    aria_label="Upload proof",
                ),
                rx.dialog.close(
                    rx.button(
                        "Close",
                        on_click=P.close,
                        variant="soft",
                        size="3",
                        aria_label="Close proof dialog",
                    )
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
    )
