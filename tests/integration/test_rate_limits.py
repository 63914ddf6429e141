"""Rate limits per API key and per anonymous client, and whose address counts as the client's.

Small limits are set for each test so the windows fill in a handful of real requests
against the real Redis; the first refusal must be a 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from logistics_ai.db import session_scope
from logistics_ai.services import api_keys, shipments
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World, booking

LIMIT = 3


@pytest.fixture
def small_limits(world: World) -> Iterator[World]:
    with app_config.configured(rate_limit_api_per_principal=str(LIMIT)):
        yield world


def _key(world: World, name: str) -> str:
    with session_scope() as s:
        created = api_keys.create(
            s,
            world.admin,
            {"name": name, "scopes": ["shipments:read"], "owner_user_id": world.alice.user_id},
        )
        return created.secret


def _tracking_code(world: World) -> str:
    with session_scope() as s:
        return shipments.create_shipment(s, world.alice, booking()).tracking_code


def test_each_api_key_has_its_own_window(small_limits: World) -> None:
    http = client()
    first, second = _key(small_limits, "shop"), _key(small_limits, "warehouse")
    codes = [
        http.get("/api/v1/shipments", headers={"X-API-Key": first}).status_code
        for _ in range(LIMIT + 1)
    ]
    assert codes == [200] * LIMIT + [429]
    refused = http.get("/api/v1/shipments", headers={"X-API-Key": first})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    # Another key of the same owner, and the owner's own sign-in, are counted apart.
    assert http.get("/api/v1/shipments", headers={"X-API-Key": second}).status_code == 200
    token = login(http, "alice@test.example.com")["access_token"]
    assert http.get("/api/v1/shipments", headers=bearer(token)).status_code == 200


def test_anonymous_tracking_is_limited_per_client_address(small_limits: World) -> None:
    code = _tracking_code(small_limits)
    http = client()
    url = f"/api/v1/track/{code}"
    assert [http.get(url).status_code for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
    # Without trusted proxies a forged X-Forwarded-For is ignored: still the same client.
    forged = http.get(url, headers={"X-Forwarded-For": "203.0.113.9"})
    assert forged.status_code == 429


def test_behind_one_trusted_proxy_the_last_hop_is_the_client(world: World) -> None:
    code = _tracking_code(world)
    url = f"/api/v1/track/{code}"
    with app_config.configured(rate_limit_api_per_principal=str(LIMIT), trusted_proxy_hops="1"):
        http = client()
        # The proxy appends the address it saw; anything before it came from the client.
        alice = {"X-Forwarded-For": "198.51.100.7"}
        statuses = [http.get(url, headers=alice).status_code for _ in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
        # A client cannot escape its window by prepending made-up addresses...
        spoofed = {"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}
        assert http.get(url, headers=spoofed).status_code == 429
        # ...while another real client, seen by the proxy, has its own window.
        assert http.get(url, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200


def test_behind_two_trusted_proxies_the_second_to_last_hop_is_the_client(world: World) -> None:
    code = _tracking_code(world)
    url = f"/api/v1/track/{code}"
    with app_config.configured(rate_limit_api_per_principal=str(LIMIT), trusted_proxy_hops="2"):
        http = client()
        # CDN then nginx: "client, cdn-edge"; the app's socket peer is nginx.
        edges = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
        statuses = [
            http.get(url, headers={"X-Forwarded-For": f"198.51.100.20, {edge}"}).status_code
            for edge in edges
        ]
        assert statuses == [200] * LIMIT + [429]  # one client through several edges
        other = {"X-Forwarded-For": "198.51.100.21, 192.0.2.1"}
        assert http.get(url, headers=other).status_code == 200
