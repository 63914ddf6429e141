"""Security scanners, offline (issue 10, item 7): ruff's S rules, semgrep with the project's
rules, checkov on the Dockerfile, pip-audit against the lock file, and a CycloneDX SBOM.

Every finding is either fixed or listed with a reason in security/accepted-findings.toml; a
new finding or a stale entry fails. The slow scanners start in the background when the module
loads, so they overlap (about a minute of wall time on two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECURITY_BIN = ROOT / ".tools" / "security" / "bin"
INFRA_BIN = ROOT / ".tools" / "infra" / "bin"
VENV_BIN = ROOT / ".venv" / "bin"
# Runtime code and operator tooling; tests and load tests are not shipped.
TARGETS = ["logistics_ai", "state", "pages", "components", "rxconfig.py", "deploy", "migrations"]
SEMGREP_FLAGS = ["--metrics=off", "--disable-version-check"]


def _tool(directory: Path, name: str) -> str:
    path = directory / name
    if not path.exists():
        pytest.fail(f"{name} is not installed: run `make security-tools infra-tools`")
    return str(path)


class Background:
    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SEMGREP_SEND_METRICS": "off"},
        )
        self._out: tuple[str, str] | None = None

    def result(self, timeout: float = 600) -> tuple[int, str, str]:
        if self._out is None:
            self._out = self.process.communicate(timeout=timeout)
        return self.process.returncode, *self._out


@cache
def _jobs() -> dict[str, Background]:
    semgrep = _tool(SECURITY_BIN, "semgrep")
    return {
        "semgrep": Background(
            [semgrep, "scan", "--config", "security/semgrep", *SEMGREP_FLAGS, "--json",
             "--quiet", *TARGETS]
        ),
        "semgrep-test": Background(
            [semgrep, "scan", "--test", "--config", "security/semgrep", "security/semgrep",
             *SEMGREP_FLAGS]
        ),
        "checkov": Background(
            [_tool(INFRA_BIN, "checkov"), "-f", "Dockerfile", "--framework", "dockerfile",
             "--skip-download", "--quiet", "-o", "json"]
        ),
    }  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def scanners() -> object:
    jobs = _jobs()
    yield jobs
    for job in jobs.values():
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()


def _accepted(tool: str) -> set[tuple[str, str]]:
    data = tomllib.loads((ROOT / "security" / "accepted-findings.toml").read_text())
    entries = [f for f in data["finding"] if f["tool"] == tool]
    assert all(len(f.get("reason", "")) > 15 for f in entries), "every entry needs a reason"
    return {(f["rule"], f["path"]) for f in entries}


def _compare(tool: str, found: set[tuple[str, str]]) -> None:
    accepted = _accepted(tool)
    new, stale = sorted(found - accepted), sorted(accepted - found)
    listed_in = "security/accepted-findings.toml"
    assert not new, f"{tool} findings neither fixed nor accepted ({listed_in}): {new}"
    assert not stale, f"accepted {tool} findings that no longer occur, remove them: {stale}"


def test_ruff_security_rules() -> None:
    # S101 (assert) is left out: asserts state type invariants in runtime code, never checks
    # input (that is pydantic's and the services' job), and tests are built on them.
    result = subprocess.run(
        [str(VENV_BIN / "ruff"), "check", "--select", "S", "--ignore", "S101",
         "--output-format", "json", "--no-cache", *TARGETS],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    findings = json.loads(result.stdout)
    found = {(f["code"], str(Path(f["filename"]).relative_to(ROOT))) for f in findings}
    _compare("ruff", found)


def test_semgrep_rules_catch_their_examples() -> None:
    code, out, err = _jobs()["semgrep-test"].result()
    assert code == 0 and "All tests passed" in out + err, out[-3000:] + err[-3000:]


def test_semgrep_project_rules() -> None:
    _code, out, _err = _jobs()["semgrep"].result()
    report = json.loads(out)
    assert not report["errors"], report["errors"]
    found = {(r["check_id"].rsplit(".", 1)[-1], r["path"]) for r in report["results"]}
    _compare("semgrep", found)


def test_checkov_dockerfile() -> None:
    """checkov has no docker-compose framework; the compose files are checked by
    tests/deploy (docker compose config) and reviewed in docs/security.md instead."""
    _, out, err = _jobs()["checkov"].result()
    assert out.strip(), err[-2000:]
    report = json.loads(out)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100  # the checks really ran
    found = {(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]}
    _compare("checkov", found)


def _locked_requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.lock.txt"
    exported = subprocess.run(
        [str(ROOT / ".tools" / "bin" / "uv"), "export", "--frozen", "--no-hashes",
         "--no-emit-project", "--format", "requirements-txt", "-o", str(path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    return path


def test_pip_audit_against_the_lock_file(tmp_path: Path) -> None:
    """--strict: a package that could not be audited is a failure, never a silent pass.

    Without network access to a vulnerability database (this project's CI machines) the audit
    cannot run: the test then reports itself as an expected failure naming how many packages
    went unaudited, instead of claiming a clean audit.
    """
    requirements = _locked_requirements(tmp_path)
    result = subprocess.run(
        [_tool(SECURITY_BIN, "pip-audit"), "-r", str(requirements), "--strict", "--no-deps",
         "--disable-pip", "--progress-spinner", "off", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    unaudited = [line for line in result.stderr.splitlines() if "could not be audited" in line]
    if result.returncode != 0 and unaudited:
        pytest.xfail(
            "vulnerability database unreachable, so NO package was audited (pip-audit --strict "
            f"stops at the first: {unaudited[0].split(':', 2)[-1].strip()})"
        )
    report = json.loads(result.stdout)
    vulnerable = {
        (d["name"], d["version"], v["id"])
        for d in report["dependencies"]
        for v in d.get("vulns", [])
    }
    assert result.returncode == 0 and not vulnerable, sorted(vulnerable)


def test_sbom_lists_every_locked_package(tmp_path: Path) -> None:
    requirements = _locked_requirements(tmp_path)
    sbom_path = tmp_path / "sbom.cdx.json"
    result = subprocess.run(
        [_tool(SECURITY_BIN, "cyclonedx-py"), "requirements", str(requirements), "--of", "JSON",
         "-o", str(sbom_path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sbom = json.loads(sbom_path.read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"].startswith("1.")
    listed = {(c["name"].lower(), c.get("version")) for c in sbom["components"]}
    # The lock file itself is the independent source of truth.
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {
        (p["name"].lower(), p["version"])
        for p in lock["package"]
        if "version" in p and p["name"] != "logistics-ai"
    }
    normal = {(name.replace("_", "-"), version) for name, version in listed}
    missing = {
        (name, version)
        for name, version in locked
        if (name.replace("_", "-"), version) not in normal
    }
    # uv export leaves out packages only needed on other platforms (markers); nothing else.
    assert len(missing) < len(locked) * 0.1, sorted(missing)[:20]
    for name, version in (("reflex", "0.10.1"), ("fastapi", None), ("pyjwt", None)):
        assert any(n == name and (version is None or v == version) for n, v in normal), name
