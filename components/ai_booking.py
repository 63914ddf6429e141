"""The customer's "book in plain words" box: its questions and which path read the text."""

import reflex as rx

from state.ai_booking import AiBookingState


def ai_booking_box() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Book in plain words", size="4", as_="h2"),
                rx.el.label(
                    "Describe the delivery",
                    html_for="ai_text",
                    style={"font-weight": "500", "font-size": "14px"},
                ),
                rx.text_area(
                    id="ai_text",
                    name="ai_text",
                    value=AiBookingState.ai_text,
                    on_change=AiBookingState.set_ai_text,
                    placeholder="2 boxes, 12 kg, from 1200 N Clark St to 5300 S Lake Park Ave "
                    "tomorrow 2-4pm, fragile, call Ana on arrival",
                    rows="3",
                    max_length=1000,
                    width="100%",
                ),
                rx.button(
                    rx.cond(AiBookingState.ai_busy, "Reading…", "Fill the form"),
                    type="submit",
                    disabled=AiBookingState.ai_busy,
                    width="100%",
                    id="ai-fill",
                ),
                rx.cond(
                    AiBookingState.ai_source_note != "",
                    rx.text(AiBookingState.ai_source_note, size="1", id="ai-source"),
                ),
                rx.cond(
                    AiBookingState.ai_questions.length() > 0,
                    rx.el.ul(
                        rx.foreach(
                            AiBookingState.ai_questions,
                            lambda q: rx.el.li(rx.text(q, size="2")),
                        ),
                        aria_label="Still to fill in",
                        id="ai-questions",
                        style={"padding-left": "18px", "margin": "0"},
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=AiBookingState.read_text,
            reset_on_submit=False,
            aria_label="Book in plain words",
        ),
        width="100%",
    )
