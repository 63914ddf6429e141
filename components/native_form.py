"""An HTML form the browser submits itself (Reflex's own form always prevents the submit).

Used where a route must answer with a full page load: signing in and out set or clear the
HttpOnly session cookie, and the next page's websocket handshake carries it.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    """`<form action=... method="post">` with no script attached."""

    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
