"""A serving process freezes its start-up objects out of the garbage collector's sight."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from logistics_ai.api.app import create_api


def test_the_api_freezes_what_it_built_at_start_up(app_services: None) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    api = create_api()
    assert gc.get_freeze_count() == 0  # building the app is not starting it
    try:
        with TestClient(api) as http:  # runs the lifespan, as granian does per worker
            frozen = gc.get_freeze_count()
            # The app itself and everything imported so far: tens of thousands of objects.
            assert frozen > 10_000
            assert http.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
