"""Public account pages reached from emails: confirm the address, reset the password."""

import reflex as rx

from components.field import labeled_input
from components.layout import header
from state.account_links import ConfirmState, ResetState

E = ResetState.reset_errors


def _card(title: str, *children: rx.Component) -> rx.Component:
    return rx.box(
        header(title),
        rx.center(
            rx.card(
                rx.vstack(
                    rx.heading(title, size="6", as_="h1"), *children, spacing="3", width="100%"
                ),
                width="100%",
                max_width="420px",
            ),
            padding="32px 16px",
        ),
    )


def _notice(message: rx.Var[str], scheme: str = "red") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme=scheme, role="status", width="100%", id="account-notice"),
    )


def confirm_page() -> rx.Component:
    return _card(
        "Confirm your email",
        rx.match(
            ConfirmState.confirm_status,
            ("confirmed", _notice(ConfirmState.confirm_message, "green")),
            ("failed", _notice(ConfirmState.confirm_message)),
            rx.text("Confirming…", role="status"),
        ),
        rx.link("Sign in", href="/login", id="signin-link"),
    )


def forgot_page() -> rx.Component:
    return _card(
        "Forgot your password?",
        rx.cond(
            ResetState.reset_done,
            _notice(ResetState.reset_message, "green"),
            rx.form(
                rx.vstack(
                    rx.text("We will email you a link to choose a new one.", size="2"),
                    labeled_input(
                        "Email", "email", E.get("email", ""), type="email", auto_complete="email"
                    ),
                    _notice(ResetState.reset_message),
                    rx.button("Email me a link", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ResetState.request_link,
                reset_on_submit=False,
                aria_label="Ask for a password-reset link",
                width="100%",
            ),
        ),
        rx.link("Back to sign in", href="/login"),
    )


def reset_page() -> rx.Component:
    return _card(
        "Choose a new password",
        rx.cond(
            ResetState.reset_done,
            _notice(ResetState.reset_message, "green"),
            rx.form(
                rx.vstack(
                    labeled_input(
                        "New password (10+ characters)",
                        "password",
                        E.get("password", ""),
                        type="password",
                        auto_complete="new-password",
                    ),
                    labeled_input(
                        "New password again",
                        "password_again",
                        E.get("password_again", ""),
                        type="password",
                        auto_complete="new-password",
                    ),
                    _notice(ResetState.reset_message),
                    rx.button("Set password", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ResetState.set_password,
                reset_on_submit=False,
                aria_label="Choose a new password",
                width="100%",
            ),
        ),
        rx.link("Sign in", href="/login", id="signin-link"),
    )
