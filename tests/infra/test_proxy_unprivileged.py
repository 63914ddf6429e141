"""The chart's nginx container, for real: the repository's nginx templates rendered with the
environment of the rendered prod chart, run as an unprivileged user (uid 10001) with every
writable path inside the pod's volumes, in front of a stand-in backend on loopback. Proves the
read-only, non-root proxy of the Helm chart serves pages and proxies /readyz over TLS."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.infra.conftest import CHART, ROOT, run, tool
from tests.support.services import free_port

UID = 10001
PATH_VARIABLES = ("NGINX_CONF_DIR", "NGINX_DYNAMIC_DIR", "NGINX_PID_FILE", "NGINX_TEMP_DIR")


def proxy_container() -> dict:
    values = str(CHART / "values-prod.yaml")
    result = run([tool("helm"), "template", "lai", str(CHART), "-n", "logistics", "-f", values])
    assert result.returncode == 0, result.stderr
    for doc in yaml.safe_load_all(result.stdout):
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"].endswith("-app"):
            spec = doc["spec"]["template"]["spec"]
            tls_init = next(c for c in spec["initContainers"] if c["name"] == "tls-init")
            proxy = next(c for c in spec["containers"] if c["name"] == "proxy")
            return {"proxy": proxy, "tls_init": tls_init, "pod": spec}
    raise AssertionError("no app Deployment rendered")


class Backend(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status":"ready"}' if self.path == "/readyz" else b"{}"
        self.send_response(200 if self.path == "/readyz" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


def test_every_path_nginx_writes_is_on_a_writable_volume() -> None:
    parts = proxy_container()
    proxy = parts["proxy"]
    assert proxy["securityContext"]["readOnlyRootFilesystem"] is True
    assert proxy["securityContext"]["runAsUser"] == UID
    writable = [m["mountPath"] for m in proxy["volumeMounts"] if not m.get("readOnly")]
    env = {e["name"]: e["value"] for e in proxy["env"] if "value" in e}
    for name in PATH_VARIABLES:
        assert any(env[name].startswith(mount + "/") for mount in writable), (name, env[name])
    # nginx's compiled-in error log location, opened before the configuration is read.
    assert "/var/log/nginx" in writable


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv missing")
def test_unprivileged_nginx_serves_pages_and_proxies_readyz() -> None:
    subprocess.run([str(ROOT / "deploy" / "ci" / "test-deps")], check=True, timeout=600)
    # Not pytest's tmp_path: its parents are private to root, the proxy's user must traverse.
    volumes = Path(tempfile.mkdtemp(prefix="lai-proxy-"))
    try:
        serve(volumes)
    finally:
        shutil.rmtree(volumes, ignore_errors=True)


def serve(volumes: Path) -> None:
    parts = proxy_container()
    proxy = parts["proxy"]
    # Each volume mount of the container becomes a directory under tmp_path.
    mounts = {m["mountPath"]: volumes / m["mountPath"].strip("/") for m in proxy["volumeMounts"]}
    for directory in mounts.values():
        directory.mkdir(parents=True)

    def local(path: str) -> str:
        for mount, directory in mounts.items():
            if path == mount or path.startswith(mount + "/"):
                return str(directory) + path[len(mount) :]
        raise AssertionError(f"{path} is outside the pod's volumes")

    # tls-init's own command, with the volume mapped.
    script = parts["tls_init"]["command"][2].replace("/etc/nginx/tls", local("/etc/nginx/tls"))
    subprocess.run(["sh", "-c", script], check=True, timeout=60)
    current = Path(local("/srv/frontend")) / "current"
    current.mkdir()
    (current / "index.html").write_text("<!doctype html><title>home</title>")
    (current / "login.html").write_text("<!doctype html><title>login</title>")
    for directory in [volumes, *volumes.rglob("*")]:
        os.chown(directory, UID, UID)

    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    https_port, http_port, status_port = free_port(), free_port(), free_port()
    env = {e["name"]: e["value"] for e in proxy["env"] if "value" in e}
    for name in PATH_VARIABLES:
        env[name] = local(env[name])
    env.update(
        PATH=f"{ROOT / 'deploy' / 'nginx'}{os.pathsep}{os.environ['PATH']}:/usr/sbin",
        NGINX_TEMPLATE_DIR=str(ROOT / "deploy" / "nginx" / "templates"),
        FRONTEND_ROOT=str(current),
        TLS_CERT_FILE=local("/etc/nginx/tls/fullchain.pem"),
        TLS_KEY_FILE=local("/etc/nginx/tls/privkey.pem"),
        APP_UPSTREAMS=f"127.0.0.1:{backend.server_address[1]}",
        NGINX_HTTPS_PORT=str(https_port),
        NGINX_HTTP_PORT=str(http_port),
        NGINX_STATUS_PORT=str(status_port),
        NGINX_WORKER_PROCESSES="1",
    )
    drop = [] if os.getuid() else ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]
    # Like runc, hand the container's stdio to its user: nginx reopens /dev/stderr.
    log_path = volumes / "stdio.log"
    log = log_path.open("w")
    os.chown(log_path, UID, UID)
    nginx = subprocess.Popen(
        [*drop, str(ROOT / "deploy" / "nginx" / "nginx-ctl"), "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    base = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert nginx.poll() is None, log_path.read_text()
            try:
                ready = urllib.request.urlopen(f"{base}/readyz", context=context, timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not answer within 20 s"
                time.sleep(0.2)
        assert ready.status == 200 and b"ready" in ready.read()
        page = urllib.request.urlopen(f"{base}/login", context=context, timeout=5)
        assert page.status == 200 and b"login" in page.read()
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Strict-Transport-Security"]
        # Master and workers all run as the unprivileged user (no root anywhere).
        owners = {
            int(line.split()[1])
            for line in subprocess.run(
                ["ps", "-o", "pid=,uid=", "--ppid", str(nginx.pid), "-p", str(nginx.pid)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
        }
        assert owners == {UID if not os.getuid() else os.getuid()}
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()
        backend.shutdown()
        log.close()


def test_ecs_proxy_uses_the_same_paths_and_volumes_as_the_chart() -> None:
    """The ECS task's nginx gets the environment proven above (and the same volumes)."""
    main = (ROOT / "terraform" / "modules" / "app" / "main.tf").read_text()
    chart = {e["name"]: e["value"] for e in proxy_container()["proxy"]["env"] if "value" in e}
    for name in PATH_VARIABLES:
        assert f'{{ name = "{name}", value = "{chart[name]}" }}' in main, name
    ecs_mounts = set(re.findall(r'containerPath = "([^"]+)"', main))
    chart_mounts = {m["mountPath"] for m in proxy_container()["proxy"]["volumeMounts"]}
    assert chart_mounts <= ecs_mounts
