"""My sessions: where I am signed in, with a sign-out button for each."""

import reflex as rx
from reflex.vars import ObjectVar

from components.layout import app_shell
from state.sessions import SessionRow, SessionsState


def _session_card(item: ObjectVar[SessionRow]) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.text(item.kind, " · ", item.agent, weight="medium", size="2"),
                    rx.text(
                        "IP ",
                        item.ip,
                        " · signed in ",
                        item.created,
                        " · last used ",
                        item.last_used,
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.cond(
                    item.current,
                    rx.badge("this browser", variant="soft"),
                    rx.button(
                        "Sign out",
                        on_click=SessionsState.revoke(item.id),
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        aria_label="Sign out session " + item.kind + " " + item.ip,
                    ),
                ),
                width="100%",
                align="center",
            ),
            width="100%",
        ),
        style={"list-style": "none", "margin-bottom": "8px"},
    )


def sessions_page() -> rx.Component:
    return app_shell(
        "My sessions",
        rx.heading("Where you are signed in", size="6", as_="h1"),
        rx.el.ul(
            rx.foreach(SessionsState.sessions, _session_card),
            aria_label="My sessions",
            style={"padding": "0", "width": "100%"},
        ),
        max_width="720px",
    )
