"""The nginx configuration rendered by deploy/nginx/nginx-render: `nginx -t` and its contents."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

NGINX = "/usr/sbin/nginx"


@pytest.fixture
def render(deploy_tools: None, tmp_path: Path):
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    www = tmp_path / "www"
    www.mkdir()
    (www / ".csp-script-hashes").write_text("'sha256-AAAA' 'sha256-BBBB'\n")

    def run(**env: str) -> Path:
        settings = {
            "NGINX_TEMPLATE_DIR": str(ROOT / "deploy" / "nginx" / "templates"),
            "NGINX_CONF_DIR": str(tmp_path / "conf"),
            "NGINX_DYNAMIC_DIR": str(tmp_path / "dynamic"),
            "NGINX_TEMP_DIR": str(tmp_path / "tmp"),
            "NGINX_PID_FILE": str(tmp_path / "nginx.pid"),
            "FRONTEND_ROOT": str(www),
            "SERVER_NAME": "logistics.example.com",
            "APP_UPSTREAMS": "127.0.0.1:18001 127.0.0.1:18002",
            "NGINX_RESOLVER": "127.0.0.1",
            "TLS_CERT_FILE": str(tmp_path / "cert.pem"),
            "TLS_KEY_FILE": str(tmp_path / "key.pem"),
            "RATE_LIMIT_EXEMPT_CIDRS": "10.1.0.0/16",
            **env,
        }
        result = subprocess.run(
            [str(ROOT / "deploy" / "nginx" / "nginx-render")],
            env={**os.environ, **settings},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return tmp_path

    return run


def _all_config(out: Path) -> str:
    parts = [(out / "conf" / "nginx.conf").read_text()]
    parts += [p.read_text() for p in sorted((out / "conf" / "snippets").glob("*"))]
    parts += [p.read_text() for p in sorted((out / "dynamic").glob("*.conf"))]
    return "\n".join(parts)


def test_nginx_t_accepts_the_rendered_config(render) -> None:
    out = render()
    result = subprocess.run(
        [NGINX, "-t", "-c", str(out / "conf" / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_tls_redirect_and_security_headers(render) -> None:
    config = _all_config(render())
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in config
    assert not re.search(r"ssl_ciphers [^;]*(RC4|3DES|CBC|MD5|NULL)", config)
    assert "return 301 https://$host$request_uri;" in config
    assert "Strict-Transport-Security" in config
    csp = re.search(r'Content-Security-Policy "([^"]+)"', config).group(1)
    assert "script-src 'self' $csp_script_hashes;" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp
    assert "default \"'sha256-AAAA' 'sha256-BBBB'\";" in config
    assert 'X-Content-Type-Options "nosniff"' in config
    assert "Referrer-Policy" in config


def test_load_balancing_failover_and_limits(render) -> None:
    config = _all_config(render())
    upstream = re.search(r"upstream app \{(.*?)\n    \}", config, re.S).group(1)
    assert "zone app 64k;" in upstream and "keepalive" in upstream
    assert "server 127.0.0.1:18001 max_fails=3 fail_timeout=10s;" in config
    assert "server 127.0.0.1:18002 max_fails=3 fail_timeout=10s;" in config
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in config
    assert "limit_req_status 429;" in config and "limit_req zone=api" in config
    # Overload: a cap on API requests in progress, refused with 503 + Retry-After; sign-in
    # has its own tighter per-address rate.
    api = re.search(r"location /api/ \{(.*?)\n        \}", config, re.S).group(1)
    assert "limit_conn api_total 512;" in api and "limit_conn_status 503;" in api
    auth = re.search(r"location /api/v1/auth/ \{(.*?)\n        \}", config, re.S).group(1)
    assert "limit_req zone=auth burst=20 nodelay;" in auth
    overloaded = re.search(r"location @overloaded \{(.*?)\n        \}", config, re.S).group(1)
    assert "add_header Retry-After 1 always;" in overloaded and "return 503" in overloaded
    assert "10.1.0.0/16 1;" in config  # exempt network
    assert "client_max_body_size 1m;" in config and "client_max_body_size 15m;" in config
    assert "gzip on;" in config and "gzip_static on;" in config
    assert 'Cache-Control "public, max-age=31536000, immutable"' in config
    assert "log_format json_combined escape=json" in config
    assert "access_log /dev/stdout json_combined;" in config


def test_websocket_upgrade_and_idle_timeout_above_keepalive(render) -> None:
    from reflex_base.constants import Ping

    config = _all_config(render())
    event = re.search(r"location /_event \{(.*?)\n        \}", config, re.S).group(1)
    assert "proxy_read_timeout 300s;" in event
    assert Ping.INTERVAL + Ping.TIMEOUT < 300  # an idle, healthy socket is never cut
    assert "proxy_set_header Upgrade $http_upgrade;" in config
    assert "proxy_set_header Connection $connection_upgrade;" in config


def test_drain_marks_one_replica_down_and_never_all(render, tmp_path: Path) -> None:
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "dynamic" / "draining").write_text("127.0.0.1:18001\n")
    upstreams = (render() / "dynamic" / "upstream-servers.conf").read_text()
    assert "server 127.0.0.1:18001 max_fails=3 fail_timeout=10s down;" in upstreams
    assert "server 127.0.0.1:18002 max_fails=3 fail_timeout=10s;" in upstreams
    (tmp_path / "dynamic" / "draining").write_text("127.0.0.1:18001\n127.0.0.1:18002\n")
    with pytest.raises(AssertionError, match="refusing to drain every upstream"):
        render()


def test_event_socket_log_line_has_no_tab_token(render) -> None:
    """`/_event?token=...` carries the Reflex tab token: its access log shows the path only."""
    config = _all_config(render())
    event = re.search(r"location /_event \{(.*?)\n        \}", config, re.S).group(1)
    assert "access_log /dev/stdout json_event;" in event
    log_format = re.search(r"log_format json_event escape=json(.*?);\n", config, re.S).group(1)
    assert '"uri":"$uri"' in log_format
    for leak in ("$request_uri", "$args", "$query_string", '$request"'):
        assert leak not in log_format
    web = re.search(r"location /api/web/ \{(.*?)\n        \}", config, re.S).group(1)
    assert "limit_req zone=auth" in web  # browser sign-in has the sign-in rate too
