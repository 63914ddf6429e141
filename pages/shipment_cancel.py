"""The customer's "Cancel delivery" button and its confirmation dialog."""

import reflex as rx

from state.shipment_cancel import CancelShipmentState


def cancel_button(shipment_id: rx.Var, tracking_code: rx.Var) -> rx.Component:
    return rx.button(
        "Cancel delivery",
        size="2",
        variant="soft",
        color_scheme="red",
        on_click=CancelShipmentState.ask(shipment_id, tracking_code),
        # The visible words lead the accessible name (axe label-content-name-mismatch).
        aria_label="Cancel delivery " + tracking_code.to(str),
    )


def cancel_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel delivery ", CancelShipmentState.tracking_code, "?"),
            rx.alert_dialog.description(
                "The driver will not come. This cannot be undone.", size="2"
            ),
            rx.form(
                rx.vstack(
                    rx.el.label("Reason (optional)", html_for="cancel-reason"),
                    rx.text_area(
                        id="cancel-reason",
                        name="reason",
                        max_length=300,
                        placeholder="Only you and our staff see this",
                        width="100%",
                    ),
                    rx.cond(
                        CancelShipmentState.error != "",
                        rx.text(
                            CancelShipmentState.error, color_scheme="red", size="2", role="alert"
                        ),
                    ),
                    rx.hstack(
                        rx.alert_dialog.cancel(
                            rx.button(
                                "Keep it",
                                type="button",
                                variant="soft",
                                on_click=CancelShipmentState.keep,
                            ),
                        ),
                        rx.button(
                            "Cancel delivery",
                            type="submit",
                            color_scheme="red",
                            loading=CancelShipmentState.working,
                            id="confirm-cancel",
                        ),
                        justify="end",
                        width="100%",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=CancelShipmentState.confirm,
                reset_on_submit=False,
            ),
        ),
        open=CancelShipmentState.shipment_id != 0,
    )
