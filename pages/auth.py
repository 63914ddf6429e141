"""Landing redirect and the login page."""

import reflex as rx

from components.layout import header
from components.native_form import native_form
from logistics_ai.services.web_sessions import LOGIN_PATH
from state.auth import AuthState

DEMO_ACCOUNTS = ("dispatcher@example.com", "driver@example.com", "customer@example.com")


def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), rx.text("Opening Logistics AI…"), padding="48px")


def login() -> rx.Component:
    return rx.box(
        header("Sign in"),
        rx.center(
            rx.card(
                # A plain HTML form: the sign-in route sets the HttpOnly cookie and redirects,
                # and the page load that follows reconnects the websocket with it.
                native_form(
                    rx.vstack(
                        rx.heading("Sign in", size="6", as_="h1"),
                        rx.el.label("Email", html_for="email", style={"font-weight": "500"}),
                        rx.input(
                            id="email",
                            name="email",
                            type="email",
                            auto_complete="username",
                            placeholder="you@company.com",
                            width="100%",
                            required=True,
                        ),
                        rx.el.label("Password", html_for="password", style={"font-weight": "500"}),
                        rx.input(
                            id="password",
                            name="password",
                            type="password",
                            auto_complete="current-password",
                            width="100%",
                            required=True,
                        ),
                        rx.el.label(
                            "Authenticator code (staff with two-factor sign-in)",
                            html_for="otp",
                            style={"font-weight": "500", "font-size": "14px"},
                        ),
                        rx.input(
                            id="otp",
                            name="otp",
                            input_mode="numeric",
                            auto_complete="one-time-code",
                            max_length=8,
                            width="100%",
                        ),
                        rx.cond(
                            AuthState.login_error != "",
                            rx.callout(
                                AuthState.login_error,
                                icon="triangle_alert",
                                color_scheme="red",
                                role="alert",
                                width="100%",
                            ),
                        ),
                        rx.button("Sign in", type="submit", width="100%", size="3"),
                        rx.text(
                            "New customer? ", rx.link("Create an account", href="/signup"), size="2"
                        ),
                        rx.link("Forgot your password?", href="/forgot", size="2"),
                        rx.text(
                            "Demo accounts: "
                            + ", ".join(DEMO_ACCOUNTS)
                            + " (password in the README).",
                            size="1",
                            color_scheme="gray",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    action=LOGIN_PATH,
                    method="post",
                    aria_label="Sign in",
                ),
                width="100%",
                max_width="400px",
            ),
            padding="32px 16px",
        ),
    )
