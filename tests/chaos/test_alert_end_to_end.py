"""An alert end to end, with the shipped rules and routes: the outbox really backs up, the
app's /metrics shows it, Prometheus fires OutboxBacklog, Alertmanager routes it (warning,
service=notifications -> ops-ticket) and delivers it to a local webhook receiver."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
import yaml

from tests.chaos.conftest import figure
from tests.chaos.stack import ROOT, Stack, wait_for
from tests.support.services import free_port
from tests.support.world import World

MONITORING = ROOT / "deploy" / "monitoring"
BOUND_S = 90


def _receiver() -> tuple[ThreadingHTTPServer, list[tuple[str, dict[str, Any]]]]:
    received: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            received.append((self.path, json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def _test_configs(stack: Stack, app_port: int, am_port: int, hook: str) -> Any:
    home = stack.root / "monitoring"
    (home / "rules").mkdir(parents=True)
    # The shipped rules, with `for:` shortened so the test is bounded; expressions unchanged.
    for path in (MONITORING / "prometheus" / "rules").glob("*.yml"):
        rules = yaml.safe_load(path.read_text())
        for group in rules["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = "2s"
        (home / "rules" / path.name).write_text(yaml.safe_dump(rules))
    prometheus = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    prometheus["global"].update(scrape_interval="1s", evaluation_interval="1s")
    prometheus["rule_files"] = [str(home / "rules" / "*.yml")]
    prometheus["alerting"]["alertmanagers"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{am_port}"]}
    ]
    app_job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "app")
    app_job["static_configs"] = [{"targets": [f"127.0.0.1:{app_port}"]}]
    prometheus["scrape_configs"] = [app_job]
    (home / "prometheus.yml").write_text(yaml.safe_dump(prometheus))
    # The shipped routes, with every webhook pointed at the local receiver (path kept).
    alertmanager = yaml.safe_load((MONITORING / "alertmanager" / "alertmanager.yml").read_text())
    alertmanager["route"]["group_wait"] = "1s"
    for route in alertmanager["route"]["routes"]:
        route["group_wait"] = "1s"
    for receiver in alertmanager["receivers"]:
        for hook_config in receiver["webhook_configs"]:
            path = hook_config["url"].split("9095", 1)[1]
            hook_config["url"] = hook + path
    (home / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager))
    return home


def test_outbox_backlog_alert_reaches_the_webhook(stack: Stack, ha_world: World) -> None:
    _app, app_port = stack.start_app("app-metrics")
    server, received = _receiver()
    hook = f"http://127.0.0.1:{server.server_address[1]}"
    am_port, prom_port = free_port(), free_port()
    home = _test_configs(stack, app_port, am_port, hook)
    subprocess.run(["promtool", "check", "config", str(home / "prometheus.yml")], check=True)
    alertmanager = stack.spawn(
        "alertmanager",
        ["prometheus-alertmanager", f"--config.file={home / 'alertmanager.yml'}",
         f"--storage.path={home / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
         "--cluster.listen-address="],
    )  # fmt: skip
    prometheus = stack.spawn(
        "prometheus",
        ["prometheus", f"--config.file={home / 'prometheus.yml'}",
         f"--storage.tsdb.path={home / 'prom-data'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
    )  # fmt: skip
    try:
        wait_for(
            "Prometheus",
            lambda: httpx.get(f"http://127.0.0.1:{prom_port}/-/ready").status_code == 200,
            30,
        )
        wait_for(
            "Alertmanager",
            lambda: httpx.get(f"http://127.0.0.1:{am_port}/-/ready").status_code == 200,
            30,
        )

        # The real condition: a notification has waited 20 minutes in the outbox.
        started = time.monotonic()
        with psycopg.connect(stack.superuser_conninfo(dbname="lai"), autocommit=True) as conn:
            conn.execute(
                "INSERT INTO notifications (channel, recipient, template, payload, status,"
                " attempts, created_at) VALUES ('email', 'ops', 'chaos', '{}', 'pending', 0, %s)",
                (datetime.now(UTC) - timedelta(minutes=20),),
            )

        def delivered() -> Any:
            for path, body in received:
                for alert in body.get("alerts", []):
                    if (
                        alert["labels"].get("alertname") == "OutboxBacklog"
                        and alert["status"] == "firing"
                    ):
                        return path, alert
            return None

        path, alert = wait_for("OutboxBacklog at the webhook", delivered, BOUND_S, 0.5)
        elapsed = time.monotonic() - started
    finally:
        prometheus.kill()
        alertmanager.kill()
        server.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    figure(
        "alert end to end (outbox -> /metrics -> Prometheus -> Alertmanager -> webhook)",
        f"{elapsed:.1f} s",
    )
    assert path == "/ticket"
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["service"] == "notifications"
    assert "Notifications are not being sent" in alert["annotations"]["summary"]
