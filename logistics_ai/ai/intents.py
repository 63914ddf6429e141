"""The copilot's offline path: intent matching for the common questions, answered with the
same permission-checked (and audited) tools the model uses. Deterministic, no model."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any, Protocol

from logistics_ai.ai.offload import call_tool
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.models import ShipmentStatus

Event = dict[str, Any]
CODE = re.compile(r"\bLA[0-9A-Z]{12}\b", re.IGNORECASE)
SHIPMENT_NO = re.compile(r"\bshipment\s*#?\s*(\d{1,9})\b", re.IGNORECASE)
DRIVER_NO = re.compile(r"\bdriver\s*#?\s*(\d{1,9})\b", re.IGNORECASE)
MAX_CARDS = 3
MAX_TRIES = 6  # cheapest-insertion look-ups per answer (each one builds the day's problem)
LIST_WORDS = re.compile(r"\b(shipments?|deliveries|orders|unassigned|failed|delivered|cancelled)\b")
HELP = (
    "I can answer: which deliveries are late and why; KPIs for today or yesterday; a "
    'driver\'s route and load ("route of driver 3"); who can take a shipment ("best driver '
    'for LA..."); what the last plan did; and list shipments ("unassigned shipments", '
    '"failed deliveries"). I can also propose to cancel, notify, swap stops or re-plan for '
    "you to confirm."
)


class ConversationLike(Protocol):
    id: str
    history: list[dict[str, str]]


def _day(text: str) -> date:
    today = clock.today_local()
    if "yesterday" in text:
        return today - timedelta(days=1)
    if "tomorrow" in text:
        return today + timedelta(days=1)
    found = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", text)
    return date.fromisoformat(found.group(1)) if found else today


def _target(text: str) -> dict[str, Any]:
    code = CODE.search(text)
    if code:
        return {"tracking_code": code.group(0).upper()}
    number = SHIPMENT_NO.search(text)
    return {"shipment_id": int(number.group(1))} if number else {}


class Reply:
    """Collects the events of one offline answer."""

    def __init__(self, actor: Actor, conversation: ConversationLike) -> None:
        self.actor, self.conversation = actor, conversation
        self.events: list[Event] = []
        self.lines: list[str] = []

    async def tool(self, name: str, **args: Any) -> dict[str, Any]:
        result = await call_tool(
            self.actor, self.conversation.id, name, json.dumps(args, default=str)
        )
        self.events.append({"type": "tool", "name": name, "ok": "error" not in result})
        if "proposal" in result:
            self.events.append({"type": "card", "card": result["proposal"]})
        return result

    def say(self, line: str) -> None:
        self.lines.append(line)


async def _late(r: Reply, text: str) -> None:
    result = await r.tool("late_risk_stops", day=_day(text).isoformat())
    if "error" in result:
        r.say(result["error"])
        return
    risks = result["late_risk_stops"]
    if not risks:
        r.say("No open stop is at risk of being late right now.")
        return
    r.say(f"{result['total']} stop(s) at risk of being late:")
    for risk in risks[:10]:
        r.say("- " + risk["line"])
    cards = 0
    reassign = result["savable_by_reassignment"]  # window still open, longest first
    notify = [x for x in risks if x["fix"] == "notify"]
    seen: set[int] = set()  # shipments with a card: one fix each
    tried: set[int] = set()  # best-driver look-ups made (each builds the day's problem)
    for risk in reassign:  # moving work to a driver with room first, then telling customers
        if cards >= MAX_CARDS or len(tried) >= MAX_TRIES or risk["shipment_id"] in tried:
            continue
        tried.add(risk["shipment_id"])
        best = await r.tool("best_driver", shipment_id=risk["shipment_id"])
        if "error" in best:
            continue
        if best["same_as_current"]:
            r.say(f"{risk['tracking_code']}: no other driver can take it more cheaply.")
            continue
        proposed = await r.tool(
            "propose_action",
            action="reassign",
            shipment_id=risk["shipment_id"],
            driver_id=best["best_driver_id"],
            reason=risk["line"][:200],
        )
        if "proposal" in proposed:
            cards += 1
            seen.add(risk["shipment_id"])
    # Work nobody else can take falls through to the next fix: a reorder on the same driver's
    # route, then telling the customer.
    for risk in [x for x in risks if x["fix"] == "swap"]:
        if cards >= MAX_CARDS or risk["shipment_id"] in seen:
            continue
        seen.add(risk["shipment_id"])
        proposed = await r.tool("propose_action", action="swap", shipment_id=risk["shipment_id"])
        cards += "proposal" in proposed
    for risk in notify:
        if cards >= MAX_CARDS or risk["shipment_id"] in seen:
            continue
        seen.add(risk["shipment_id"])
        proposed = await r.tool("propose_action", action="notify", shipment_id=risk["shipment_id"])
        cards += "proposal" in proposed
    if cards:
        r.say("I proposed the fixes as cards below; nothing changes until you confirm one.")


async def _kpis(r: Reply, text: str) -> None:
    k = await r.tool("day_kpis", day=_day(text).isoformat())
    if "error" in k:
        r.say(k["error"])
        return
    rate = "no deliveries" if k["on_time_rate"] is None else f"{k['on_time_rate']:.0%} on time"
    failures = ", ".join(f"{n} {why}" for why, n in k["failures_by_reason"].items()) or "none"
    r.say(
        f"{k['day']}: {k['shipments']} shipments, {k['delivered']} delivered ({rate}), "
        f"failures: {failures}; {k['unassigned_open']} not on a route, "
        f"{k['late_risk_open']} stops at risk of being late."
    )


async def _route(r: Reply, text: str) -> None:
    number = DRIVER_NO.search(text)
    driver_id = int(number.group(1)) if number else r.actor.driver_id
    if driver_id is None:
        r.say('Which driver? Say for example "route of driver 3".')
        return
    route = await r.tool("driver_route", driver_id=driver_id, day=_day(text).isoformat())
    if "error" in route:
        r.say(route["error"])
        return
    r.say(
        f"Driver {driver_id} on {route['day']}: {len(route['stops'])} stops, planned load "
        f"{route['planned_load_kg']} kg of {route['capacity_kg'] or '?'} kg."
    )
    for stop in route["stops"][:15]:
        flag = " LATE RISK" if stop["late_risk"] else ""
        r.say(
            f"{stop['sequence']}. {stop['kind']} {stop['tracking_code']} {stop['window']} "
            f"ETA {stop['eta'] or '-'} ({stop['status']}){flag}"
        )


async def _best(r: Reply, text: str) -> None:
    target = _target(text)
    if not target:
        r.say('Which shipment? Give its tracking code, e.g. "best driver for LA...".')
        return
    best = await r.tool("best_driver", **target)
    if "error" in best:
        r.say(best["error"])
        return
    if best["same_as_current"]:
        r.say(f"{best['tracking_code']} is already with the cheapest driver.")
        return
    how = (
        f"+{best['added_distance_m'] / 1000:.1f} km"
        if best["method"] == "cheapest_insertion"
        else f"delivers by {best['dropoff_eta']}"
    )
    r.say(f"Best driver for {best['tracking_code']}: {best['best_driver']} ({how}).")
    action = "reassign" if best["current_driver_id"] else "assign"
    await r.tool(
        "propose_action",
        action=action,
        shipment_id=best["shipment_id"],
        driver_id=best["best_driver_id"],
    )


async def _plan(r: Reply, text: str) -> None:
    plan = await r.tool("explain_plan", day=_day(text).isoformat())
    if "error" in plan:
        r.say(plan["error"])
        return
    applied = plan["applied_plan"]
    if applied is None:
        r.say(f"No plan was applied for {plan['day']}.")
    else:
        r.say(
            f"Plan applied {applied['applied_at'][:16]} by {applied['applied_by']}: "
            f"{applied.get('routes', '?')} routes, {applied.get('newly_assigned', 0)} newly "
            f"assigned, {applied.get('reassigned', 0)} reassigned, "
            f"{applied.get('unassigned', 0)} left unassigned."
        )
    r.say(plan["how_plans_are_made"])


async def _propose(r: Reply, text: str, action: str) -> None:
    target = {} if action == "replan" else _target(text)
    if action != "replan" and not target:
        r.say(f"Which shipment should I {action}? Give its tracking code.")
        return
    extra = {"day": _day(text).isoformat()} if action == "replan" else {}
    result = await r.tool("propose_action", action=action, **target, **extra)
    r.say(result.get("error", "Confirm the card below to go ahead."))


async def _list(r: Reply, text: str) -> None:
    status = next(
        (s for s in ShipmentStatus if re.search(rf"\b{s.value.replace('_', ' ')}\b", text)), None
    )
    args: dict[str, Any] = {"unassigned_only": "unassigned" in text, "limit": 10}
    if status is not None:
        args["status"] = status.value
    code = CODE.search(text)
    if code:
        args["search"] = code.group(0).upper()
    if re.search(r"\b(today|yesterday|tomorrow|\d{4}-\d{2}-\d{2})\b", text):
        args["day"] = _day(text).isoformat()
    result = await r.tool("list_shipments", **args)
    if "error" in result:
        r.say(result["error"])
        return
    r.say(f"{result['total']} shipment(s); the latest {len(result['shipments'])}:")
    for s in result["shipments"]:
        r.say(f"- {s['tracking_code']} {s['status']} {s['service_date']} {s['dropoff_window']}")


async def answer(
    actor: Actor, conversation: ConversationLike, message: str
) -> AsyncIterator[Event]:
    text = message.lower()
    r = Reply(actor, conversation)
    if re.search(r"\b(late|delay\w*|behind|at risk)\b", text):
        await _late(r, text)
    elif re.search(r"\b(kpis?|on[- ]time|stats|numbers|summary|briefing|how did)\b", text):
        await _kpis(r, text)
    elif re.search(r"\b(best driver|who can take|who should take)\b", text):
        await _best(r, message)
    elif re.search(r"\bcancel\b", text):
        await _propose(r, message, "cancel")
    elif re.search(r"\b(swap|reorder|move .* ahead)\b", text):
        await _propose(r, message, "swap")
    elif re.search(r"\b(notify|tell the customer)\b", text):
        await _propose(r, message, "notify")
    elif re.search(r"\b(re-?plan|re-?optimi[sz]e)\b", text):
        await _propose(r, message, "replan")
    elif re.search(r"\b(route|load)\b", text):
        await _route(r, text)
    elif re.search(r"\bplan\b", text):
        await _plan(r, text)
    elif re.search(
        r"\b(shipments?|deliveries|orders|unassigned|failed|delivered|cancelled)\b", text
    ):
        await _list(r, text)
    else:
        r.say(HELP)
    reply = "\n".join(r.lines)
    for event in r.events:
        yield event
    yield {"type": "text", "text": reply}
    conversation.history += [
        {"role": "user", "content": message},
        {"role": "assistant", "content": reply[:2000]},
    ]
