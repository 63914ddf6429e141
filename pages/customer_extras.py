"""Customer app sections: notification settings and the proof-of-delivery dialog."""

import reflex as rx

from state.customer_extras import EVENT_CHOICES, NotificationPrefsState, ProofViewState

N = NotificationPrefsState


def notification_settings() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Notifications", size="4", as_="h2"),
            rx.text("How we tell you about your deliveries.", size="2", color_scheme="gray"),
            rx.checkbox(
                "Email",
                checked=N.email,
                on_change=N.set_email,
                aria_label="Send me emails",
                size="3",
            ),
            rx.checkbox(
                "Text message (SMS, to the phone number on your account)",
                checked=N.sms,
                on_change=N.set_sms,
                aria_label="Send me text messages",
                size="3",
            ),
            rx.el.fieldset(
                rx.el.legend("Tell me when", style={"font-weight": "600"}),
                *[
                    rx.checkbox(
                        label,
                        checked=N.events.contains(key),
                        on_change=lambda on, key=key: N.toggle_event(key, on),
                        aria_label=label,
                        size="3",
                    )
                    for key, label in EVENT_CHOICES
                ],
                style={"display": "flex", "flex-direction": "column", "gap": "8px"},
            ),
            rx.el.label(
                "Language",
                rx.select(
                    ["en", "es"],
                    value=N.language,
                    on_change=N.set_language,
                    aria_label="Language of the messages",
                ),
                style={"display": "flex", "gap": "8px", "align-items": "center"},
            ),
            rx.button(
                "Save notification settings",
                on_click=N.save,
                size="3",
                aria_label="Save notification settings",
            ),
            rx.cond(N.saved, rx.text("Saved.", size="2", color_scheme="green")),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        on_mount=N.load,
        id="notification-settings",
    )


def proof_button(shipment_id: rx.Var, tracking_code: rx.Var) -> rx.Component:
    return rx.button(
        "Proof of delivery",
        size="2",
        variant="soft",
        on_click=ProofViewState.show(shipment_id, tracking_code),
        aria_label="Show the proof of delivery of " + tracking_code.to(str),
    )


def proof_dialog() -> rx.Component:
    P = ProofViewState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Proof of delivery ", P.tracking_code),
            rx.cond(
                P.missing != "",
                rx.text(P.missing),
                rx.vstack(
                    rx.cond(
                        P.thumbnail != "",
                        rx.image(src=P.thumbnail, alt="Photo of the delivered parcel"),
                    ),
                    rx.text("Received by: ", P.recipient_name),
                    rx.text("Recorded: ", P.taken_at, size="2", color_scheme="gray"),
                    rx.cond(
                        P.signature != "",
                        rx.image(
                            src=P.signature,
                            alt="Recipient's signature",
                            style={"background": "white", "max-width": "100%"},
                        ),
                    ),
                    spacing="2",
                ),
            ),
            rx.dialog.close(
                rx.button("Close", on_click=P.close, size="3", aria_label="Close proof")
            ),
        ),
        open=P.open,
    )
