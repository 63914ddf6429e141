"""Jinja2 templates per event and language: subject, plain text, SMS text and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from logistics_ai.notify.events import LANGUAGES
from logistics_ai.notify.events import TEMPLATES as TEMPLATE_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # HTML templates autoescape (a driver's failure reason is user input); text ones do not.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(event: str, language: str, context: dict[str, Any]) -> Rendered:
    if event not in TEMPLATE_NAMES:
        raise ValueError(f"no template for event {event!r}")
    lang = language if language in LANGUAGES else "en"
    env = _environment()
    text_template = env.get_template(f"{lang}/{event}.txt")
    blocks = text_template.blocks

    def block(name: str) -> str:
        return "".join(blocks[name](text_template.new_context(dict(context)))).strip()

    return Rendered(
        subject=block("subject"),
        text=text_template.render(context).strip() + "\n",
        html=env.get_template(f"{lang}/{event}.html").render(context),
        sms=block("sms"),
    )
