"""pgBackRest with an S3 repository: the backup, the point-in-time restore and the drill, run
through `make backup`, `make restore TARGET_TIME=...` and `make restore-drill`.

The repository is a real S3 API server (moto's server mode) holding the bucket. pgBackRest
speaks S3 over HTTPS only, and moto's development server ends its TLS connections without a
close_notify, which pgBackRest (OpenSSL 3) rejects ("TLS error ... unexpected eof while
reading"), so nginx terminates TLS in front of it with a throw-away certificate that
pgBackRest verifies (repo1-storage-ca-file). The pgBackRest configuration is rendered from
deploy/ha/pgbackrest.conf.tmpl with the S3 lines in the one-line form compose.ha.yaml takes
(LAI_PGBACKREST_REPO1_S3). The source is a single PostgreSQL archiving to that repository.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import boto3
import psycopg
import pytest

from tests.chaos.conftest import figure
from tests.chaos.stack import ROOT, chown_postgres, render, wait_for
from tests.support.services import free_port

sys.path.insert(0, str(ROOT / "deploy" / "backup"))
import restore_drill

STANZA = "lai"
BUCKET = "lai-backups"
KEY, SECRET = "chaos-key", "chaos-secret"


@dataclass
class S3Repo:
    root: Path
    config: Path
    source: str  # libpq conninfo of the source database "lai"
    client: object  # boto3 S3 client on the same endpoint, for checking what is stored

    def make(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "PGBACKREST_CONFIG": str(self.config),
            "PGBACKREST_STANZA": STANZA,
            "DRILL_SOURCE_CONNINFO": self.source,
            "POSTGRES_DB": "lai",
        }
        return subprocess.run(
            ["make", "-s", *args], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip


def _spawn(args: list[str], log: Path, *, as_postgres: bool = False) -> subprocess.Popen:
    prefix = restore_drill._as_postgres() if as_postgres else []
    with log.open("ab") as out:
        return subprocess.Popen(
            [*prefix, *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _tls_front(home: Path, upstream: int) -> tuple[int, Path, list[str]]:
    """nginx terminating TLS for localhost in front of the plain-HTTP S3 server."""
    key, cert = home / "key.pem", home / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    cert.chmod(0o644)
    port = free_port()
    conf = home / "nginx.conf"
    conf.write_text(
        f"""daemon off;
