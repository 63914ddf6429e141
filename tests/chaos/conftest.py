"""One HA data tier per chaos session (native processes, see stack.py), the app on top."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from logistics_ai import migrate
from logistics_ai.db import session_scope
from tests.chaos.figures import figure, pytest_terminal_summary  # noqa: F401 (hook)
from tests.chaos.stack import Stack, new_stack
from tests.support import app_config
from tests.support.world import World, build_world


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    started = time.monotonic()
    ha = new_stack()
    try:
        ha.start_etcd()
        ha.start_postgres()
        ha.start_haproxy()
        ha.create_app_database()
        ha.start_pgbouncer()
        created = ha.pgbackrest("stanza-create")
        assert created.returncode == 0, created.stdout + created.stderr
        ha.start_redis()
    except BaseException:
        print(ha.logs())
        ha.stop()
        raise
    figure("HA stack start-up", f"{time.monotonic() - started:.1f} s")
    try:
        yield ha
    finally:
        ha.stop()


@pytest.fixture(scope="package")
def ha_world(stack: Stack) -> Iterator[World]:
    """Migrations (straight to the leader through HAProxy) and the test users, via PgBouncer."""
    migrate.upgrade(stack.app_database_url(direct=True))
    with app_config.configured(
        database_url=stack.app_database_url(),
        db_pgbouncer="true",
        **{k.lower(): v for k, v in stack.redis_env("lai-chaos:").items()},
    ):
        with session_scope() as session:
            world = build_world(session)
        yield world
