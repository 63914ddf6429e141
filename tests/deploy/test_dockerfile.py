"""Static properties of the Dockerfile that hadolint does not check."""

from __future__ import annotations

import re

from tests.deploy.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stage(name: str) -> str:
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


def test_base_image_is_pinned_by_tag_with_a_digest_placeholder() -> None:
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE, re.M).group(1)
    name, tag = base.split(":")
    assert name == "debian" and re.fullmatch(r"\d+\.\d+-slim", tag)
    assert "@sha256:<digest>" in DOCKERFILE


def test_targets() -> None:
    for target in ("build", "dev", "app", "worker", "proxy"):
        stage(target)
    assert 'CMD ["python", "-m", "logistics_ai", "worker"]' in stage("worker")


def test_runtime_is_non_root_without_toolchain() -> None:
    app = stage("app")
    assert "USER 10001:10001" in app
    assert "node_modules" not in app and "bun" not in app.lower().replace("# ", "")
    assert not re.search(r"apt-get install[^\n]*(gcc|build-essential|npm|nodejs)", app)
    # The frontend is built once, in the build stage, with Reflex's supported export.
    assert "reflex export --frontend-only --no-zip" in stage("build")
    assert '"--backend-only"' in app


def test_final_images_have_oci_labels_healthcheck_and_stop_signal() -> None:
    for name in ("app", "proxy"):
        body = stage(name)
        for label in ("title", "description", "licenses", "version", "revision"):
            assert f"org.opencontainers.image.{label}=" in body, (name, label)
        assert "HEALTHCHECK" in body and "STOPSIGNAL" in body
    assert "HEALTHCHECK" in stage("worker")
