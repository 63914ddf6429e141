"""The privacy notice (public) and "My data" (download, erase) for signed-in people."""

import reflex as rx

from components.field import labeled_input
from components.layout import app_shell, header
from logistics_ai.settings import get_settings
from state.privacy import PrivacyState

_S = get_settings()

NOTICE: list[tuple[str, str]] = [
    (
        "Who we are",
        "Logistics AI is run by the operator of this site, who is the controller of your "
        "personal data. The record of processing is in docs/privacy.md of the software.",
    ),
    (
        "What we collect and why",
        "Your account (email, name, phone) to sign you in and reach you about deliveries; "
        "pickup and drop-off addresses, recipient names and phone numbers to carry out the "
        "deliveries you book (contract); drivers' GPS positions during shifts to plan routes "
        "and give ETAs (legitimate interest); proof-of-delivery photos and signatures "
        "(contract, dispute handling); sign-in records and an audit trail (security, legal "
        "obligation).",
    ),
    (
        "How long we keep it",
        f"GPS positions {_S.location_retention_days} days; proof photos "
        f"{_S.proof_retention_days} days; closed accounts are anonymised after "
        f"{_S.closed_account_retention_days} days; audit records {_S.audit_retention_days} "
        "days. Shipments stay, anonymised, for accounting.",
    ),
    (
        "How we protect it",
        "Phone numbers are encrypted at rest, passwords are hashed with Argon2id, the audit "
        "trail is tamper-evident, and personal data is masked in logs and in the public "
        "tracking page.",
    ),
    (
        "Your rights",
        "Download everything we hold about you and erase your account yourself under "
        "My data; grant or withdraw consents under Account (account settings) or through "
        "the API (/api/v1/privacy). For anything else, contact the operator of this site.",
    ),
]


def privacy_notice_page() -> rx.Component:
    return rx.box(
        header("Privacy"),
        rx.center(
            rx.vstack(
                rx.heading("Privacy notice", size="6", as_="h1"),
                rx.text(f"Version {_S.privacy_notice_version}", size="1", color_scheme="gray"),
                rx.cond(
                    rx.State.router.page.params.get("erased", "") == "1",
                    rx.callout(
                        "Your account was erased and you were signed out everywhere.",
                        color_scheme="green",
                        role="status",
                        id="erased-notice",
                    ),
                ),
                *[
                    rx.vstack(rx.heading(title, size="3", as_="h2"), rx.text(body, size="2"))
                    for title, body in NOTICE
                ],
                rx.link("My data", href="/account/privacy"),
                spacing="3",
                max_width="720px",
                width="100%",
            ),
            padding="24px 16px",
        ),
    )


def my_data_page() -> rx.Component:
    return app_shell(
        "My data",
        rx.heading("My data", size="6", as_="h1"),
        rx.text("Everything this service holds about you, as a JSON file.", size="2"),
        rx.button("Download my data", on_click=PrivacyState.download, id="download-data"),
        rx.cond(
            PrivacyState.can_erase,
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Erase my account", size="4", as_="h2"),
                        rx.text(
                            "Your name, contact details, addresses and delivery photos are "
                            "removed for good and you are signed out everywhere. Delivery "
                            "records stay, anonymised, for accounting. This cannot be undone.",
                            size="2",
                        ),
                        labeled_input(
                            "Password",
                            "password",
                            type="password",
                            auto_complete="current-password",
                        ),
                        labeled_input("Type ERASE to confirm", "confirm"),
                        rx.cond(
                            PrivacyState.erase_error != "",
                            rx.callout(PrivacyState.erase_error, color_scheme="red", role="alert"),
                        ),
                        rx.button("Erase my account", type="submit", color_scheme="red"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PrivacyState.erase,
                    reset_on_submit=True,
                    aria_label="Erase my account",
                ),
                width="100%",
            ),
            rx.text(
                "Driver and staff accounts are closed by an administrator.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.link("Privacy notice", href="/privacy"),
        max_width="720px",
    )
