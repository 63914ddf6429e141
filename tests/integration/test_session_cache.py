"""The API's session check answered from a worker's memory (security/session_cache.py).

Against the real Redis: sign-outs reach a worker's memory through the event bus at once (here
from another process), a change whose message is lost holds at most AUTH_CACHE_SECONDS, a bus
subscription that comes back after a gap forgets everything, and the rate limit stays exact
within one worker while its counts still reach the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict

import redis
from fastapi.testclient import TestClient

from logistics_ai.security import refresh, tokens
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World

DISPATCHER = "dispatch@test.example.com"
LIST = "/api/v1/shipments"


def _eventually(condition: Callable[[], bool], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _session_id(token: str) -> str:
    return tokens.verify(token).session_id


def _checked_then_revoked_without_a_message(
    redis_url: str, redis_prefix: str
) -> tuple[TestClient, str]:
    """A signed-in client whose token's session check this worker holds, and whose session
    was then revoked in Redis behind the app's back (no bus message)."""
    http = client()
    token = login(http, DISPATCHER)["access_token"]
    assert http.get(LIST, headers=bearer(token)).status_code == 200
    record = refresh.load(_session_id(token))
    assert record is not None
    record.revoked = True
    raw = redis.Redis.from_url(redis_url)
    key = f"{redis_prefix}session:{record.session_id}"
    raw.set(key, json.dumps(asdict(record)), keepttl=True)
    return http, token


def test_a_sign_out_in_another_worker_reaches_this_workers_memory_at_once(
    world: World,
) -> None:
    with app_config.configured(auth_cache_seconds="60"):
        http = client()
        token = login(http, DISPATCHER)["access_token"]
        assert http.get(LIST, headers=bearer(token)).status_code == 200  # now held in memory
        assert http.get(LIST, headers=bearer(token)).status_code == 200
        # Another process (a second worker) revokes the session through the same code path.
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from logistics_ai.security import refresh; "
                "refresh.revoke(refresh.load(sys.argv[1]))",
                _session_id(token),
            ],
            check=True,
            env=os.environ.copy(),
            timeout=60,
        )
        # Well within the 60 s the answer could otherwise be kept.
        assert _eventually(lambda: http.get(LIST, headers=bearer(token)).status_code == 401, 5)


def test_a_change_whose_message_is_lost_holds_at_most_auth_cache_seconds(
    world: World, redis_url: str, redis_prefix: str
) -> None:
    with app_config.configured(auth_cache_seconds="1"):
        http, token = _checked_then_revoked_without_a_message(redis_url, redis_prefix)
        # (That the answer is still served meanwhile is the next test's first step.)
        time.sleep(1.1)
        assert http.get(LIST, headers=bearer(token)).status_code == 401


def test_a_bus_subscription_back_after_a_gap_forgets_every_answer(
    world: World, redis_url: str, redis_prefix: str
) -> None:
    with app_config.configured(auth_cache_seconds="60"):
        http, token = _checked_then_revoked_without_a_message(redis_url, redis_prefix)
        assert http.get(LIST, headers=bearer(token)).status_code == 200  # the message was lost
        # The bus's own pub/sub connections (named after the prefix) drop, as in a failover.
        raw = redis.Redis.from_url(redis_url, decode_responses=True)
        name = f"{redis_prefix}bus"
        ours = [c["id"] for c in raw.client_list(_type="pubsub") if c["name"] == name]
        assert ours
        for client_id in ours:
            raw.client_kill_filter(_id=client_id)
        assert _eventually(lambda: http.get(LIST, headers=bearer(token)).status_code == 401, 10)


def test_the_rate_limit_is_exact_across_a_callers_tokens_in_one_worker(world: World) -> None:
    with app_config.configured(auth_cache_seconds="60", rate_limit_api_per_principal="3"):
        http = client()
        first = login(http, DISPATCHER)["access_token"]
        second = login(http, DISPATCHER)["access_token"]
        codes = [
            http.get(LIST, headers=bearer(token)).status_code
            for token in (first, second, first, second)
        ]
        assert codes == [200, 200, 200, 429]


def test_requests_counted_in_memory_reach_the_store_with_the_next_round_trip(
    world: World, redis_url: str, redis_prefix: str
) -> None:
    with app_config.configured(auth_cache_seconds="60", rate_limit_api_window_seconds="60"):
        http = client()
        first = login(http, DISPATCHER)["access_token"]
        for _ in range(3):  # one round trip, then two answers from memory
            assert http.get(LIST, headers=bearer(first)).status_code == 200
        second = login(http, DISPATCHER)["access_token"]
        assert http.get(LIST, headers=bearer(second)).status_code == 200  # a round trip
        user_id = tokens.verify(first).user_id
        raw = redis.Redis.from_url(redis_url, decode_responses=True)
        window = int(time.time() // 60)
        counted = sum(
            int(raw.get(f"{redis_prefix}rl:api:user:{user_id}:{index}") or 0)
            for index in (window, window - 1)
        )
        assert counted == 4
