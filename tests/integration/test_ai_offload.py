"""The copilot's tool calls run in child processes (logistics_ai/ai/offload.py), against the
same PostgreSQL and Redis, with the same results and audit rows as in a thread."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from logistics_ai.ai import offload
from logistics_ai.ai.tools import run_tool
from logistics_ai.db import session_scope
from logistics_ai.models import AuditEvent
from logistics_ai.services import shipments
from tests.support import app_config
from tests.support.world import World, booking


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    offload.shutdown()
    yield
    offload.shutdown()


def _children() -> set[int]:
    pool = offload._current()
    assert pool is not None
    return set(pool._processes)  # type: ignore[attr-defined]


def _ask(world: World, name: str, **args: object) -> dict[str, object]:
    return asyncio.run(
        offload.call_tool(world.dispatcher, "conv-offload", name, json.dumps(args, default=str))
    )


def test_tool_calls_run_in_a_child_process_with_the_same_result(
    world: World, session: Session
) -> None:
    with session_scope() as s:
        code = shipments.create_shipment(s, world.alice, booking()).tracking_code
    args = json.dumps({"search": code, "limit": 5})
    in_thread = run_tool(world.dispatcher, "conv-offload", "list_shipments", args)
    assert offload.uses_processes()
    in_child = _ask(world, "list_shipments", search=code, limit=5)
    assert in_child == in_thread and in_child["total"] == 1
    children = _children()
    assert children and os.getpid() not in children
    # The child wrote its audit row to the same database, as this user, for this conversation.
    calls = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_id == "conv-offload")
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.actor_user_id) for e in calls] == [
        ("ai.tool_call", world.dispatcher.user_id),
        ("ai.tool_call", world.dispatcher.user_id),
    ]


def test_refusals_are_the_same_in_a_child(world: World) -> None:
    refused = asyncio.run(
        offload.call_tool(world.alice, "conv-offload", "best_driver", '{"shipment_id": 1}')
    )
    assert refused == {"error": "The tool 'best_driver' is not available to this user."}


def test_without_a_shared_store_or_with_zero_workers_tools_stay_in_threads(world: World) -> None:
    with app_config.configured(ai_process_workers="0"):
        assert not offload.uses_processes()
        assert "shipments" in _ask(world, "list_shipments", limit=1)
    with app_config.configured(redis_url=""):
        # In-memory store and bus: a proposal made in a child would be invisible here.
        assert not offload.uses_processes()


def test_a_child_that_dies_fails_one_call_and_the_next_gets_a_new_pool(world: World) -> None:
    assert "shipments" in _ask(world, "list_shipments", limit=1)
    (victim,) = _children()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    answer = _ask(world, "list_shipments", limit=1)
    while "shipments" in answer and time.monotonic() < deadline:  # the pool notices the death
        time.sleep(0.1)
        answer = _ask(world, "list_shipments", limit=1)
    assert answer == {"error": "That lookup failed; please ask again."}
    assert "shipments" in _ask(world, "list_shipments", limit=1)
    assert victim not in _children()


def test_shutdown_stops_the_children(world: World) -> None:
    assert "shipments" in _ask(world, "list_shipments", limit=1)
    children = _children()
    offload.shutdown()
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
