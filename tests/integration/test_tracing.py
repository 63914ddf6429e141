"""Traces over OTLP to a local receiver: HTTP route -> SQL and Redis spans in one trace.

The tracer provider is process-global in OpenTelemetry, so the traced app runs in its own
Python process (the real API app and the real exporter) against the test's database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.support.otlp import otlp_receiver
from tests.support.world import PASSWORD, World

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from fastapi.testclient import TestClient
    from logistics_ai.api.app import create_api
    from logistics_ai.observability import tracing

    client = TestClient(create_api())
    token = client.post(
        "/api/v1/auth/token", json={"email": sys.argv[1], "password": sys.argv[2]}
    ).json()["access_token"]
    response = client.get(
        "/api/v1/shipments",
        headers={
            "Authorization": "Bearer " + token,
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
    )
    tracing.shutdown()
    request_id = response.headers["x-request-id"]
    print(json.dumps({"status": response.status_code, "request_id": request_id}))
    """
)


def test_http_sql_and_redis_spans_reach_the_otlp_receiver(world: World, pg_url: str) -> None:
    with otlp_receiver() as receiver:
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_SERVICE_NAME": "lai-trace-test",
        }
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, "alice@test.example.com", PASSWORD],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert result["status"] == 200
        spans = list(receiver.spans)
    assert {span.service for span in spans} == {"lai-trace-test"}
    # The caller's trace context (W3C traceparent) is continued, and the route names the span.
    list_span = next(s for s in spans if s.name == "GET /api/v1/shipments")
    assert list_span.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert list_span.attributes["http.route"] == "/api/v1/shipments"
    assert list_span.attributes["lai.request_id"] == result["request_id"]
    in_trace = [s for s in spans if s.trace_id == list_span.trace_id]
    sql = [s for s in in_trace if s.attributes.get("db.system") == "postgresql"]
    redis_spans = [s for s in in_trace if s.attributes.get("db.system") == "redis"]
    assert sql, [s.name for s in in_trace]
    assert redis_spans, [s.name for s in in_trace]  # the rate limit window and revocation
    login = next(s for s in spans if s.name == "POST /api/v1/auth/token")
    assert login.trace_id != list_span.trace_id
    assert any(s.trace_id == login.trace_id and s.attributes.get("db.system") for s in spans)
