"""Page shells: a header with the signed-in user and a logout button."""

import reflex as rx

from components.native_form import native_form
from logistics_ai.services.web_sessions import LOGOUT_PATH
from state.auth import AuthState


def header(title: str) -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("truck", size=22, aria_hidden="true"),
            rx.text("Logistics AI", size="4", weight="bold"),
            rx.text("·", color_scheme="gray"),
            rx.text(title, color_scheme="gray", size="3"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.cond(
            AuthState.user_role != "",
            rx.hstack(
                rx.cond(
                    (AuthState.user_role == "dispatcher") | (AuthState.user_role == "admin"),
                    rx.link("Dispatch", href="/dispatch", size="2"),
                ),
                rx.cond(AuthState.user_role == "admin", rx.link("Admin", href="/admin", size="2")),
                rx.link("Account", href="/account/security", size="2", id="account-link"),
                rx.link("My data", href="/account/privacy", size="2"),
                rx.link(
                    AuthState.user_name,
                    href="/account/sessions",
                    size="2",
                    id="signed-in-user",
                    # The visible name leads the accessible one (axe label-content-name-mismatch).
                    aria_label=AuthState.user_name + " — My sessions",
                ),
                # A plain form: the sign-out route revokes the session and clears the cookie.
                native_form(
                    rx.button("Log out", type="submit", variant="soft", size="1"),
                    action=LOGOUT_PATH,
                    method="post",
                    aria_label="Log out",
                ),
                align="center",
                spacing="2",
            ),
        ),
        width="100%",
        padding="12px 16px",
        border_bottom="1px solid var(--gray-5)",
        align="center",
        wrap="wrap",
    )


def app_shell(title: str, *children: rx.Component, max_width: str = "1320px") -> rx.Component:
    return rx.box(
        header(title),
        rx.el.main(
            rx.vstack(*children, spacing="4", width="100%"),
            style={"max-width": max_width, "margin": "0 auto", "padding": "16px"},
        ),
        width="100%",
    )


def loading_placeholder() -> rx.Component:
    return rx.center(rx.spinner(size="3"), rx.text("Loading…", margin_left="8px"), padding="48px")
