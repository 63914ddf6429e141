# ruff: noqa: E501  (the query table reads best one panel per line)
"""Generates the provisioned Grafana dashboards (JSON) from one short description each.

    python deploy/monitoring/grafana/dashboards.py   # rewrites grafana/dashboards/*.json

tests/deploy/test_monitoring.py fails when the committed JSON differs from this output, and
checks every query names a metric the app, the rules or the exporters really expose.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

# (title, unit, [(legend, expr), ...]) per panel; each dashboard is a list of rows of panels.
Panel = tuple[str, str, list[tuple[str, str]]]

API_5XX = 'sum(rate(lai_http_requests_total{status=~"5.."}[5m]))'
API_ALL = "sum(rate(lai_http_requests_total[5m]))"

DASHBOARDS: dict[str, tuple[str, list[Panel]]] = {
    "overview": (
        "Logistics AI · Overview",
        [
            (
                "Availability (1 - 5xx ratio, 1h)",
                "percentunit",
                [("1h", "1 - lai:http_errors:ratio_rate1h")],
            ),
            (
                "Error budget burn rate",
                "none",
                [
                    ("1h", "lai:http_errors:ratio_rate1h / 0.005"),
                    ("6h", "lai:http_errors:ratio_rate6h / 0.005"),
                    ("3d", "lai:http_errors:ratio_rate3d / 0.005"),
                ],
            ),
            ("Requests per second", "reqps", [("all", API_ALL), ("5xx", API_5XX)]),
            ("App replicas up", "none", [("up", 'sum(up{job="app"})')]),
            (
                "Deliveries today",
                "none",
                [
                    ("delivered", "sum(lai_deliveries_today)"),
                    ("on time", "sum(lai_deliveries_on_time_today)"),
                ],
            ),
            (
                "Firing alerts",
                "none",
                [("{{alertname}}", 'sum by (alertname) (ALERTS{alertstate="firing"})')],
            ),
        ],
    ),
    "api": (
        "Logistics AI · API",
        [
            (
                "Requests by route",
                "reqps",
                [("{{route}}", "sum by (route) (rate(lai_http_requests_total[5m]))")],
            ),
            (
                "Error ratio by route",
                "percentunit",
                [
                    (
                        "{{route}}",
                        'sum by (route) (rate(lai_http_requests_total{status=~"5.."}[5m])) / sum by (route) (rate(lai_http_requests_total[5m]))',
                    )
                ],
            ),
            (
                "p95 latency by route",
                "s",
                [
                    (
                        "{{route}}",
                        "histogram_quantile(0.95, sum by (le, route) (rate(lai_http_request_duration_seconds_bucket[5m])))",
                    )
                ],
            ),
            (
                "p50 latency",
                "s",
                [
                    (
                        "p50",
                        "histogram_quantile(0.5, sum by (le) (rate(lai_http_request_duration_seconds_bucket[5m])))",
                    )
                ],
            ),
            (
                "Responses by status",
                "reqps",
                [("{{status}}", "sum by (status) (rate(lai_http_requests_total[5m]))")],
            ),
        ],
    ),
    "realtime": (
        "Logistics AI · Real time",
        [
            (
                "Open websocket connections",
                "none",
                [("{{instance}}", "sum by (instance) (reflex_websocket_connections)")],
            ),
            (
                "Reflex events per second",
                "ops",
                [
                    (
                        "{{reflex_event_name}}",
                        "sum by (reflex_event_name) (rate(reflex_event_duration_seconds_count[5m]))",
                    )
                ],
            ),
            (
                "Reflex event p95 by handler",
                "s",
                [
                    (
                        "{{reflex_event_name}}",
                        "histogram_quantile(0.95, sum by (le, reflex_event_name) (rate(reflex_event_duration_seconds_bucket[5m])))",
                    )
                ],
            ),
            (
                "Reflex event errors",
                "ops",
                [
                    (
                        "{{error_type}}",
                        'sum by (error_type) (rate(reflex_event_duration_seconds_count{error_type!=""}[5m]))',
                    )
                ],
            ),
            (
                "Event bus lag p95",
                "s",
                [
                    (
                        "{{channel}}",
                        "histogram_quantile(0.95, sum by (le, channel) (rate(lai_event_bus_lag_seconds_bucket[5m])))",
                    )
                ],
            ),
            (
                "Event loop lag p95 (per worker)",
                "s",
                [
                    (
                        "{{instance}}",
                        "histogram_quantile(0.95, sum by (le, instance) (rate(lai_event_loop_lag_seconds_bucket[5m])))",
                    )
                ],
            ),
            (
                "Bus publish failures",
                "ops",
                [
                    (
                        "{{channel}}",
                        "sum by (channel) (rate(lai_event_bus_publish_failures_total[5m]))",
                    )
                ],
            ),
        ],
    ),
    "dispatch": (
        "Logistics AI · Dispatch",
        [
            (
                "Shipments today by status",
                "none",
                [("{{status}}", "sum by (status) (lai_shipments_today)")],
            ),
            (
                "On-time rate today",
                "percentunit",
                [("on time", "sum(lai_deliveries_on_time_today) / sum(lai_deliveries_today)")],
            ),
            (
                "Failures today by reason",
                "none",
                [("{{reason}}", "sum by (reason) (lai_delivery_failures_today)")],
            ),
            (
                "Optimizer runs",
                "ops",
                [("{{outcome}}", "sum by (outcome) (rate(lai_optimizer_runs_total[15m]))")],
            ),
            (
                "Optimizer p95 duration",
                "s",
                [
                    (
                        "p95",
                        "histogram_quantile(0.95, sum by (le) (rate(lai_optimizer_duration_seconds_bucket[15m])))",
                    )
                ],
            ),
            (
                "Shipments left unassigned by the optimizer",
                "none",
                [
                    (
                        "{{reason}}",
                        "sum by (reason) (increase(lai_optimizer_unassigned_total[1h]))",
                    )
                ],
            ),
            (
                "Outbox backlog",
                "none",
                [
                    ("pending", "sum(lai_outbox_pending)"),
                    ("oldest (s)", "max(lai_outbox_oldest_pending_age_seconds)"),
                ],
            ),
        ],
    ),
    "data-tier": (
        "Logistics AI · Data tier",
        [
            ("PostgreSQL leader", "none", [("{{instance}}", "patroni_primary")]),
            ("Streaming replicas", "none", [("{{instance}}", "patroni_replica")]),
            (
                "Replication lag (bytes)",
                "bytes",
                [
                    (
                        "{{instance}}",
                        "scalar(max(patroni_xlog_location)) - (patroni_xlog_replayed_location and on (instance) patroni_replica == 1)",
                    )
                ],
            ),
            ("Leader changes (1h)", "none", [("changes", "sum(changes(patroni_primary[1h]))")]),
            (
                "Hours since last backup",
                "h",
                [
                    (
                        "{{kind}}",
                        "(time() - lai_backup_last_success_timestamp_seconds) / 3600",
                    )
                ],
            ),
            (
                "Disk free",
                "percentunit",
                [
                    (
                        "{{mountpoint}}",
                        'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"}',
                    )
                ],
            ),
            (
                "Days until the TLS certificate expires",
                "d",
                [
                    (
                        "{{instance}}",
                        "(probe_ssl_earliest_cert_expiry - time()) / 86400",
                    )
                ],
            ),
        ],
    ),
}


def dashboard(uid: str, title: str, panels: list[Panel]) -> dict:
    built = []
    for index, (panel_title, unit, queries) in enumerate(panels):
        built.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": panel_title,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": [
                    {
                        "refId": chr(ord("A") + number),
                        "datasource": DATASOURCE,
                        "expr": expr,
                        "legendFormat": legend,
                    }
                    for number, (legend, expr) in enumerate(queries)
                ],
            }
        )
    return {
        "uid": f"lai-{uid}",
        "title": title,
        "tags": ["logistics-ai"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "panels": built,
    }


def render() -> dict[str, str]:
    return {
        f"{uid}.json": json.dumps(dashboard(uid, title, panels), indent=2) + "\n"
        for uid, (title, panels) in DASHBOARDS.items()
    }


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
