"""Driver app: proof of delivery for a drop-off (photo with upload progress, signature, name).

The photo goes through Reflex's upload route with progress events; a failed upload shows its
error and can simply be sent again. It never marks the stop delivered: that is the separate
"Delivered" button, which the server refuses while a required proof is missing.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.models import Role
from logistics_ai.services import proof
from state.auth import AuthState
from state.service import Failed

DRIVER = (Role.driver,)
UPLOAD_ID = "proof_photo"


class ProofUploadState(AuthState):
    stop_id: rx.Field[int] = rx.field(0)
    tracking_code: rx.Field[str] = rx.field("")
    recipient_name: rx.Field[str] = rx.field("")
    progress: rx.Field[int] = rx.field(0)
    uploading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    saved: rx.Field[bool] = rx.field(False)
    signed: rx.Field[bool] = rx.field(False)
    # Backend only: the signature pad's PNG data URL (sent by the pad at the end of each stroke;
    # it is view data the browser already has, never a credential).
    _signature: str = ""

    @rx.event
    async def start(self, stop_id: int, tracking_code: str) -> None:
        self.stop_id, self.tracking_code = stop_id, tracking_code
        self.recipient_name, self.progress, self.error = "", 0, ""
        self.uploading, self.saved = False, False
        self.signed, self._signature = False, ""

    @rx.event
    async def close(self) -> None:
        self.stop_id = 0

    @rx.event
    async def set_recipient_name(self, value: str) -> None:
        self.recipient_name = value

    @rx.event
    async def set_signature(self, data_url: str) -> None:
        self._signature = data_url if isinstance(data_url, str) else ""
        self.signed = bool(self._signature)

    @rx.event
    async def clear_signature(self) -> None:
        self._signature, self.signed = "", False

    @rx.event
    async def on_progress(self, progress: dict) -> None:
        self.uploading = True
        self.progress = round(float(progress.get("progress", 0)) * 100)

    @rx.event
    async def upload(
        self, files: list[rx.UploadFile], recipient_name: str = ""
    ) -> EventSpec | None:
        """`recipient_name` is the input's value at the tap, sent with the upload: the upload is
        an HTTP request that can overtake the websocket event carrying the last keystroke."""
        self.uploading = False
        if isinstance(recipient_name, str) and recipient_name.strip():
            self.recipient_name = recipient_name
        if not files:
            self.error = "Take a photo of the delivered parcel first."
            return None
        photo = await files[0].read()
        stop_id, name, drawing = self.stop_id, self.recipient_name, self._signature
        result = await self._call(
            lambda s, actor: proof.upload_proof_for_stop(
                s,
                actor,
                stop_id,
                photo=photo,
                signature=proof.signature_from_data_url(drawing),
                recipient_name=name,
            ),
            DRIVER,
        )
        if isinstance(result, Failed):
            self.error = (
                next(iter(result.field_errors.values()), "") or result.message
            ) + " Nothing was saved; you can try again."
            return None
        self.error, self.saved, self.progress = "", True, 100
        # No toast: the dialog says so, and on a phone a toast lands on the stop buttons.
        return None
