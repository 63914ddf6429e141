"""Static properties of the Dockerfile that hadolint does not check."""

from __future__ import annotations

import re

from tests.deploy.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stage(name: str) -> str:
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


# A Debian point-release slim tag, optionally pinned to its content digest as well.
PINNED_BASE = re.compile(r"debian:\d+\.\d+-slim(@sha256:[0-9a-f]{64})?")


def test_base_image_is_pinned_by_tag_and_may_be_pinned_by_digest() -> None:
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert base, "the base image is a build argument"
    assert PINNED_BASE.fullmatch(base.group(1)), base.group(1)
    # Pinning the digest (what a registry-connected release build does) stays allowed...
    assert PINNED_BASE.fullmatch("debian:12.15-slim@sha256:" + "ab12" * 16)
    # ...while a floating tag, a partial digest or another image is refused.
    for floating in (
        "debian:12-slim",
        "debian:latest",
        "debian:12.15-slim@sha256:abc",
        "ubuntu:24.04",
    ):
        assert not PINNED_BASE.fullmatch(floating), floating
    assert "@sha256:<digest>" in DOCKERFILE  # the header tells how to pin the digest


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
