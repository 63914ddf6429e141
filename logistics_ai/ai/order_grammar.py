"""The offline plain-words booking parser: a deterministic grammar, no model.

It reads dates ("tomorrow", "friday", "3/5", "March 10", "in 2 days"), times and windows
("2-4pm", "between 10 and 12", "by 5pm", "after 1pm", "at 10am", "morning"), quantities
and units (kg, lb, g; m3, litres, cubic feet, "60x40x40 cm"; "3 boxes of 5 kg each"),
the skills vocabulary (with typo tolerance), addresses on the city grid, recipients and
phone numbers. What it cannot read stays out of the result; it never invents a value.

Conventions (documented in docs/ai.md): a window without a pickup/delivery verb is the
delivery window; "by T" runs from the shift start to T, "after T" from T to the shift end,
"at T" is the hour from T; morning 08-12, afternoon 12-17, evening 17-21; hours without
am/pm from 1 to 6 are afternoon hours; "next <weekday>" is ambiguous and asked about.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

LB_KG = 0.45359237
CUFT_M3 = 0.0283168
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_ABBR = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "couple of": 2,
}  # fmt: skip
PERIODS = {
    "morning": (time(8), time(12)),
    "midday": (time(11), time(13)),
    "lunchtime": (time(11), time(13)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(21)),
    "tonight": (time(17), time(21)),
}
SKILL_WORDS = {
    "fragile": "fragile", "breakable": "fragile", "glass": "fragile", "glassware": "fragile",
    "porcelain": "fragile", "ceramic": "fragile", "handle with care": "fragile",
    "refrigerated": "refrigerated", "chilled": "refrigerated", "frozen": "refrigerated",
    "cold": "refrigerated", "keep cool": "refrigerated", "fridge": "refrigerated",
    "cooler": "refrigerated", "coolers": "refrigerated",
    "liftgate": "liftgate", "lift gate": "liftgate", "tail lift": "liftgate",
    "oversize": "oversize", "oversized": "oversize", "bulky": "oversize",
}  # fmt: skip
TYPO_VOCAB = ["tomorrow", "fragile", "refrigerated", "afternoon", "morning", "evening",
              "liftgate", "oversized", "delivery", "deliver", "wednesday", "thursday"]  # fmt: skip
TYPOS = {"tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "2moro": "tomorrow"}
UNITS = r"boxes|box|parcels?|packages?|pallets?|crates?|bags?|envelopes?|cartons?|items?|pieces?|pcs|cases?|tubes?|rolls?|coolers?"  # noqa: E501
SUFFIXES = {
    "st": "St", "street": "St", "ave": "Ave", "avenue": "Ave", "blvd": "Blvd",
    "boulevard": "Blvd", "rd": "Rd", "road": "Rd", "dr": "Dr", "drive": "Dr", "pkwy": "Pkwy",
    "parkway": "Pkwy", "ct": "Ct", "court": "Ct", "pl": "Pl", "place": "Pl", "ln": "Ln",
    "lane": "Ln", "way": "Way",
}  # fmt: skip
BARE_STREETS = ("broadway", "fulton market")  # named without a suffix
DIRECTIONS = {"n": "N", "s": "S", "e": "E", "w": "W", "north": "N", "south": "S",
              "east": "E", "west": "W"}  # fmt: skip
PICKUP_CUES = r"pick(?:ing)?[\s-]?up|pickup|collect(?:ion)?|grab|picked up|ready"
DROPOFF_CUES = r"send(?:ing)?|deliver(?:y|ed|ing)?|drop(?:ped)?[\s-]?off|drop|bring|take it|arriv\w*|need (?:this|it) at|ship"  # noqa: E501
NOT_NAMES = set(WEEKDAYS) | set(MONTHS) | {
    "the", "me", "my", "arrival", "pickup", "delivery", "today", "tomorrow", "reception",
    "us", "it", "them", "him", "her", "someone", "anyone", "front", "door", "a", "an",
}  # fmt: skip

_STREET = (
    r"(?P<num>\d{1,5})\s+(?P<dir>north|south|east|west|[nsew])\.?\s+"
    r"(?P<name>(?:\d{1,3}(?:st|nd|rd|th)|[a-z][a-z'.]*)(?:\s+[a-z][a-z'.]*){0,2}?)\s*"
    r"(?P<suffix>\b(?:" + "|".join(SUFFIXES) + r")\b\.?)"
)
ADDRESS = re.compile(
    rf"{_STREET}|(?P<num2>\d{{1,5}})\s+(?P<dir2>north|south|east|west|[nsew])\.?\s+"
    rf"(?P<bare>{'|'.join(BARE_STREETS)})\b",
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<![\w.])(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
TIME = r"(?:(?P<{p}h>\d{{1,2}})(?::(?P<{p}m>\d{{2}}))?\s*(?P<{p}ap>[ap]\.?m\.?)?|(?P<{p}word>noon|midnight))"  # noqa: E501
RANGE = re.compile(
    r"(?:(?P<lead>between|from)\s+)?" + TIME.format(p="a") + r"\s*(?:-|–|to|until|till|and)\s*"
    + TIME.format(p="b") + r"(?:\s*in\s+the\s+(?P<period>morning|afternoon|evening))?",
    re.IGNORECASE,
)  # fmt: skip
SINGLE = re.compile(
    r"\b(?P<kind>by|before|no later than|after|from|at|around)\s+" + TIME.format(p="a"),
    re.IGNORECASE,
)
BARE_TIME = re.compile(r"\b(?P<ah>\d{1,2})(?::(?P<am>\d{2}))?\s*(?P<aap>[ap]\.?m\.?)(?!\w)", re.I)
PERIOD = re.compile(r"\b(" + "|".join(PERIODS) + r")\b", re.IGNORECASE)
DIMENSIONS = re.compile(
    r"(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(cm|mm|m|in|inches)\b"
    r"(?P<each>\s+each)?",
    re.IGNORECASE,
)
WEIGHT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(kg|kgs|kilos?|kilograms?|lbs?|pounds?|g|grams?)\b(?P<each>\s+each)?",
    re.IGNORECASE,
)
VOLUME = re.compile(
    r"(\d+(?:\.\d+)?)\s*(m3|m³|cbm|cubic met(?:er|re)s?|l|liters?|litres?|cu\.?\s?ft|ft3|"
    r"cubic f(?:ee|oo)t)(?![\w])",
    re.IGNORECASE,
)
QUANTITY = re.compile(
    r"\b(\d+|a couple of|couple of|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:(?:small|large|big|heavy|light)\s+)?(" + UNITS + r")\b",
    re.IGNORECASE,
)
NAME = r"(?P<name>[A-Z][a-zA-Z'’\-]+(?:\s+(?:O'|Mc)?[A-Z][a-zA-Z'’\-]+){0,2})"
RECIPIENT_CUES = [
    r"recipient(?:\s+is|:)?", r"the recipient is", r"attn:?", r"attention:?", r"contact:?",
    r"ask for", r"call", r"text", r"phone", r"ring", r"for", r"deliver(?:ed)? to",
    r"hand (?:it )?to", r"give (?:it )?to", r"to my \w+",
]  # fmt: skip
NAME_AFTER = re.compile(r"(?:(?<=\W)|^)(?i:" + "|".join(RECIPIENT_CUES) + r")\s+" + NAME)
WILL_RECEIVE = re.compile(NAME + r"\s+will\s+(?:receive|sign|accept)")


@dataclass
class Window:
    start: time
    end: time
    at: int  # character position in the text (for role and date assignment)


@dataclass
class Extraction:
    """What the grammar read: local wall-clock datetimes, addresses as written (normalized)."""

    fields: dict[str, object] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fix_typos(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in TYPOS:
            return TYPOS[low]
        if len(low) >= 5 and low not in TYPO_VOCAB and low not in SKILL_WORDS:
            close = difflib.get_close_matches(low, TYPO_VOCAB, n=1, cutoff=0.84)
            if close:
                return close[0]
        return word

    return re.sub(r"[A-Za-z0-9]+", fix, text)


def normalize_street(match: re.Match[str]) -> str:
    if match.group("bare"):
        number, direction = match.group("num2"), match.group("dir2")
        name, suffix = match.group("bare"), ""
    else:
        number, direction = match.group("num"), match.group("dir")
        name, suffix = match.group("name"), SUFFIXES[match.group("suffix").lower().rstrip(".")]
    words = []
    for word in name.split():
        if re.fullmatch(r"\d+(st|nd|rd|th)", word, re.IGNORECASE):
            words.append(word.lower())
        elif word.lower() == "lasalle":
            words.append("LaSalle")
        else:
            words.append(word[:1].upper() + word[1:].lower())
    parts = [number, DIRECTIONS[direction.lower().rstrip(".")], " ".join(words), suffix]
    return " ".join(p for p in parts if p)


def _role_near(text: str, start: int, end: int) -> str | None:
    """'pickup' or 'dropoff' from the verb closest before a span, in its clause."""
    clause_start = max(text.rfind(sep, 0, start) for sep in (",", ";", ".", "?", "!", "\n"))
    before = text[clause_start + 1 : start].lower()
    best: tuple[int, str] | None = None
    for role, cues in (("pickup", PICKUP_CUES), ("dropoff", DROPOFF_CUES)):
        for cue in re.finditer(rf"\b(?:{cues})\b", before):
            if best is None or cue.end() > best[0]:
                best = (cue.end(), role)
    if best:
        return best[1]
    clause_end = min(
        [i for sep in (",", ";", ".", "?", "!") if (i := text.find(sep, end)) != -1] or [len(text)]
    )
    after = text[end:clause_end].lower()
    pick = re.search(rf"\b(?:{PICKUP_CUES})\b", after)
    drop = re.search(rf"\b(?:{DROPOFF_CUES})\b", after)
    if pick and (not drop or pick.start() < drop.start()):
        return "pickup"
    if drop:
        return "dropoff"
    return None


def _addresses(text: str, out: Extraction) -> None:
    found = list(ADDRESS.finditer(text))
    roles: dict[str, str] = {}
    for index, match in enumerate(found):
        before = text[max(0, match.start() - 40) : match.start()].lower()
        role = None
        if re.search(r"(?:\bto|->|→)\s*$", before):
            role = "dropoff"
        elif re.search(r"\bfrom\s*$", before):
            role = "pickup"
        else:
            role = _role_near(text, match.start(), match.end())
        if role is None and len(found) == 2:
            between = text[match.end() : found[1].start()].lower() if index == 0 else ""
            if index == 0 and re.fullmatch(r"\s*(?:to|->|→|-)\s*", between):
                role = "pickup"
        if role and role not in roles:
            roles[role] = normalize_street(match)
        elif role is None and len(found) == 1:
            out.questions["dropoff_address"] = (
                f"Is {normalize_street(match)} the pickup or the delivery address?"
            )
    # "X to Y" where only Y was marked: X is the pickup.
    if len(found) == 2 and set(roles) == {"dropoff"}:
        other = next(m for m in found if normalize_street(m) != roles["dropoff"])
        if text[other.end() : found[1].start()].strip().lower() in ("to", "->", "→"):
            roles["pickup"] = normalize_street(other)
    for role, value in roles.items():
        out.fields[f"{role}_address"] = value


def _days(text: str, today: date, out: Extraction) -> list[tuple[int, date]]:
    low = text.lower()
    days: list[tuple[int, date]] = []

    def add(pos: int, day: date) -> None:
        days.append((pos, day))

    for m in re.finditer(r"\bday after tomorrow\b", low):
        add(m.start(), today + timedelta(days=2))
    for m in re.finditer(r"\b(?<!after )tomorrow\b", low):
        add(m.start(), today + timedelta(days=1))
    for m in re.finditer(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", low):
        add(m.start(), today)
    for m in re.finditer(r"\bin (\d+|two|three|four|five) days\b", low):
        n = m.group(1)
        add(m.start(), today + timedelta(days=int(n) if n.isdigit() else NUMBER_WORDS[n]))
    names = "|".join(WEEKDAYS) + "|" + "|".join(WEEKDAY_ABBR)
    for m in re.finditer(rf"\b(next week |next |this )?({names})\b", low):
        qualifier, name = (m.group(1) or "").strip(), m.group(2)
        weekday = WEEKDAYS.index(name) if name in WEEKDAYS else WEEKDAY_ABBR[name]
        ahead = (weekday - today.weekday()) % 7 or 7
        if qualifier == "next week":
            ahead = 7 - today.weekday() + weekday
        elif qualifier == "next":
            out.questions["dropoff_window_start"] = (
                f"Which {name.title()} do you mean: this week's or next week's?"
            )
            continue
        add(m.start(), today + timedelta(days=ahead))
    months = "|".join(MONTHS) + "|" + "|".join(MONTH_ABBR)
    for m in re.finditer(
        rf"\b({months})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:-|–|:|am|pm|to\b))", low
    ):
        add(m.start(), _future(today, _month(m.group(1)), int(m.group(2))))
    for m in re.finditer(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({months})\b", low):
        add(m.start(), _future(today, _month(m.group(2)), int(m.group(1))))
    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", low):
        add(m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in re.finditer(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])", low):
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            add(m.start(), _future(today, month, day))
    for m in re.finditer(r"\bon the (\d{1,2})(?:st|nd|rd|th)\b", low):
        day = int(m.group(1))
        month = today.month if day >= today.day else today.month % 12 + 1
        add(m.start(), _future(today, month, day))
    return sorted(days)


def _month(name: str) -> int:
    return MONTHS.index(name) + 1 if name in MONTHS else MONTH_ABBR[name[:3]]


def _future(today: date, month: int, day: int) -> date:
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return today
    return candidate if candidate >= today else candidate.replace(year=today.year + 1)


def _clock(h: str | None, m: str | None, ap: str | None, word: str | None) -> tuple[int, int, bool]:
    """(hour, minute, meridiem known) of one time expression."""
    if word:
        return (12 if word.lower() == "noon" else 0), 0, True
    hour, minute = int(h or 0), int(m or 0)
    if ap:
        pm = ap.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
        return hour, minute, True
    return hour, minute, hour > 12 or hour == 0


def _business(hour: int) -> int:
    """An hour said without am/pm: 1-6 are afternoon hours for deliveries."""
    return hour + 12 if 1 <= hour <= 6 else hour


DAY_BEFORE = re.compile(
    r"\b(?:tomorrow|today|morning|afternoon|\w+day|tmr\w*|mon|tue|tues|wed|thu|thurs|fri|sat|sun"
    r"|\d{1,2}/\d{1,2}|\d{1,2}(?:st|nd|rd|th)|[a-z]{3,9} \d{1,2})\s*$"
)
VERB_AFTER = re.compile(r"\s*(?:pick|deliver|drop|collect)")


def _time_context(text: str, m: re.Match[str]) -> bool:
    """Is this 'A-B' a time range? It needs a time-like mark ('3/5' or '2-3 boxes' are not)."""
    marks = ("lead", "aap", "bap", "am", "bm", "aword", "bword", "period")
    if any(m.group(name) for name in marks):
        return True
    return bool(
        DAY_BEFORE.search(text[: m.start()].lower()) or VERB_AFTER.match(text[m.end() :].lower())
    )


def _windows(text: str, shift: tuple[time, time]) -> list[Window]:
    windows: list[Window] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for m in RANGE.finditer(text):
        if m.group("ah") and m.group("bh") is None and not m.group("bword"):
            continue
        if not _time_context(text, m):
            continue
        if re.search(r"[x×/]\s*$", text[: m.start()]) or re.match(
            r"\s*(?:kg|lb|cm|m3|%)", text[m.end() :]
        ):
            continue
        ah, am_, aknown = _clock(m.group("ah"), m.group("am"), m.group("aap"), m.group("aword"))
        bh, bm, bknown = _clock(m.group("bh"), m.group("bm"), m.group("bap"), m.group("bword"))
        if m.group("period") in ("afternoon", "evening"):
            ah, bh = (ah % 12 + 12, bh % 12 + 12)
            aknown = bknown = True
        if bknown and not aknown:
            pm_side = bh >= 12
            candidate = ah % 12 + (12 if pm_side else 0)
            ah = candidate if candidate * 60 + am_ <= bh * 60 + bm else ah % 12
        elif not aknown and not bknown:
            ah, bh = _business(ah), _business(bh)
        elif aknown and not bknown:
            bh = _business(bh) if bh <= 12 and bh * 60 + bm <= ah * 60 + am_ else bh
            if bh * 60 + bm <= ah * 60 + am_:
                bh += 12
        if not (0 <= ah < 24 and 0 <= bh < 24 and 0 <= am_ < 60 and 0 <= bm < 60):
            continue
        windows.append(Window(time(ah, am_), time(bh, bm), m.start()))
        taken.append((m.start(), m.end()))
    for m in SINGLE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        kind = m.group("kind").lower()
        if kind == "from" and not (m.group("aap") or m.group("aword")):
            continue
        if kind in ("at", "around") and not (m.group("aap") or m.group("aword") or m.group("am")):
            after = text[m.end() :].lower()
            before = text[max(0, m.start() - 30) : m.start()].lower()
            if not re.search(
                r"(?:tomorrow|today|deliver|pick ?up|\w+day)\W*$", before
            ) and not re.match(r"\s*(?:,|$|tomorrow|today)", after):
                continue
            if re.match(r"\s*\d", after) or re.match(r"\s+[nsew]\b", after, re.IGNORECASE):
                continue  # an address number
        h, mi, known = _clock(m.group("ah"), m.group("am"), m.group("aap"), m.group("aword"))
        if not known:
            h = _business(h)
        if not (0 <= h < 24):
            continue
        moment = time(h, mi)
        if kind in ("by", "before", "no later than"):
            windows.append(Window(shift[0], moment, m.start()))
        elif kind in ("after", "from"):
            windows.append(Window(moment, shift[1], m.start()))
        else:
            end = (datetime.combine(date.min, moment) + timedelta(hours=1)).time()
            windows.append(Window(moment, end, m.start()))
        taken.append((m.start(), m.end()))
    for m in BARE_TIME.finditer(text):
        if not free(m.start(), m.end()):
            continue
        h, mi, _known = _clock(m.group("ah"), m.group("am"), m.group("aap"), None)
        if 0 <= h < 23:
            windows.append(Window(time(h, mi), time(h + 1, mi), m.start()))
            taken.append((m.start(), m.end()))
    for m in PERIOD.finditer(text):
        if not free(m.start(), m.end()):
            continue
        if any(abs(w.at - m.start()) < 16 for w in windows):
            continue  # "same morning 6-8am": the period only restates a precise window
        start, end = PERIODS[m.group(1).lower()]
        windows.append(Window(start, end, m.start()))
        taken.append((m.start(), m.end()))
    return sorted(windows, key=lambda w: w.at)


def _quantity(text: str) -> tuple[int, str] | None:
    m = QUANTITY.search(text)
    if not m:
        return None
    raw = m.group(1).lower()
    count = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
    return count, f"{count} {m.group(2).lower()}"


def _weight(text: str, count: int) -> float | None:
    total = 0.0
    found = False
    for m in WEIGHT.finditer(text):
        value, unit = float(m.group(1)), m.group(2).lower()
        if unit.startswith(("lb", "pound")):
            kg = value * LB_KG
        elif unit in ("g", "gram", "grams"):
            kg = value / 1000
        else:
            kg = value
        tail = text[m.end() : m.end() + 12].lower()
        head = text[max(0, m.start() - 25) : m.start()].lower()
        each = (
            m.group("each")
            or re.match(r"\s*(?:apiece|per\s)", tail)
            or (re.search(r"\bof\s*$", head) and re.search(rf"\d+\s+(?:{UNITS})\s+of\s*$", head))
        )
        if re.search(r"\(\s*$", head) and re.match(r"\s*each", tail):
            each = True
        if each and count > 1:
            kg *= count
        total += kg
        found = True
        break  # one weight statement per request: a second number is usually a repeat
    return round(total, 2) if found else None


def _volume(text: str, count: int) -> float | None:
    m = VOLUME.search(text)
    if m:
        value, unit = float(m.group(1)), m.group(2).lower()
        if unit.startswith(("l", "lit")):
            value /= 1000
        elif "ft" in unit or unit.startswith("cubic f"):
            value *= CUFT_M3
        return round(value, 3)
    d = DIMENSIONS.search(text)
    if d:
        scale = {"cm": 0.01, "mm": 0.001, "m": 1.0, "in": 0.0254, "inches": 0.0254}
        factor = scale[d.group(4).lower()]
        value = float(d.group(1)) * float(d.group(2)) * float(d.group(3)) * factor**3
        tail = text[d.end() : d.end() + 8].lower()
        head = text[max(0, d.start() - 30) : d.start()].lower()
        if (
            d.group("each")
            or tail.startswith(" each")
            or re.search(rf"\d+\s+(?:{UNITS})\s*$", head)
        ):
            value *= count
        return round(value, 3)
    return None


def _skills(text: str) -> list[str]:
    low = text.lower()
    found = set()
    for word, skill in SKILL_WORDS.items():
        if re.search(rf"\b{re.escape(word)}\b", low) or (
            " " not in word and re.search(rf"\b{re.escape(word)}", low) and len(word) >= 5
        ):
            found.add(skill)
    for token in re.findall(r"[a-z]+", low):
        if len(token) >= 6 and token not in SKILL_WORDS:
            close = difflib.get_close_matches(
                token, ["fragile", "refrigerated", "liftgate", "oversized"], n=1, cutoff=0.85
            )
            if close:
                found.add(SKILL_WORDS[close[0]])
    return sorted(found)


def _recipient(text: str) -> str | None:
    candidates: list[tuple[int, str]] = []
    for m in NAME_AFTER.finditer(text):
        name = m.group("name")
        words = name.split()
        while words and (words[-1].lower() in NOT_NAMES or words[-1].lower() in SUFFIXES):
            words.pop()
        if not words or words[0].lower() in NOT_NAMES or words[0].lower() in DIRECTIONS:
            continue
        if not name[0].isupper():
            continue
        candidates.append((m.start(), " ".join(words)))
    receiver = WILL_RECEIVE.search(text)
    if receiver:
        candidates.append((receiver.start(), receiver.group("name")))
    if not candidates:
        return None
    return candidates[0][1]


NOTE_CUES = re.compile(
    r"\b(call|text|ring|buzz|leave|gate|code|door|desk|lobby|reception|knock|do not|don't|"
    r"upstairs|floor|apartment|apt|suite|dock|doorman|on arrival)\b",
    re.IGNORECASE,
)


def parse(text: str, now: datetime, shift: tuple[time, time] = (time(7), time(21))) -> Extraction:
    """Read a booking request. `now` is local wall-clock time in the depot's zone."""
    out = Extraction()
    clean = _fix_typos(" ".join(text.split()))
    phone = PHONE.search(clean)
    if phone:
        out.fields["recipient_phone"] = phone.group(0).strip()
    scrubbed = PHONE.sub(" ", clean)
    _addresses(scrubbed, out)
    no_addresses = ADDRESS.sub(lambda m: "#" * len(m.group(0)), scrubbed)
    days = _days(no_addresses, now.date(), out)
    windows = _windows(no_addresses, shift)
    roles: dict[str, Window] = {}
    for window in windows:
        role = _role_near(no_addresses, window.at, window.at + 1) or "dropoff"
        if role in roles:
            role = "dropoff" if role == "pickup" else "pickup"
            if role in roles:
                continue
        roles[role] = window
    for role, window in roles.items():
        if not days:
            out.questions.setdefault(
                f"{role}_window_start",
                "Which day should we " + ("pick it up?" if role == "pickup" else "deliver it?"),
            )
            continue
        day = min(days, key=lambda d: abs(d[0] - window.at))[1]
        out.fields[f"{role}_window_start"] = datetime.combine(day, window.start)
        out.fields[f"{role}_window_end"] = datetime.combine(day, window.end)
    quantity = _quantity(no_addresses)
    count = quantity[0] if quantity else 1
    weight = _weight(no_addresses, count)
    if weight is not None:
        out.fields["weight_kg"] = weight
    volume = _volume(no_addresses, count)
    if volume is not None:
        out.fields["volume_m3"] = volume
    skills = _skills(no_addresses)
    if skills:
        out.fields["required_skills"] = skills
    name = _recipient(PHONE.sub(" ", " ".join(text.split())))
    if name:
        out.fields["recipient_name"] = name
    if quantity:
        out.notes.append(quantity[1])
    for clause in re.split(r"[,;.!?]", " ".join(text.split())):
        if NOTE_CUES.search(clause) and not ADDRESS.search(clause):
            out.notes.append(clause.strip())
    return out
