"""Driver app: the proof-of-delivery dialog (photo, signature, recipient name, progress, retry)."""

import reflex as rx
from reflex.vars import ObjectVar

from components.camera_upload import camera_upload
from components.signature_pad import signature_pad
from state.driver import StopRow
from state.driver_proof import UPLOAD_ID, ProofUploadState

P = ProofUploadState
IMAGE_TYPES = {"image/jpeg": [], "image/png": [], "image/heic": [], "image/webp": []}


def proof_button(stop: ObjectVar[StopRow]) -> rx.Component:
    return rx.button(
        "Add proof",
        on_click=P.start(stop.id, stop.tracking_code),
        variant="outline",
        size="3",
        aria_label="Add proof of delivery for " + stop.tracking_code,
    )


def proof_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Proof of delivery ", P.tracking_code),
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
                rx.hstack(
                    rx.button(
                        rx.cond(P.error != "", "Retry upload", "Upload proof"),
                        on_click=P.upload(
                            rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=P.on_progress)
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
                ),
                spacing="3",
                width="100%",
            ),
        ),
        open=P.stop_id > 0,
    )
