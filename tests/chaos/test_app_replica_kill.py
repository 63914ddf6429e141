"""Kill one of two app replicas (SIGKILL) under load through the production nginx config:
nginx retries the failed upstream on the other replica; fewer than 0.1% of requests fail."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import httpx

from tests.chaos.conftest import figure
from tests.chaos.stack import ROOT, Stack, wait_for
from tests.support.services import free_port
from tests.support.world import PASSWORD, World

CLIENTS = 8
BEFORE_KILL_S = 3.0
AFTER_KILL_S = 5.0


def _nginx(stack: Stack, upstreams: list[int]) -> tuple[subprocess.Popen, int]:
    home = stack.root / "nginx"
    home.mkdir()
    key, cert = str(home / "key.pem"), str(home / "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    (home / "www").mkdir()
    https_port = free_port()
    env = {
        **os.environ,
        "NGINX_TEMPLATE_DIR": str(ROOT / "deploy" / "nginx" / "templates"),
        "NGINX_CONF_DIR": str(home / "conf"),
        "NGINX_DYNAMIC_DIR": str(home / "dynamic"),
        "NGINX_TEMP_DIR": str(home / "tmp"),
        "NGINX_PID_FILE": str(home / "nginx.pid"),
        "FRONTEND_ROOT": str(home / "www"),
        "SERVER_NAME": "localhost",
        "APP_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in upstreams),
        "NGINX_RESOLVER": "127.0.0.1",
        "NGINX_HTTP_PORT": str(free_port()),
        "NGINX_HTTPS_PORT": str(https_port),
        "NGINX_STATUS_PORT": str(free_port()),
        "NGINX_WORKER_PROCESSES": "1",
        "TLS_CERT_FILE": str(home / "cert.pem"),
        "TLS_KEY_FILE": str(home / "key.pem"),
        # One client address drives all the load: exempt it from the per-address limits.
        "RATE_LIMIT_EXEMPT_CIDRS": "127.0.0.1/32",
    }
    subprocess.run([str(ROOT / "deploy" / "nginx" / "nginx-render")], env=env, check=True)
    conf = home / "conf" / "nginx.conf"
    server = subprocess.Popen(
        ["/usr/sbin/nginx", "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(home / "error.log").open("ab"),
    )
    wait_for(
        "nginx",
        lambda: (
            httpx.get(f"https://127.0.0.1:{https_port}/healthz", verify=False).status_code == 200
        ),
        30,
    )
    return server, https_port


def test_one_app_replica_killed_under_load(stack: Stack, ha_world: World) -> None:
    replica_a, port_a = stack.start_app("app-a")
    _replica_b, port_b = stack.start_app("app-b")
    nginx, port = _nginx(stack, [port_a, port_b])
    base = f"https://127.0.0.1:{port}"
    try:
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"email": "alice@test.example.com", "password": PASSWORD},
            verify=False,
            timeout=30,
        ).json()["access_token"]
        results: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client() -> None:
            with httpx.Client(base_url=base, verify=False, timeout=30) as http:
                while not stop.is_set():
                    try:
                        status = http.get(
                            "/api/v1/shipments", headers={"Authorization": f"Bearer {token}"}
                        ).status_code
                    except httpx.HTTPError:
                        status = 0
                    with lock:
                        results.append(status)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE_KILL_S)
        replica_a.kill()  # SIGKILL: in-flight requests on it are cut
        time.sleep(AFTER_KILL_S)
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
    failed = [s for s in results if s != 200]
    ratio = len(failed) / len(results)
    figure(
        "app replica kill through nginx",
        f"{len(failed)} failed of {len(results)} requests ({ratio:.3%}; bound 0.1%)",
    )
    assert len(results) > 200
    assert ratio < 0.001, sorted(set(failed))
