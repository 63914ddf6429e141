"""GitHub Actions workflows: actionlint (with shellcheck on run: blocks), zizmor, and the rules
issue 15 sets (SHA-pinned actions, least-privilege permissions, concurrency, staged deploy)."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from tests.infra.conftest import ROOT, WORKFLOWS, run, tool

FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_the_four_workflows_exist() -> None:
    assert [p.name for p in FILES] == ["cd.yml", "ci.yml", "rollback.yml", "security.yml"]


def test_actionlint_with_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is not installed: run `make infra-tools`"
    result = run([tool("actionlint"), "-shellcheck", shutil.which("shellcheck"), *map(str, FILES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = run([tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_release_script_passes_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is not installed: run `make infra-tools`"
    result = run(["shellcheck", str(ROOT / "deploy" / "cloud" / "ecs-release")])
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha(path) -> None:
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", path.read_text(), re.M)
    assert uses or path.name == "rollback.yml"
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} not pinned"
        assert re.search(r"# v\d", comment), f"{path.name}: {ref} lacks its version comment"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_permissions_and_concurrency(path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {}, "top-level permissions must be empty"
    assert workflow["concurrency"]["group"]
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}:{name} has no permissions block"
        assert job["permissions"].get("contents") == "read", f"{path.name}:{name}"
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= {"packages", "id-token"}, f"{path.name}:{name} writes {writes}"
        assert job.get("timeout-minutes"), f"{path.name}:{name} has no timeout"


def test_ci_runs_what_ci_run_runs() -> None:
    ci = load("ci.yml")
    steps = " ".join(s.get("run", "") for job in ci["jobs"].values() for s in job["steps"])
    ci_run = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^(make \w+|\./deploy/ci/container-smoke)", ci_run, re.M)
    assert {"make install", "make test"} <= set(commands)
    for command in commands:
        assert command.lstrip("./") in steps, f".ci/run runs `{command}`, ci.yml does not"
    services = ci["jobs"]["test"]["services"]
    assert set(services) == {"postgres", "redis"}
    assert "terraform" in ci["jobs"] and "helm" in ci["jobs"]
    assert set(ci["on"]) == {"pull_request", "push"}


def test_cd_builds_once_and_promotes_the_same_digests_behind_approval() -> None:
    cd = load("cd.yml")
    jobs = cd["jobs"]
    builds = [s for s in jobs["build"]["steps"] if "build-push-action" in s.get("uses", "")]
    assert {s["with"]["target"] for s in builds} == {"app", "worker", "proxy"}
    for step in builds:
        assert step["with"]["sbom"] is True and step["with"]["provenance"] == "mode=max"
        assert step["with"]["push"] is True
    assert jobs["staging"]["needs"] == "build" and jobs["staging"]["environment"] == "staging"
    assert jobs["load-gate"]["needs"] == "staging"
    gate = " ".join(s.get("run", "") for s in jobs["load-gate"]["steps"])
    assert "make loadtest" in gate
    assert jobs["production"]["environment"] == "production"
    assert set(jobs["production"]["needs"]) == {"build", "load-gate"}
    for job in ("staging", "production"):
        env = next(s["env"] for s in jobs[job]["steps"] if "ecs-release deploy" in s.get("run", ""))
        assert env["IMAGE_APP"] == "${{ needs.build.outputs.app }}"
    assert cd["concurrency"]["cancel-in-progress"] is False


def test_rollback_redeploys_the_previous_digest() -> None:
    rollback = load("rollback.yml")
    assert set(rollback["on"]) == {"workflow_dispatch"}
    steps = " ".join(s.get("run", "") for s in rollback["jobs"]["rollback"]["steps"])
    assert "ecs-release rollback" in steps
    assert rollback["concurrency"]["group"] == load("cd.yml")["concurrency"]["group"]
    script = (ROOT / "deploy" / "cloud" / "ecs-release").read_text()
    rollback_branch = script.split("  rollback)")[1].split(";;")[0]
    assert "migrate" not in rollback_branch and ".previous" in rollback_branch


def test_security_workflow_covers_the_five_scans() -> None:
    security = load("security.yml")
    assert set(security["on"]) >= {"pull_request", "schedule"}
    assert set(security["jobs"]) == {"dependencies", "sast", "image", "iac", "actions"}
