"""What personal data may leave the system towards the model (AI_SEND_PERSONAL_DATA).

Phone numbers and e-mail addresses in free text are replaced by placeholders before a call
unless the setting allows them; the placeholders are put back into the model's answer, so
the feature still works without the value ever being sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from logistics_ai.settings import get_settings

KINDS = ("address", "recipient_name", "phone", "email")
PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().\-]{6,18}\d(?!\w)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def allowed() -> frozenset[str]:
    raw = get_settings().ai_send_personal_data
    return frozenset(part.strip() for part in raw.split(",") if part.strip() in KINDS)


@dataclass
class Masked:
    text: str
    placeholders: dict[str, str] = field(default_factory=dict)

    def restore(self, value: str) -> str:
        for placeholder, original in self.placeholders.items():
            value = value.replace(placeholder, original)
        return value


def mask_text(text: str, permitted: frozenset[str] | None = None) -> Masked:
    permitted = allowed() if permitted is None else permitted
    masked = Masked(text)
    for kind, pattern in (("email", EMAIL), ("phone", PHONE)):
        if kind in permitted:
            continue

        def swap(match: re.Match[str], kind: str = kind) -> str:
            placeholder = f"[{kind.upper()}_{len(masked.placeholders) + 1}]"
            masked.placeholders[placeholder] = match.group(0)
            return placeholder

        masked.text = pattern.sub(swap, masked.text)
    return masked


def redact(value: str | None, kind: str, permitted: frozenset[str] | None = None) -> str | None:
    """A personal field as it may be sent: itself when allowed, a neutral marker otherwise."""
    permitted = allowed() if permitted is None else permitted
    if value is None or kind in permitted:
        return value
    return f"[{kind} withheld]"
