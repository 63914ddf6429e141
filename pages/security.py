"""Account settings: change my password, two-factor sign-in (staff), my consents."""

import reflex as rx
from reflex.vars import ObjectVar

from components.field import labeled_input
from components.layout import app_shell
from state.security import ConsentRow, SecurityState

S = SecurityState
PE = SecurityState.password_errors


def _error(message: rx.Var[str], element_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme="red", role="alert", id=element_id, width="100%"),
    )


def _password_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Change my password", size="4", as_="h2"),
                labeled_input(
                    "Current password",
                    "current_password",
                    PE.get("current_password", ""),
                    type="password",
                    auto_complete="current-password",
                ),
                labeled_input(
                    "New password (10+ characters, not a common one)",
                    "new_password",
                    PE.get("new_password", ""),
                    type="password",
                    auto_complete="new-password",
                ),
                labeled_input(
                    "Repeat the new password",
                    "new_password_again",
                    PE.get("new_password_again", ""),
                    type="password",
                    auto_complete="new-password",
                ),
                rx.cond(
                    S.change_notice != "",
                    rx.callout(
                        S.change_notice,
                        color_scheme="green",
                        role="status",
                        id="password-changed",
                        width="100%",
                    ),
                ),
                rx.button("Change password", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.change_password,
            reset_on_submit=True,
            aria_label="Change my password",
        ),
        width="100%",
    )


def _totp_setup() -> rx.Component:
    """The enrolment step: the secret is on screen only here, until confirmed or cancelled."""
    return rx.vstack(
        rx.text(
            "Add this account to your authenticator app: scan the code, open the link on the "
            "phone, or type the key. It is shown only now.",
            size="2",
        ),
        rx.image(
            src=S.setup_qr,
            alt="QR code of the authenticator set-up link",
            id="totp-qr",
            width="200px",
            height="200px",
        ),
        rx.el.label("Setup key", html_for="totp-secret", style={"font-weight": "500"}),
        rx.code(S.setup_secret, id="totp-secret", style={"word-break": "break-all"}),
        rx.link(
            "Open in authenticator app",
            href=S.setup_uri,
            id="totp-uri",
            aria_label="Open the setup link in an authenticator app",
        ),
        rx.text(S.setup_uri, size="1", color_scheme="gray", style={"word-break": "break-all"}),
        rx.form(
            rx.vstack(
                labeled_input(
                    "6-digit code from the app",
                    "totp_code",
                    name="code",
                    input_mode="numeric",
                    auto_complete="one-time-code",
                    max_length=6,
                ),
                rx.hstack(
                    rx.button("Turn on two-factor sign-in", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", on_click=S.cancel_totp),
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=S.confirm_totp,
            reset_on_submit=True,
            aria_label="Confirm two-factor sign-in",
        ),
        spacing="2",
        width="100%",
        # Navigating away unmounts it: the secret leaves the state with the page.
        on_unmount=S.leave,
    )


def _totp_disable() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("Two-factor sign-in is on.", id="totp-on", role="status", weight="medium"),
            rx.cond(
                S.totp_required,
                rx.text(
                    "It is required for staff accounts here and cannot be turned off.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.vstack(
                    labeled_input(
                        "Password",
                        "totp_off_password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                    ),
                    labeled_input(
                        "Current 6-digit code",
                        "totp_off_code",
                        name="code",
                        input_mode="numeric",
                        auto_complete="one-time-code",
                        max_length=6,
                    ),
                    rx.button("Turn off two-factor sign-in", type="submit", color_scheme="red"),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.disable_totp,
        reset_on_submit=True,
        aria_label="Turn off two-factor sign-in",
    )


def _totp_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Two-factor sign-in", size="4", as_="h2"),
            rx.cond(
                S.totp_required & ~S.totp_enabled,
                rx.callout(
                    "Staff accounts must use two-factor sign-in. Set it up to continue.",
                    color_scheme="amber",
                    role="alert",
                    id="totp-required",
                    width="100%",
                ),
            ),
            rx.cond(
                S.sign_in_again,
                rx.callout(
                    "Two-factor sign-in was turned on from another session. Log out and sign "
                    "in again with your authenticator code to continue.",
                    color_scheme="amber",
                    role="alert",
                    id="sign-in-again",
                    width="100%",
                ),
            ),
            _error(S.totp_error, "totp-error"),
            rx.cond(
                S.totp_enabled,
                rx.vstack(
                    _totp_disable(),
                    rx.cond(~S.sign_in_again, rx.link("Continue", href=S.home, id="continue-link")),
                    width="100%",
                ),
                rx.cond(
                    S.setup_secret != "",
                    _totp_setup(),
                    rx.button("Set up two-factor sign-in", on_click=S.start_totp, id="totp-start"),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _consent(item: ObjectVar[ConsentRow]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.switch(
                checked=item.granted,
                on_change=lambda granted: S.set_consent(item.purpose, granted),
                id="consent-" + item.purpose,
                aria_label=item.label,
            ),
            rx.el.label(
                item.label, html_for="consent-" + item.purpose, style={"font-size": "14px"}
            ),
            align="center",
            spacing="2",
        ),
        style={"list-style": "none", "margin-bottom": "8px"},
    )


def _consents_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("My consents", size="4", as_="h2"),
            rx.text(
                "Each change is recorded with the version of the privacy notice.",
                size="2",
                color_scheme="gray",
            ),
            rx.el.ul(
                rx.foreach(S.consents, _consent),
                aria_label="My consents",
                style={"padding": "0", "width": "100%"},
            ),
            rx.link("Privacy notice", href="/privacy"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def security_page() -> rx.Component:
    return app_shell(
        "Account settings",
        rx.heading("Account settings", size="6", as_="h1"),
        rx.cond(S.is_staff, _totp_card()),
        _password_card(),
        _consents_card(),
        rx.link("My sessions", href="/account/sessions"),
        max_width="720px",
    )
