"""The dashboard's daily briefing and copilot chat with its confirm cards.

Model output is rendered with rx.text (plain text, never HTML or markdown)."""

import reflex as rx
from reflex.vars import ObjectVar

from state.copilot import ChatLine, CopilotState, ProposalCard


def _message(m: ObjectVar[ChatLine]) -> rx.Component:
    return rx.el.li(
        rx.text(
            rx.cond(m.role == "user", "You: ", "Copilot: "),
            weight="medium",
            size="2",
            as_="span",
        ),
        rx.text(m.text, size="2", as_="span", style={"white-space": "pre-wrap"}),
        style={"list-style": "none", "padding": "4px 0"},
        data_role=m.role,
    )


def _card(c: ObjectVar[ProposalCard]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.badge(c.label, variant="soft", size="1"),
            rx.text(c.title, size="2", weight="medium", data_testid="card-title"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            (c.detail != "") & (c.detail != c.title),
            rx.text(c.detail, size="1", color_scheme="gray", data_testid="card-detail"),
        ),
        rx.hstack(
            rx.button(
                "Confirm",
                size="1",
                on_click=CopilotState.confirm(c.id),
                aria_label="Confirm: " + c.title,
                data_testid="confirm-card",
            ),
            rx.button(
                "Dismiss",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=CopilotState.dismiss(c.id),
                aria_label="Dismiss: " + c.title,
            ),
            spacing="2",
        ),
        data_kind=c.kind,
        width="100%",
    )


def briefing_card() -> rx.Component:
    return rx.card(
        rx.heading("Daily briefing", size="3", as_="h2"),
        rx.el.ul(
            rx.foreach(
                CopilotState.briefing,
                lambda line: rx.el.li(rx.text(line, size="1"), style={"padding": "2px 0"}),
            ),
            style={"padding-left": "16px", "margin": "0"},
            aria_label="Daily briefing",
        ),
        rx.text(CopilotState.briefing_source, size="1", color_scheme="gray"),
        on_mount=CopilotState.load_briefing,
        width="100%",
        id="briefing",
    )


def copilot_panel() -> rx.Component:
    return rx.card(
        rx.heading("Ask the copilot", size="3", as_="h2"),
        rx.el.ul(
            rx.foreach(CopilotState.chat, _message),
            aria_label="Conversation",
            aria_live="polite",
            tab_index=0,  # scrolls: keyboard users can focus and scroll it
            id="copilot-chat",
            style={"padding": "0", "margin": "0", "max-height": "320px", "overflow-y": "auto"},
        ),
        rx.vstack(rx.foreach(CopilotState.cards, _card), spacing="2", width="100%"),
        rx.form(
            rx.hstack(
                rx.input(
                    id="copilot-input",
                    name="message",
                    value=CopilotState.chat_input,
                    on_change=CopilotState.set_chat_input,
                    placeholder="Which deliveries are late and why?",
                    aria_label="Question for the copilot",
                    max_length=1000,
                    width="100%",
                ),
                rx.button(
                    rx.cond(CopilotState.chat_busy, "…", "Ask"),
                    type="submit",
                    disabled=CopilotState.chat_busy,
                    aria_label="Ask the copilot",
                ),
                width="100%",
            ),
            on_submit=CopilotState.ask,
            reset_on_submit=False,
        ),
        rx.text(CopilotState.chat_source, size="1", color_scheme="gray", id="copilot-source"),
        width="100%",
        id="copilot",
    )
