"""`python -m logistics_ai bench ai [--json]`: field-level accuracy and latency of
plain-words booking on the labelled requests in tests/data/ (the tuning set and a held-out
set the grammar was not tuned on), for the offline parser and, with GROQ_API_KEY, for Groq.

Relative dates in the labels are resolved from a fixed moment, REFERENCE_NOW, a Monday.
The baseline printed next to each figure is the empty parser (a draft with nothing in it),
so the accuracy a parser adds over 'leave every field out' is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from logistics_ai.ai import booking
from logistics_ai.ai.client import get_client
from logistics_ai.domain import clock
from logistics_ai.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
SETS = {"tuning": DATA / "ai_orders.jsonl", "held-out": DATA / "ai_orders_heldout.jsonl"}
REFERENCE_NOW = datetime(2026, 3, 2, 9, 0)  # Monday, local time of the depot
FIELDS = (
    "pickup_address", "dropoff_address", "pickup_window_start", "pickup_window_end",
    "dropoff_window_start", "dropoff_window_end", "weight_kg", "volume_m3",
    "required_skills", "recipient_name", "recipient_phone",
)  # fmt: skip


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _normal(name: str, value: Any) -> Any:
    """The comparable form of a draft or label value (None = left out)."""
    if value in (None, [], ""):
        return None
    if name.endswith("_address"):
        return " ".join(str(value).split(",")[0].lower().split())
    if "_window_" in name:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = clock.to_local(moment).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if name == "recipient_phone":
        return re.sub(r"\D", "", str(value))
    if name == "required_skills":
        return sorted(value)
    if name == "recipient_name":
        return str(value).strip().lower()
    return value


def field_matches(name: str, expected: Any, got: Any) -> bool:
    want, have = _normal(name, expected), _normal(name, got)
    if want is None or have is None:
        return want is None and have is None
    if name in ("weight_kg", "volume_m3"):
        return abs(float(want) - float(have)) <= max(0.05 if name == "weight_kg" else 0.0005,
                                                     0.01 * float(want))  # fmt: skip
    return bool(want == have)


def score(rows: list[dict[str, Any]], drafts: list[dict[str, Any]]) -> dict[str, Any]:
    per_field = {name: 0 for name in FIELDS}
    for row, draft in zip(rows, drafts, strict=True):
        for name in FIELDS:
            per_field[name] += field_matches(name, row["expected"].get(name), draft.get(name))
    total = len(rows) * len(FIELDS)
    return {
        "requests": len(rows),
        "field_accuracy": round(sum(per_field.values()) / total, 4) if total else 0.0,
        "per_field": {k: round(v / len(rows), 3) for k, v in per_field.items()},
    }


async def _run(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[float], str]:
    drafts, latencies, sources = [], [], set()
    for row in rows:
        started = time.perf_counter()
        result = await booking.parse_order(row["text"], now=REFERENCE_NOW)
        latencies.append((time.perf_counter() - started) * 1000)
        drafts.append(result.draft)
        sources.add(result.source)
    return drafts, latencies, "+".join(sorted(sources))


def _percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(with_groq: bool) -> dict[str, Any]:
    client = get_client()
    report: dict[str, Any] = {"reference_now": REFERENCE_NOW.isoformat(), "paths": {}}
    paths = ["offline"] + (["groq"] if with_groq and client.configured else [])
    for path in paths:
        saved_key = client.settings.groq_api_key
        if path == "offline":
            client.settings.groq_api_key = None  # the same service, forced onto its offline path
        try:
            for name, file in SETS.items():
                rows = load(file)
                drafts, latencies, sources = asyncio.run(_run(rows))
                result = score(rows, drafts)
                result["baseline_empty_draft"] = score(rows, [{} for _ in rows])["field_accuracy"]
                result["source"] = sources
                result["p50_ms"] = round(_percentile(latencies, 50), 2)
                result["p95_ms"] = round(_percentile(latencies, 95), 2)
                report["paths"].setdefault(path, {})[name] = result
        finally:
            client.settings.groq_api_key = saved_key
    if not (with_groq and client.configured):
        report["groq"] = "skipped: GROQ_API_KEY is not set"
    return report


QUESTIONS = ("Which deliveries are late and why?", "KPIs for today", "unassigned shipments")


async def _loop_lag(seconds: float, busy: bool, email: str) -> tuple[list[float], float]:
    """Lateness (ms) of a 5 ms ticker on the event loop, idle or while the copilot answers,
    and this process's CPU ms per answer (all its threads; not the tool processes). On a loaded
    machine the ticker also measures the neighbours; the CPU per answer does not."""
    from sqlmodel import select

    from logistics_ai.ai import copilot
    from logistics_ai.db import session_scope
    from logistics_ai.models import User
    from logistics_ai.services.users import actor_for

    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        actor = actor_for(session, user)
    lags: list[float] = []
    stop = time.perf_counter() + seconds

    async def ticker() -> None:
        while time.perf_counter() < stop:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append((time.perf_counter() - before - 0.005) * 1000)

    answers = 0

    async def ask_forever() -> None:
        nonlocal answers
        while time.perf_counter() < stop:
            async for _ in copilot.answer(actor, QUESTIONS[answers % len(QUESTIONS)]):
                pass
            answers += 1

    if busy:  # one answer first: imports, connections and the tool processes start outside
        async for _ in copilot.answer(actor, QUESTIONS[0]):
            pass
        stop = time.perf_counter() + seconds
    cpu = time.process_time()
    await asyncio.gather(ticker(), *([ask_forever()] if busy else []))
    cpu_ms = (time.process_time() - cpu) * 1000
    return lags, cpu_ms / answers if answers else 0.0


def loop_report(seconds: float, email: str) -> dict[str, Any]:
    from logistics_ai.ai import offload
    from logistics_ai.settings import get_settings

    idle, _ = asyncio.run(_loop_lag(seconds, False, email))
    busy, cpu_per_answer = asyncio.run(_loop_lag(seconds, True, email))
    offload.shutdown()
    return {
        "tool_calls_in": (
            f"{get_settings().ai_process_workers} process(es)"
            if offload._usable(get_settings())
            else "threads"
        ),
        "web_process_cpu_ms_per_answer": round(cpu_per_answer, 1),
        "idle_p95_ms": round(_percentile(idle, 95), 2),
        "copilot_p95_ms": round(_percentile(busy, 95), 2),
        "idle_p50_ms": round(_percentile(idle, 50), 2),
        "copilot_p50_ms": round(_percentile(busy, 50), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logistics_ai bench ai")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--offline-only", action="store_true", help="skip Groq even with a key")
    parser.add_argument(
        "--loop",
        action="store_true",
        help="also measure event-loop lag while the copilot answers (needs a seeded database)",
    )
    parser.add_argument("--as", dest="email", default="dispatcher@example.com")
    args = parser.parse_args(argv)
    report = run(with_groq=not args.offline_only)
    if args.loop:
        report["event_loop"] = loop_report(10.0, args.email)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"plain-words booking, relative dates from {report['reference_now']}")
    for path, sets in report["paths"].items():
        for name, r in sets.items():
            print(
                f"{path:8} {name:9} {r['requests']:3} requests  field accuracy "
                f"{r['field_accuracy']:.1%} (empty-draft baseline {r['baseline_empty_draft']:.1%}, "
                f"x{r['field_accuracy'] / max(r['baseline_empty_draft'], 1e-9):.2f})  "
                f"p50 {r['p50_ms']:.1f} ms  p95 {r['p95_ms']:.1f} ms  [{r['source']}]"
            )
            worst = sorted(r["per_field"].items(), key=lambda kv: kv[1])[:3]
            print("         weakest fields: " + ", ".join(f"{k} {v:.0%}" for k, v in worst))
    if "groq" in report:
        print(f"groq     {report['groq']}")
    if "event_loop" in report:
        lag = report["event_loop"]
        print(
            f"event loop lag (5 ms ticker, 10 s each): idle p50 {lag['idle_p50_ms']} ms "
            f"p95 {lag['idle_p95_ms']} ms; copilot answering p50 {lag['copilot_p50_ms']} ms "
            f"p95 {lag['copilot_p95_ms']} ms; tool calls in {lag['tool_calls_in']}, "
            f"web-process CPU {lag['web_process_cpu_ms_per_answer']} ms per answer"
        )
    return 0
