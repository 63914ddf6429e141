"""Infrastructure checks (issue 15): offline tools from `make infra-tools`, HCL parsed once."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
CHART = ROOT / "deploy" / "helm" / "logistics-ai"
WORKFLOWS = ROOT / ".github" / "workflows"
INFRA_BIN = ROOT / ".tools" / "infra" / "bin"
HELM = ROOT / ".tools" / "bin" / "helm"

MODULES = ("network", "app", "edge", "database", "cache", "storage", "monitoring", "bootstrap")
ENVIRONMENTS = ("dev", "staging", "prod")
# Every Terraform root or module directory of the repository.
TF_DIRS = (
    [TERRAFORM / "modules" / m for m in MODULES]
    + [TERRAFORM / "environments" / e for e in ENVIRONMENTS]
    + [TERRAFORM / "bootstrap", TERRAFORM / "gcp", TERRAFORM / "azure"]
)


def tool(name: str) -> str:
    """Path of an infra tool; a missing one fails the test with the command that installs it."""
    for candidate in (INFRA_BIN / name, ROOT / ".tools" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"{name} is not installed: run `make infra-tools`", pytrace=False)


def terraform_binary() -> str:
    """A Terraform on PATH (any version formats the same) or the 1.0.3 one from PyPI."""
    return shutil.which("terraform") or tool("terraform")


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    env["PATH"] = f"{INFRA_BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        args, cwd=kwargs.pop("cwd", ROOT), env=env, capture_output=True, text=True, **kwargs
    )


@cache
def parse(path: Path) -> dict:
    """One HCL file as python-hcl2 8 serialises it (quotes stripped, blocks as lists)."""
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(
        strip_string_quotes=True, with_comments=False, explicit_blocks=False
    )
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=options)


def blocks(directory: Path, kind: str) -> list[dict]:
    """All top-level blocks of one kind (resource, variable, module, ...) in a directory."""
    found: list[dict] = []
    for path in sorted(directory.glob("*.tf")):
        found.extend(parse(path).get(kind, []))
    return found


def resources(directory: Path, rtype: str | None = None) -> list[tuple[str, str, dict]]:
    """(type, name, body) of every resource in a directory, optionally of one type."""
    out = []
    for block in blocks(directory, "resource"):
        for kind, named in block.items():
            for name, body in named.items():
                if rtype is None or kind == rtype:
                    out.append((kind, name, body))
    return out


def one(value):
    """Nested blocks come back as one-element lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


class Background:
    """A checker started early in its own process, so the slow ones (checkov) overlap with the
    rest of the infra tests on the second core; `.json()` waits for it."""

    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "PATH": f"{INFRA_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._result: tuple[str, str] | None = None

    def json(self, timeout: float = 600) -> dict:
        import json

        if self._result is None:
            self._result = self.process.communicate(timeout=timeout)
        stdout, stderr = self._result
        assert stdout.strip(), f"no report; stderr:\n{stderr[-2000:]}"
        report = json.loads(stdout)
        return report[0] if isinstance(report, list) else report


@pytest.fixture(scope="session", autouse=True)
def checkov_reports(tmp_path_factory):
    """checkov over terraform/ and over the rendered prod Helm chart, started at once."""
    rendered = tmp_path_factory.mktemp("helm")
    values = str(CHART / "values-prod.yaml")
    result = run([tool("helm"), "template", "lai", str(CHART), "-n", "logistics", "-f", values])
    assert result.returncode == 0, result.stderr
    (rendered / "prod.yaml").write_text(result.stdout)
    common = ["--skip-download", "--quiet", "-o", "json"]
    jobs = {
        "terraform": Background(
            [tool("checkov"), "-d", str(TERRAFORM), "--framework", "terraform", *common]
        ),
        "kubernetes": Background(
            [tool("checkov"), "-d", str(rendered), "--framework", "kubernetes", *common]
        ),
    }
    yield jobs
    for job in jobs.values():
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()
