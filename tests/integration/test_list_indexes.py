"""Every list the UI and API page through is read in index order: no page sorts its table.

The queries are the services' own (captured as they run), explained on PostgreSQL with
sorting and sequential scans priced out, so the plan can only avoid a Sort node when an
index already yields the order. An index that is missing or in the wrong order fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from logistics_ai.db import get_engine
from logistics_ai.services import audit_log, shipments
from tests.support.world import World


@contextmanager
def captured_selects(table: str) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT ... ORDER BY statements (with their parameters) issued on `table`."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        select = statement.lstrip().upper().startswith("SELECT")
        if select and "ORDER BY" in statement and f"FROM {table}" in statement:
            seen.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def plan_of(statement: str, parameters: Any) -> str:
    with get_engine().connect() as connection:
        connection.exec_driver_sql("SET enable_sort = off")
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        connection.rollback()
    return "\n".join(row[0] for row in rows)


def assert_index_ordered(table: str, run: Callable[[Session], object]) -> None:
    with captured_selects(table) as seen, Session(get_engine()) as session:
        run(session)
    assert seen, f"no ordered SELECT on {table} was issued"
    for statement, parameters in seen:
        plan = plan_of(statement, parameters)
        assert "Sort" not in plan, f"{table} list sorts instead of reading an index:\n{plan}"
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index" in plan, plan


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("dispatcher", {}),  # the dispatch board: everything, newest first
        ("dispatcher", {"status": "requested"}),
        ("alice", {}),  # a customer's own
        ("dave", {}),  # a driver's own
    ],
)
def test_shipment_lists_read_an_index(world: World, who: str, filters: dict[str, str]) -> None:
    actor = getattr(world, who)
    assert_index_ordered(
        "shipments", lambda session: shipments.list_shipments(session, actor, filters)
    )


def test_audit_log_reads_an_index(world: World) -> None:
    assert_index_ordered(
        "audit_events", lambda session: audit_log.list_events(session, world.admin, {})
    )
