"""Smoke checks through nginx over HTTPS, and the light load used during rolling updates.

  python deploy/ci/smoke_checks.py checks --base https://localhost [--limited-source 127.0.0.2]
  python deploy/ci/smoke_checks.py load --base https://localhost --stop-file F --report F.json

`checks` verifies, each printed as one line: HTTP->HTTPS redirect, TLS >= 1.2, the login page
with its security headers, gzip and immutable caching of hashed assets, /readyz (database and
Redis), a public API call with its 404 envelope, a Socket.IO handshake on /_event, a headless
Chromium page load that hydrates over the websocket with the real CSP (no violations), and 429
from the rate limiter (sent from a second loopback address, since the first one may be exempt).
`load` sends light mixed traffic until the stop file appears, then writes counts by outcome;
any failure is an error (the rolling update must not drop a request).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import warnings
from pathlib import Path

import requests
import urllib3

warnings.filterwarnings("ignore", category=DeprecationWarning)  # ssl.TLSVersion.TLSv1_1 probe
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
UNKNOWN_CODE = "LA0000000000ZZ"
failures: list[str] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        failures.append(name)


def session() -> requests.Session:
    s = requests.Session()
    s.verify = False
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify=False
    return s


def check_redirect(base: str) -> None:
    parsed = urllib.parse.urlparse(base)
    response = requests.get(
        f"http://{parsed.hostname}/login?x=1", allow_redirects=False, timeout=10
    )
    location = response.headers.get("Location", "")
    check(
        "HTTP redirects to HTTPS",
        response.status_code in (301, 308) and location.startswith("https://"),
        f"{response.status_code} -> {location}",
    )


def check_tls(base: str) -> None:
    host = urllib.parse.urlparse(base).hostname or "localhost"
    port = urllib.parse.urlparse(base).port or 443
    for version, expected in (
        (ssl.TLSVersion.TLSv1_2, True),
        (ssl.TLSVersion.TLSv1_3, True),
        (ssl.TLSVersion.TLSv1_1, False),
    ):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            context.minimum_version = version
            context.maximum_version = version
        except ValueError:
            pass
        if version == ssl.TLSVersion.TLSv1_1:
            context.set_ciphers("ALL:@SECLEVEL=0")
        try:
            with (
                socket.create_connection((host, port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=host) as tls,
            ):
                negotiated = tls.version()
            accepted = True
        except (ssl.SSLError, OSError) as error:
            accepted, negotiated = False, type(error).__name__
        check(
            f"TLS {version.name} {'accepted' if expected else 'refused'}",
            accepted == expected,
            str(negotiated),
        )


def check_login_page(base: str) -> None:
    s = session()
    response = s.get(f"{base}/login", headers={"Accept-Encoding": "gzip"}, timeout=10)
    check("login page 200", response.status_code == 200, str(response.status_code))
    check("login page is the app", "<title>Sign in" in response.text)
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    check("HSTS", "max-age=" in headers.get("Strict-Transport-Security", ""))
    check(
        "CSP script hashes",
        "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0],
    )
    check("CSP frame-ancestors", "frame-ancestors 'none'" in csp)
    check("X-Content-Type-Options", headers.get("X-Content-Type-Options") == "nosniff")
    check("Referrer-Policy", bool(headers.get("Referrer-Policy")))
    check(
        "pages gzip",
        headers.get("Content-Encoding") == "gzip",
        headers.get("Content-Encoding", "none"),
    )
    asset = re.search(r'href="(/assets/[^"]+\.css)"', response.text) or re.search(
        r'"(/assets/[^"]+\.js)"', response.text
    )
    if asset:
        a = s.get(base + asset.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10)
        check(
            "hashed asset cached a year, gzip",
            a.status_code == 200
            and "immutable" in a.headers.get("Cache-Control", "")
            and a.headers.get("Content-Encoding") == "gzip",
            f"{a.status_code} {a.headers.get('Cache-Control')} {a.headers.get('Content-Encoding')}",
        )
    else:
        check("hashed asset referenced by the page", False)
    spa = s.get(f"{base}/track/{UNKNOWN_CODE}", timeout=10)
    check("dynamic route /track/CODE served", spa.status_code == 200, str(spa.status_code))
    dotfile = s.get(f"{base}/.csp-script-hashes", timeout=10)
    check("dotfiles hidden", dotfile.status_code == 404, str(dotfile.status_code))


def check_api(base: str) -> None:
    s = session()
    ready = s.get(f"{base}/readyz", timeout=10)
    body = (
        ready.json() if ready.headers.get("Content-Type", "").startswith("application/json") else {}
    )
    checks = body.get("checks", {})
    check(
        "/readyz: database and redis",
        ready.status_code == 200 and checks.get("database") == "ok" and checks.get("redis") == "ok",
        json.dumps(body),
    )
    track = s.get(f"{base}/api/v1/track/{UNKNOWN_CODE}", timeout=10)
    envelope = track.json().get("error", {}) if track.status_code == 404 else {}
    check(
        "GET /api/v1/track/{unknown} -> 404 error envelope",
        track.status_code == 404 and "code" in envelope and "message" in envelope,
        f"{track.status_code} {track.text[:120]}",
    )
    metrics = s.get(f"{base}/metrics", timeout=10)
    check("/metrics not public", metrics.status_code == 404, str(metrics.status_code))


def check_socketio(base: str) -> None:
    import websocket  # websocket-client

    url = base.replace("https://", "wss://") + "/_event/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, sslopt={"cert_reqs": ssl.CERT_NONE}, timeout=10)
    try:
        opened = ws.recv()
        check(
            "Engine.IO open packet over wss://.../_event",
            opened.startswith("0{") and '"sid"' in opened,
            opened[:80],
        )
        started = time.perf_counter()
        ws.send("40")
        connected = ws.recv()
        elapsed = (time.perf_counter() - started) * 1000
        check(
            "Socket.IO connect round trip",
            connected.startswith("40"),
            f"{connected[:60]} in {elapsed:.1f} ms",
        )
    finally:
        ws.close()


def check_browser(base: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        violations: list[str] = []
        errors: list[str] = []
        frames: list[str] = []
        sockets: list[str] = []
        page.on("console", lambda m: (m.type == "error") and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))

        def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
            sockets.append(ws.url)
            ws.on("framereceived", lambda payload: frames.append(str(payload)[:200]))

        page.on("websocket", on_socket)
        page.add_init_script(
            "window.__csp=[];document.addEventListener('securitypolicyviolation',"
            "e=>window.__csp.push(e.violatedDirective+' '+e.blockedURI));"
        )
        started = time.perf_counter()
        page.goto(f"{base}/login", wait_until="load", timeout=30_000)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            '"delta"' in f or "delta" in f for f in frames
        ):
            page.wait_for_timeout(200)
        hydrated_ms = (time.perf_counter() - started) * 1000
        violations = page.evaluate("window.__csp")
        email = page.get_by_label("Email")
        email.fill("dispatcher@example.com")
        check(
            "Chromium: websocket through nginx",
            any(u.startswith("wss://") and "/_event" in u for u in sockets),
            ", ".join(sockets) or "no websocket opened",
        )
        check(
            "Chromium: page hydrated (state delta received over the websocket)",
            any("delta" in f for f in frames),
            f"{len(frames)} frames in {hydrated_ms:.0f} ms",
        )
        check("Chromium: no CSP violations", not violations, "; ".join(violations))
        csp_errors = [e for e in errors if "Content Security Policy" in e]
        check("Chromium: no CSP console errors", not csp_errors, "; ".join(csp_errors)[:300])
        check("Chromium: login form interactive", email.input_value() == "dispatcher@example.com")
        browser.close()


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kwargs)


def check_rate_limit(base: str, source: str) -> None:
    s = session()
    s.mount("https://", SourceAddressAdapter(source))
    statuses: dict[int, int] = {}

    def one(_: int) -> int:
        return s.get(f"{base}/api/v1/track/{UNKNOWN_CODE}", timeout=10).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for status in pool.map(one, range(150)):
            statuses[status] = statuses.get(status, 0) + 1
    check(f"rate limit answers 429 (from {source})", statuses.get(429, 0) > 0, json.dumps(statuses))


def run_checks(args: argparse.Namespace) -> int:
    base = args.base.rstrip("/")
    steps = [
        ("redirect", lambda: check_redirect(base)),
        ("tls", lambda: check_tls(base)),
        ("pages", lambda: check_login_page(base)),
        ("api", lambda: check_api(base)),
        ("socketio", lambda: check_socketio(base)),
        ("browser", lambda: check_browser(base)),
        ("ratelimit", lambda: check_rate_limit(base, args.limited_source)),
    ]
    for name, step in steps:
        if args.only and name not in args.only:
            continue
        print(f"- {name}", flush=True)
        try:
            step()
        except Exception as error:  # one broken check must not hide the others
            check(name, False, f"{type(error).__name__}: {error}")
    print(f"smoke checks: {'all passed' if not failures else 'FAILED: ' + ', '.join(failures)}")
    return 1 if failures else 0


def run_load(args: argparse.Namespace) -> int:
    """Light, steady traffic (pages, API, readiness, a websocket handshake) until --stop-file."""
    base = args.base.rstrip("/")
    stop_file = Path(args.stop_file)
    counts: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds

    def record(key: str, error: str | None = None) -> None:
        with lock:
            counts[key] = counts.get(key, 0) + 1
            if error and len(errors) < 50:
                errors.append(error)

    def worker(n: int) -> None:
        s = session()
        targets = [
            ("GET /login", f"{base}/login", {200}),
            ("GET /readyz", f"{base}/readyz", {200}),
            ("GET /api/v1/track", f"{base}/api/v1/track/{UNKNOWN_CODE}", {404}),
            ("GET /ping", f"{base}/ping", {200}),
        ]
        i = n
        while not stop_file.exists() and time.monotonic() < deadline:
            name, url, ok = targets[i % len(targets)]
            i += 1
            try:
                try:
                    status = s.get(url, timeout=15).status_code
                except requests.ConnectionError:
                    # nginx closes idle keep-alive connections when it reloads (drain/undrain);
                    # a request racing that close on a reused HTTP/1.1 connection is retried
                    # once on a new connection, as browsers do for idempotent requests
                    # (RFC 9112 9.3.1; over HTTP/2 nginx sends GOAWAY instead). Counted.
                    record("retried after a keep-alive close")
                    status = s.get(url, timeout=15).status_code
                if status in ok:
                    record("ok")
                else:
                    record("failed", f"{time.strftime('%H:%M:%S')} {name} -> {status}")
            except Exception as error:
                record("failed", f"{time.strftime('%H:%M:%S')} {name} -> {type(error).__name__}")
            time.sleep(args.pause)

    def websocket_worker() -> None:
        import websocket

        url = base.replace("https://", "wss://") + "/_event/?EIO=4&transport=websocket"
        while not stop_file.exists() and time.monotonic() < deadline:
            try:
                ws = websocket.create_connection(
                    url, sslopt={"cert_reqs": ssl.CERT_NONE}, timeout=15
                )
                opened = ws.recv()
                ws.send("40")
                connected = ws.recv()
                ws.close()
                if opened.startswith("0{") and connected.startswith("40"):
                    record("ok")
                    record("websocket handshakes")
                else:
                    record(
                        "failed", f"websocket handshake answered {opened[:20]!r} {connected[:20]!r}"
                    )
            except Exception as error:
                record(
                    "failed",
                    f"{time.strftime('%H:%M:%S')} websocket -> {type(error).__name__}: {error}",
                )
            time.sleep(1)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.threads)]
    threads.append(threading.Thread(target=websocket_worker, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.max_seconds + 30)
    report = {"counts": counts, "errors": errors}
    Path(args.report).write_text(json.dumps(report, indent=2))
    print(f"load: {json.dumps(counts)}" + (f"; errors: {errors[:10]}" if errors else ""))
    return 1 if counts.get("failed") else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    checks = sub.add_parser("checks")
    checks.add_argument("--base", default="https://localhost")
    checks.add_argument("--limited-source", default="127.0.0.2")
    checks.add_argument("--only", nargs="*")
    load = sub.add_parser("load")
    load.add_argument("--base", default="https://localhost")
    load.add_argument("--stop-file", required=True)
    load.add_argument("--report", required=True)
    load.add_argument("--threads", type=int, default=4)
    load.add_argument("--pause", type=float, default=0.1)
    load.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    return run_checks(args) if args.command == "checks" else run_load(args)


if __name__ == "__main__":
    sys.exit(main())
