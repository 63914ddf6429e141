"""Session-wide real services. Settings are read from the environment, so fixtures set it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.support import services

# Tests never read a developer's local configuration or data.
os.environ.setdefault("APP_ENV", "dev")
os.environ.setdefault("SEED_DEMO", "false")
# Without one, dev would generate and keep a secret in the project's data/ folder.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))


@pytest.fixture(scope="session")
def postgres() -> Iterator[services.PostgresServer]:
    with services.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"lai-test-{secrets.token_hex(4)}:"
    yield prefix
    services.delete_prefix(redis_url, prefix)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last.

    pytest-playwright's sync API keeps an event loop running in the main thread for the rest of
    the session once a browser test has run, so any later test that calls `asyncio.run` (the
    AI client, the middleware and chaos tests do) would fail with "cannot be called from a
    running event loop". A stable sort keeps every other test in collection order.
    """
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid.replace("\\", "/"))
