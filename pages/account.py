"""Customer sign-up and invitation acceptance."""

import reflex as rx

from components.field import labeled_input
from components.layout import header
from state.account import AccountState

E = AccountState.errors


def _card(title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(rx.heading(title, size="6", as_="h1"), *children, spacing="3", width="100%"),
            width="100%",
            max_width="420px",
        ),
        padding="32px 16px",
    )


def _message() -> rx.Component:
    return rx.cond(
        AccountState.message != "",
        rx.callout(
            AccountState.message,
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
    )


def signup_page() -> rx.Component:
    return rx.box(
        header("Create an account"),
        _card(
            "Create a customer account",
            rx.cond(
                AccountState.done,
                rx.vstack(
                    rx.text(AccountState.message, id="signup-done", role="status"),
                    rx.link("Sign in", href="/login", id="signin-link"),
                ),
                rx.form(
                    rx.vstack(
                        labeled_input(
                            "Email",
                            "email",
                            E.get("email", ""),
                            type="email",
                            auto_complete="username",
                        ),
                        labeled_input("Full name", "full_name", E.get("full_name", "")),
                        labeled_input(
                            "Company (optional)", "company_name", E.get("company_name", "")
                        ),
                        labeled_input(
                            "Password (10+ characters)",
                            "password",
                            E.get("password", ""),
                            type="password",
                            auto_complete="new-password",
                        ),
                        _message(),
                        rx.button("Create account", type="submit", width="100%"),
                        rx.text(
                            "Drivers and dispatchers join by invitation from an admin.",
                            size="1",
                            color_scheme="gray",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=AccountState.sign_up,
                    reset_on_submit=False,
                    aria_label="Create an account",
                ),
            ),
        ),
    )


def invite_page() -> rx.Component:
    return rx.box(
        header("Accept invitation"),
        _card(
            "Set your password",
            rx.cond(
                AccountState.done,
                rx.vstack(
                    rx.text("Your account is active."),
                    rx.link("Sign in", href="/login", id="signin-link"),
                ),
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
                            "Repeat the password",
                            "password_again",
                            E.get("password_again", ""),
                            type="password",
                            auto_complete="new-password",
                        ),
                        _message(),
                        rx.button("Activate my account", type="submit", width="100%"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=AccountState.accept,
                    reset_on_submit=False,
                    aria_label="Set your password",
                ),
            ),
        ),
    )
