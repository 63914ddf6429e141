"""`make test` runs the fast deployment checks (hadolint, compose config, nginx -t, shellcheck)."""

from __future__ import annotations

import subprocess

from tests.deploy.conftest import ROOT, clean_environ


def test_deploy_checks_pass(deploy_tools: None) -> None:
    result = subprocess.run(
        [str(ROOT / "deploy" / "ci" / "deploy-checks")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environ(),
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deploy-checks: all passed" in result.stdout
    for check in ("hadolint", "compose config: prod", "nginx -t"):
        assert f"ok    {check}" in result.stdout
