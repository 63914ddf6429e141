"""The release step's frontend publishing: versioned directories, atomic switch, old assets kept."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from pathlib import Path

from tests.deploy.conftest import ROOT


def load_release(monkeypatch, source: Path, publish: Path, version: str):
    monkeypatch.setenv("FRONTEND_SRC", str(source))
    monkeypatch.setenv("FRONTEND_PUBLISH_DIR", str(publish))
    monkeypatch.setenv("APP_VERSION", version)
    monkeypatch.setenv("RELEASE_KEEP", "2")
    loader = importlib.machinery.SourceFileLoader(
        "lai_release", str(ROOT / "deploy" / "docker" / "lai-release")
    )
    spec = importlib.util.spec_from_loader("lai_release", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def export(path: Path, build: str) -> Path:
    (path / "assets").mkdir(parents=True)
    (path / "index.html").write_text(f"<html>{build}</html>")
    (path / ".csp-script-hashes").write_text(f"'sha256-{build}'")
    (path / "assets" / f"app-{build}.js").write_text(build)
    return path


def test_publish_switches_atomically_and_keeps_old_hashed_assets(tmp_path, monkeypatch) -> None:
    publish = tmp_path / "published"
    publish.mkdir()
    for number, build in enumerate(["one", "two", "three"]):
        source = export(tmp_path / build, build)
        release = load_release(monkeypatch, source, publish, f"v{number}")
        release.publish()
        current = publish / "current"
        assert current.is_symlink() and not os.readlink(current).startswith("/")
        assert (current / "index.html").read_text() == f"<html>{build}</html>"
        os.utime(current.resolve(), (number + 1, number + 1))  # distinct mtimes for pruning
    assets = {p.name for p in (publish / "current" / "assets").iterdir()}
    assert assets == {"app-one.js", "app-two.js", "app-three.js"}  # open tabs keep working
    releases = sorted(p.name for p in (publish / "releases").iterdir())
    assert len(releases) == 2  # RELEASE_KEEP


def test_publish_again_reuses_the_release(tmp_path, monkeypatch) -> None:
    publish = tmp_path / "published"
    publish.mkdir()
    source = export(tmp_path / "a", "a")
    release = load_release(monkeypatch, source, publish, "v1")
    release.publish()
    release.publish()
    assert len(list((publish / "releases").iterdir())) == 1
