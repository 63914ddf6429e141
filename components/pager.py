"""Previous / page x of y / next, for any paginated list."""

from collections.abc import Callable

import reflex as rx
from reflex.event import EventType


def pager(
    page: rx.Var[int],
    pages: rx.Var[int],
    go_to: Callable[[rx.Var[int]], EventType[()]],
    what: str,
) -> rx.Component:
    """`go_to(n)` must return the event that loads page n; `what` names the list for labels."""
    return rx.hstack(
        rx.button(
            "Previous",
            on_click=go_to(page - 1),
            disabled=page <= 1,
            variant="soft",
            aria_label=f"Previous {what} page",
        ),
        rx.text("Page ", page, " of ", pages, size="2"),
        rx.button(
            "Next",
            on_click=go_to(page + 1),
            disabled=page >= pages,
            variant="soft",
            aria_label=f"Next {what} page",
        ),
        align="center",
        padding_top="8px",
    )
