"""Helm chart: lint, render (dev and prod values), kubernetes-validate --strict, checkov, and the
properties issue 15 asks for, read from the rendered manifests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.infra.conftest import CHART, run, tool

VALUES = {"dev": CHART / "values-dev.yaml", "prod": CHART / "values-prod.yaml"}


@cache
def rendered(env: str) -> str:
    result = run(
        [
            tool("helm"),
            "template",
            "lai",
            str(CHART),
            "--namespace",
            "logistics",
            "-f",
            str(VALUES[env]),
        ]
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def manifests(env: str) -> dict[tuple[str, str], dict]:
    docs = [d for d in yaml.safe_load_all(rendered(env)) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def pod_spec(env: str, component: str) -> dict:
    return manifests(env)[("Deployment", f"lai-logistics-ai-{component}")]["spec"]["template"][
        "spec"
    ]


@pytest.mark.parametrize("env", VALUES)
def test_helm_lint(env: str) -> None:
    result = run([tool("helm"), "lint", "--strict", str(CHART), "-f", str(VALUES[env])])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("env", VALUES)
def test_rendered_chart_passes_kubernetes_validate_strict(env: str, tmp_path: Path) -> None:
    manifest = tmp_path / f"{env}.yaml"
    manifest.write_text(rendered(env))
    result = run([tool("kubernetes-validate"), "--strict", "--quiet", str(manifest)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_passes_on_the_rendered_prod_chart(checkov_reports) -> None:
    report = checkov_reports["kubernetes"].json()
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert report["summary"]["passed"] > 100
    assert not failed, "\n".join(failed)


def test_image_without_digest_or_tag_is_refused() -> None:
    result = run(
        [
            tool("helm"),
            "template",
            "lai",
            str(CHART),
            "--set",
            "image.digest=",
            "--set",
            "image.tag=",
        ]
    )
    assert result.returncode != 0
    assert "needs a digest" in result.stderr


def test_prod_images_are_pinned_by_digest() -> None:
    for component in ("app", "worker"):
        spec = pod_spec("prod", component)
        for container in spec["containers"] + spec.get("initContainers", []):
            assert "@sha256:" in container["image"], container["name"]


@pytest.mark.parametrize("env", VALUES)
def test_app_probes_resources_and_hardening(env: str) -> None:
    spec = pod_spec(env, "app")
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    containers = {c["name"]: c for c in spec["containers"]}
    app = containers["app"]
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env_vars = {e["name"]: e for e in app["env"]}
    assert env_vars["GRANIAN_WORKERS"]["value"].isdigit()
    assert env_vars["REFLEX_REDIS_URL"]["valueFrom"]["secretKeyRef"]["key"] == "REDIS_URL"
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert "secretKeyRef" in env_vars[name]["valueFrom"], name
    for container in spec["containers"] + spec["initContainers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"]["drop"] == ["ALL"], container["name"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
    worker = pod_spec(env, "worker")["containers"][0]
    assert worker["readinessProbe"] and worker["livenessProbe"]


def test_prod_scales_and_survives_disruptions() -> None:
    objects = manifests("prod")
    hpa = objects[("HorizontalPodAutoscaler", "lai-logistics-ai-app")]["spec"]
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    assert hpa["scaleTargetRef"]["name"] == "lai-logistics-ai-app"
    pdb = objects[("PodDisruptionBudget", "lai-logistics-ai-app")]["spec"]
    assert pdb["minAvailable"] >= 1
    deployment = objects[("Deployment", "lai-logistics-ai-app")]["spec"]
    assert "replicas" not in deployment  # the HPA owns it
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_ingress_keeps_websockets_open_and_terminates_tls() -> None:
    ingress = manifests("prod")[("Ingress", "lai-logistics-ai")]
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > 145
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) > 145
    assert ingress["spec"]["tls"][0]["hosts"] == ["logistics.example.com"]


def test_migration_is_a_pre_install_and_pre_upgrade_hook() -> None:
    jobs = [d for (kind, _), d in manifests("prod").items() if kind == "Job"]
    assert len(jobs) == 1
    annotations = jobs[0]["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = jobs[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["lai-release", "migrate", "seed"]
    # Hooks run before the release's ConfigMap exists: the job must not reference it.
    assert "envFrom" not in container


def test_network_policies_deny_by_default() -> None:
    policies = {
        name: d["spec"] for (kind, name), d in manifests("prod").items() if kind == "NetworkPolicy"
    }
    deny = policies["lai-logistics-ai-default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    ingress = policies["lai-logistics-ai-app-ingress"]["ingress"]
    assert [p["port"] for rule in ingress for p in rule["ports"]] == [8443]


def test_migration_hook_gets_the_plain_settings_inline() -> None:
    """The dev profile seeds the demo city: the hook must see SEED_DEMO without the ConfigMap."""
    [job] = [d for (kind, _), d in manifests("dev").items() if kind == "Job"]
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["SEED_DEMO"] == "true" and env["APP_ENV"] == "dev"


def _env_of(container: dict) -> dict[str, dict]:
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    return {e["name"]: e for e in container.get("env", [])}


def _secret_key(entry: dict) -> str:
    return str(entry["valueFrom"]["secretKeyRef"]["key"])


@pytest.mark.parametrize("env", VALUES)
def test_pods_run_as_the_app_role_and_only_the_migration_as_the_owner(env: str) -> None:
    rendered_manifests = manifests(env)
    config = rendered_manifests[("ConfigMap", "lai-logistics-ai")]["data"]
    assert config["DB_APP_ROLE"] == "logistics_app"
    for component in ("app", "worker"):
        containers = pod_spec(env, component)["containers"]
        main = next(c for c in containers if c["name"] == component)
        variables = _env_of(main)
        assert _secret_key(variables["DATABASE_URL"]) == "DATABASE_URL"
        # The owner's URL and the role's password never reach a long-running pod.
        for container in containers:
            for name, entry in _env_of(container).items():
                if "valueFrom" in entry and "secretKeyRef" in entry["valueFrom"]:
                    assert _secret_key(entry) not in ("DATABASE_OWNER_URL", "DB_APP_PASSWORD")
                assert name != "DB_APP_PASSWORD"
        assert {"configMapRef": {"name": "lai-logistics-ai"}} in main["envFrom"]
    [job] = [d for (kind, _), d in rendered_manifests.items() if kind == "Job"]
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    variables = _env_of(migrate)
    assert _secret_key(variables["DATABASE_URL"]) == "DATABASE_OWNER_URL"
    assert _secret_key(variables["DB_APP_PASSWORD"]) == "DB_APP_PASSWORD"
    assert variables["DB_APP_PASSWORD"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert variables["DB_APP_ROLE"]["value"] == "logistics_app"  # hooks run before the ConfigMap
