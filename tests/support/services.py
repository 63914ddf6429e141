"""Real PostgreSQL and Redis for the test session, never skipped for lack of a service.

Each session gets its own database and key prefix on the machine's servers when they answer
on 127.0.0.1; otherwise it starts throwaway servers from the installed binaries (initdb and
postgres as the `postgres` user, since they refuse to run as root) and stops them at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import redis

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))
STARTUP_TIMEOUT_S = 30


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def admin_conninfo(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname=postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_answers(host: str, port: int, user: str) -> bool:
    try:
        with psycopg.connect(
            f"host={host} port={port} user={user} dbname=postgres", connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL binary {name} not found; run .ci/test-deps")
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    if _postgres_answers(PG_HOST, PG_PORT, PG_USER):
        yield PostgresServer(PG_HOST, PG_PORT, PG_USER)
        return
    workdir = tempfile.mkdtemp(prefix="lai-pg-")
    postgres_user = pwd.getpwnam("postgres")
    os.chown(workdir, postgres_user.pw_uid, postgres_user.pw_gid)
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            *as_postgres,
            _postgres_bin("initdb"),
            "-D",
            f"{workdir}/data",
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *as_postgres,
            _postgres_bin("postgres"),
            "-D",
            f"{workdir}/data",
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            workdir,
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _postgres_answers("127.0.0.1", port, "postgres"):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("throwaway PostgreSQL did not start")
            time.sleep(0.2)
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def create_database(server: PostgresServer, prefix: str = "lai_test") -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(server.admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(server: PostgresServer, name: str) -> None:
    with psycopg.connect(server.admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_answers(host: str, port: int) -> bool:
    try:
        return bool(redis.Redis(host=host, port=port, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Yields a redis:// URL."""
    if _redis_answers(REDIS_HOST, REDIS_PORT):
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found; run .ci/test-deps")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="lai-redis-")
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _redis_answers("127.0.0.1", port):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("throwaway Redis did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def delete_prefix(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)


def kill_bus_subscriptions(redis_url: str, prefix: str) -> int:
    """Close, on the server, every event-bus subscription of the app using `prefix` (the
    bus names its connections, logistics_ai/realtime/bus.py), as a Redis restart would: the
    subscribers reconnect by themselves, and miss what was published meanwhile."""
    client = redis.Redis.from_url(redis_url)
    name = prefix + "bus"
    ids = [c["id"] for c in client.client_list(_type="pubsub") if c.get("name") == name]
    for client_id in ids:
        client.client_kill_filter(_id=client_id)
    return len(ids)
