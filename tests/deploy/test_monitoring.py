"""Prometheus config and rules (promtool), Alertmanager routes (amtool), Grafana dashboards."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
ALERTMANAGER = MONITORING / "alertmanager" / "alertmanager.yml"

# promtool and amtool come from Debian's prometheus and prometheus-alertmanager (.ci/test-deps).


def run(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_prometheus_config_and_rules_are_valid() -> None:
    run(
        "promtool",
        "check",
        "config",
        "--syntax-only",
        str(MONITORING / "prometheus/prometheus.yml"),
    )
    rules = sorted((MONITORING / "prometheus/rules").glob("*.yml"))
    output = run("promtool", "check", "rules", *map(str, rules))
    assert output.count("SUCCESS") == len(rules)


def test_alert_rules_pass_their_unit_tests(promtool_rule_tests: subprocess.Popen[str]) -> None:
    output, _ = promtool_rule_tests.communicate(timeout=120)  # started by conftest.py
    assert promtool_rule_tests.returncode == 0, output
    assert "SUCCESS" in output


def test_every_alert_has_a_unit_test_severity_and_summary() -> None:
    tests = (MONITORING / "prometheus/tests/rules_test.yml").read_text()
    tested = set(re.findall(r"alertname: (\w+)", tests))
    for path in (MONITORING / "prometheus/rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                name = rule["alert"]
                assert rule["labels"]["severity"] in {"critical", "warning"}, name
                assert rule["annotations"]["summary"], name
                if name not in {"BackupMetricsMissing"}:  # absent() over 1h: nothing to assert
                    assert name in tested, f"{name} has no promtool unit test"


def test_alertmanager_config_and_routes() -> None:
    run("amtool", "check-config", str(ALERTMANAGER))

    def receiver(*labels: str) -> str:
        out = run("amtool", "config", "routes", "test", "--config.file", str(ALERTMANAGER), *labels)
        return [line for line in out.splitlines() if not line.startswith("Warning")][-1].strip()

    assert receiver("severity=critical", "service=database", "alertname=PostgresNoLeader") == (
        "ops-pager"
    )
    assert receiver("severity=critical", "service=api") == "ops-pager"
    assert receiver("severity=warning", "service=backup") == "data-tier"
    assert receiver("severity=warning", "service=database") == "data-tier"
    assert receiver("severity=warning", "service=api") == "ops-ticket"
    config = yaml.safe_load(ALERTMANAGER.read_text())
    assert config["route"]["group_by"] == ["alertname", "service"]
    inhibitions = {tuple(rule["source_matchers"]) for rule in config["inhibit_rules"]}
    assert ('severity="critical"',) in inhibitions


def _generator():  # type: ignore[no-untyped-def]
    path = MONITORING / "grafana/dashboards.py"
    spec = importlib.util.spec_from_file_location("lai_dashboards", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_committed_dashboards_are_the_generated_ones() -> None:
    rendered = _generator().render()
    committed = {p.name: p.read_text() for p in (MONITORING / "grafana/dashboards").glob("*.json")}
    assert set(committed) == {
        "overview.json",
        "api.json",
        "realtime.json",
        "dispatch.json",
        "data-tier.json",
    }
    assert committed == rendered, "run python deploy/monitoring/grafana/dashboards.py"


# Metrics that come from exporters, not from the app: Patroni, node_exporter, blackbox, Prometheus.
# lai_backup_* is written by deploy/backup/lai-backup for node_exporter's textfile collector.
EXPORTER_PREFIXES = ("patroni_", "node_", "probe_", "up", "ALERTS", "lai_backup_")
FUNCTIONS = {
    "sum", "rate", "increase", "histogram_quantile", "max", "min", "by", "on", "and", "or",
    "changes", "scalar", "time", "le", "avg", "absent", "predict_linear", "group_left",
}  # fmt: skip


def _metric_names(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    without_grouping = re.sub(r"\b(by|on)\s*\([^)]*\)", "", without_labels)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_grouping))
    return {n for n in names if n not in FUNCTIONS and not re.fullmatch(r"\d+[smhd]?", n)}


def _app_metric_names() -> set[str]:
    """Names the real app exposes, after one request of each kind and Reflex activity."""
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families
    from reflex_base import otel

    from logistics_ai.api.app import create_api
    from logistics_ai.observability import metrics

    client = TestClient(create_api())
    client.get("/healthz")
    otel.record_connection(1)
    otel.record_connection(-1)
    otel._event_duration.record(0.01, {otel.ATTR_EVENT_NAME: "state.x", "error.type": "E"})
    metrics.BUS_LAG.labels("probe").observe(0.001)
    metrics.BUS_PUBLISH_FAILURES.labels("probe")
    metrics.observe_optimizer_run("probe", 0.1, ["capacity"])
    names: set[str] = set()
    for family in text_string_to_metric_families(client.get("/metrics").text):
        names.update(sample.name for sample in family.samples)
    # Scrape-time KPI families need the database; their names are fixed in ops_metrics.
    from logistics_ai.services import ops_metrics

    source = Path(ops_metrics.__file__).read_text()
    names.update(re.findall(r'"(lai_[a-z_]+)"', source))
    return names


def _recorded_names() -> set[str]:
    names: set[str] = set()
    for path in (MONITORING / "prometheus/rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return names


def test_every_dashboard_query_names_a_real_metric() -> None:
    known = _app_metric_names() | _recorded_names()
    rule_exprs = []
    for path in (MONITORING / "prometheus/rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rule_exprs.extend(rule["expr"] for rule in group["rules"])
    dashboards = [
        json.loads(p.read_text()) for p in (MONITORING / "grafana/dashboards").glob("*.json")
    ]
    exprs = [t["expr"] for d in dashboards for p in d["panels"] for t in p["targets"]]
    unknown = set()
    for expr in exprs + rule_exprs:
        for name in _metric_names(expr):
            if name.startswith(EXPORTER_PREFIXES):
                continue
            if name not in known:
                unknown.add(name)
    assert not unknown, f"queries name metrics nothing exposes: {sorted(unknown)}"
    uids = [d["uid"] for d in dashboards]
    assert len(set(uids)) == len(uids) == 5
    provisioned = yaml.safe_load((MONITORING / "grafana/provisioning/datasources.yml").read_text())
    datasource_uid = provisioned["datasources"][0]["uid"]
    for d in dashboards:
        for panel in d["panels"]:
            assert panel["datasource"]["uid"] == datasource_uid
            assert panel["targets"] and panel["title"]
