"""One closed-loop Locust run for `bench api` (a subprocess, so gevent patches only itself).

  python -m loadtests.api_bench_load CASE_JSON

CASE_JSON: {"url", "users", "warmup_s", "duration_s", "tasks": [{"name", "method", "path",
"paths"?, "headers", "json"?, "weight"}]}. Prints one JSON line per task name: requests,
failures, req/s, p50/p95/p99 (ms). FastHttpUser, no think time: each user sends its next
request as soon as the previous answer arrives. It also prints `MEASURE start` and
`MEASURE end` around the measured window (after the warm-up), so the caller can read the
servers' CPU time over exactly the requests counted.
"""

from __future__ import annotations

import json
import random
import sys

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment


def run(case: dict) -> list[dict]:
    tasks = case["tasks"]

    class BenchUser(FastHttpUser):
        host = case["url"]
        wait_time = constant(0)
        connection_timeout = 30.0
        network_timeout = 30.0

        @task
        def one(self) -> None:
            spec = random.choices(tasks, weights=[t.get("weight", 1) for t in tasks])[0]
            path = random.choice(spec["paths"]) if spec.get("paths") else spec["path"]
            with self.client.request(
                spec["method"],
                path,
                name=spec["name"],
                headers=spec.get("headers") or {},
                json=spec.get("json"),
                catch_response=True,
            ) as response:
                if not 200 <= response.status_code < 300:
                    response.failure(f"HTTP {response.status_code}")

    env = Environment(user_classes=[BenchUser])
    runner = env.create_local_runner()
    runner.start(case["users"], spawn_rate=case["users"])
    gevent.sleep(case["warmup_s"])
    env.stats.reset_all()
    print("MEASURE start", flush=True)
    gevent.sleep(case["duration_s"])
    print("MEASURE end", flush=True)
    runner.stop()
    rows = []
    for spec_name in dict.fromkeys(t["name"] for t in tasks):
        entry = env.stats.get(spec_name, tasks[0]["method"])
        for t in tasks:
            if t["name"] == spec_name:
                entry = env.stats.get(spec_name, t["method"])
        rows.append(
            {
                "name": spec_name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": entry.num_requests / case["duration_s"],
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
                "errors": sorted({str(e.error) for e in env.stats.errors.values()})[:3],
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(json.loads(sys.argv[1])):
        print(json.dumps(row))