pid {home}/nginx.pid;
error_log {home}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {home}/body;
  proxy_temp_path {home}/proxy;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $http_host;
      proxy_request_buffering off;
      proxy_http_version 1.1;
    }}
  }}
}}
"""
    )
    return port, cert, ["/usr/sbin/nginx", "-p", str(home), "-c", str(conf)]


@pytest.fixture(scope="module")
def s3_repo() -> Iterator[S3Repo]:
    from moto.server import ThreadedMotoServer

    root = Path(tempfile.mkdtemp(prefix="lai-chaos-s3-"))
    root.chmod(0o755)
    procs: list[subprocess.Popen] = []
    moto_port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    try:
        tls_port, cert, nginx = _tls_front(root, moto_port)
        subprocess.run([*nginx, "-t"], check=True, capture_output=True)
        procs.append(_spawn(nginx, root / "nginx.log"))
        client = boto3.client(
            "s3",
            endpoint_url=f"https://localhost:{tls_port}",
            region_name="us-east-1",
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            verify=str(cert),
        )
        wait_for("S3 through TLS", lambda: client.create_bucket(Bucket=BUCKET), 20)

        pg_port, data, lock = free_port(), root / "pg" / "data", root / "lock"
        config = root / "pgbackrest.conf"
        s3_lines = "\\n".join(
            [
                f"repo1-s3-bucket={BUCKET}",
                "repo1-s3-endpoint=localhost",
                f"repo1-storage-port={tls_port}",
                "repo1-s3-region=us-east-1",
                "repo1-s3-uri-style=path",
                f"repo1-s3-key={KEY}",
                f"repo1-s3-key-secret={SECRET}",
                f"repo1-storage-ca-file={cert}",
            ]
        )
        config.write_text(
            render(
                "pgbackrest.conf.tmpl",
                {
                    "PGBACKREST_REPO1_TYPE": "s3",
                    "PGBACKREST_REPO1_PATH": "/lai",
                    "PGBACKREST_RETENTION_FULL": "2",
                    "PGBACKREST_RETENTION_DIFF": "6",
                    "LAI_PGBACKREST_REPO1_S3": s3_lines,
                    "PGBACKREST_LOCK_PATH": str(lock),
                    "PGBACKREST_STANZA": STANZA,
                    "LAI_PGBACKREST_PG_HOSTS": (
                        f"pg1-path={data}\\npg1-port={pg_port}\\npg1-socket-path={root / 'pg'}"
                    ),
                },
            )
        )
        config.chmod(0o600)
        lock.mkdir()
        (root / "pg").mkdir()
        chown_postgres(root / "pg")
        chown_postgres(lock)
        chown_postgres(config)
        subprocess.run(
            [*restore_drill._as_postgres(), restore_drill._pg_bin("initdb"), "-D", str(data),
             "-A", "trust", "-U", "postgres"],
            check=True, capture_output=True,
        )  # fmt: skip
        postgres = _spawn(
            [
                restore_drill._pg_bin("postgres"), "-D", str(data), "-p", str(pg_port),
                "-c", "listen_addresses=", "-c", f"unix_socket_directories={root / 'pg'}",
                "-c", "wal_level=replica", "-c", "archive_mode=on", "-c", "archive_timeout=60",
                "-c", f"archive_command=pgbackrest --config={config} --stanza={STANZA} "
                "archive-push %p",
            ],
            root / "postgres.log",
            as_postgres=True,
        )  # fmt: skip
        procs.append(postgres)
        admin = f"host={root / 'pg'} port={pg_port} user=postgres dbname=postgres"
        conn = wait_for("PostgreSQL", lambda: psycopg.connect(admin, autocommit=True), 30)
        with conn:
            conn.execute("CREATE DATABASE lai")
        restore_drill.pgbackrest(str(config), STANZA, "stanza-create", timeout=120)
        yield S3Repo(root, config, admin.replace("dbname=postgres", "dbname=lai"), client)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        moto.stop()
        shutil.rmtree(root, ignore_errors=True)


def _stored_keys(repo: S3Repo) -> list[str]:
    pages = repo.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)  # type: ignore[attr-defined]
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_backup_and_point_in_time_restore_from_s3(s3_repo: S3Repo) -> None:
    with psycopg.connect(s3_repo.source, autocommit=True) as conn:
        conn.execute("CREATE TABLE marks (id serial PRIMARY KEY, label text)")
    backup = s3_repo.make("backup", "BACKUP_TYPE=full")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    done = [line for line in backup.stdout.splitlines() if line.startswith("lai-backup:")]
    figure("make backup BACKUP_TYPE=full to S3", done[0] if done else "?")
    keys = _stored_keys(s3_repo)
    assert any(k.startswith("lai/backup/lai/") and k.endswith("backup.manifest") for k in keys)
    assert any(k.startswith("lai/archive/lai/") and "/0000" in k for k in keys), keys

    time.sleep(1.0)  # backup stop times have whole seconds: the target must come after it
    with psycopg.connect(s3_repo.source, autocommit=True) as conn:
        conn.execute("INSERT INTO marks (label) VALUES ('before-target')")
    target, expected = restore_drill.snapshot(s3_repo.source)
    time.sleep(1.0)
    with psycopg.connect(s3_repo.source, autocommit=True) as conn:
        conn.execute("INSERT INTO marks (label) VALUES ('after-target')")
    # Switch WAL and wait until it is in the bucket (what the drill does too).
    restore_drill.pgbackrest(str(s3_repo.config), STANZA, "check", timeout=120)

    target_text = target.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    pgdata = s3_repo.root / "restored"
    restore = s3_repo.make("restore", f"TARGET_TIME={target_text}", f"RESTORE_PGDATA={pgdata}")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    port = int(restore.stdout.split("runs on port ")[1].split(",")[0])
    try:
        with psycopg.connect(f"host={pgdata} port={port} user=postgres dbname=lai") as conn:
            labels = [r[0] for r in conn.execute("SELECT label FROM marks ORDER BY id")]
            actual = restore_drill.table_checksums(conn)
    finally:
        subprocess.run(
            [*restore_drill._as_postgres(), restore_drill._pg_bin("pg_ctl"), "stop", "-D",
             str(pgdata), "-m", "fast", "-w"],
            capture_output=True, timeout=60,
        )  # fmt: skip
    figure(
        "make restore TARGET_TIME=... from S3",
        restore.stdout.strip().splitlines()[-1].split(";")[0],
    )
    assert labels == ["before-target"]
    assert actual == expected


def test_restore_drill_from_s3_matches(s3_repo: S3Repo) -> None:
    with psycopg.connect(s3_repo.source, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS marks (id serial PRIMARY KEY, label text)")
        conn.execute("INSERT INTO marks (label) SELECT 'row ' || g FROM generate_series(1, 500) g")
    # The daily kind (make backup's default): a differential on top of the last full, or a
    # full when the test runs alone. The drill then restores through both.
    backup = s3_repo.make("backup")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    labels = {k.split("/")[3] for k in _stored_keys(s3_repo) if k.startswith("lai/backup/lai/2")}
    if any(label.endswith("F") for label in labels - {max(labels)}):
        assert "lai-backup: diff backup finished" in backup.stdout, backup.stdout
        assert max(labels).endswith("D"), labels  # stored as a differential in the bucket
    done = [line for line in backup.stdout.splitlines() if line.startswith("lai-backup:")]
    figure("make backup (default kind) to S3", f"{done[0] if done else '?'}; label {max(labels)}")
    started = time.monotonic()
    drill = s3_repo.make("restore-drill", timeout=600)
    figure(
        "make restore-drill from S3",
        f"exit {drill.returncode} in {time.monotonic() - started:.1f} s; "
        + "; ".join(line.split(": ", 1)[1] for line in drill.stdout.splitlines()[1:3]),
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert ": MATCH" in drill.stdout
