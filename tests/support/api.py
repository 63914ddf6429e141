"""An HTTP client for the real API app (FastAPI over real PostgreSQL and Redis)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from logistics_ai.api.app import create_api
from tests.support.world import PASSWORD


def client() -> TestClient:
    return TestClient(create_api(), raise_server_exceptions=False)


def login(http: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = http.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
