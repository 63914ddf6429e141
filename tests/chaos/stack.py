"""The HA data tier as native processes, from the Debian packages, for the chaos tests.

etcd x3 -> Patroni x2 (PostgreSQL 15 leader + synchronous replica) -> HAProxy (leader by
Patroni's REST health check) -> PgBouncer (transaction mode) -> the app; pgBackRest archives
WAL from whichever member leads. Redis primary + replica + 3 Sentinels. App replicas are the
real API app under granian. Every config comes from deploy/ha/*.tmpl, the same templates the
compose stack renders. Each process runs in its own process group so a "node" can be killed
with SIGKILL as a whole (Patroni and its postmaster and backends), like a crashed host.

Why native processes and not the compose stack: no image registry is reachable here, the
container smoke already takes ~6 minutes to build stand-in images, and killing a process
group is the same fault as killing a container's init, measured without Docker's overhead.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "ha"))
from render import render  # noqa: E402

PG_BIN = (
    sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    if Path("/usr/lib/postgresql").exists()
    else Path("/usr/lib/postgresql/15/bin")
)
SUPERUSER_PASSWORD = "chaos-" + secrets.token_hex(8)
REPLICATION_PASSWORD = "repl-" + secrets.token_hex(8)
APP_PASSWORD = "app-" + secrets.token_hex(8)
REDIS_PASSWORD = "redis-" + secrets.token_hex(8)
STANZA = "lai"


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, interval_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # the thing is not up yet
            last = error
        time.sleep(interval_s)
    raise TimeoutError(f"{what} not ready after {timeout_s} s (last error: {last!r})")


@dataclass
class Proc:
    name: str
    args: list[str]
    log: Path
    env: dict[str, str] | None = None
    as_postgres: bool = False
    popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        prefix: list[str] = []
        if self.as_postgres and os.geteuid() == 0:
            prefix = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            [*prefix, *self.args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # its own process group: kill() takes its children too
        )
        handle.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Member:
    name: str
    pg_port: int
    rest_port: int
    home: Path
    proc: Proc | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_node(self) -> None:
        """SIGKILL Patroni and PostgreSQL (Patroni starts the postmaster in its own session,
        so both groups are killed: the postmaster's backends exit when it dies)."""
        postmaster = self.postmaster_pid()
        if self.proc is not None:
            self.proc.kill()
        if postmaster:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(postmaster), signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGKILL)

    def rest(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.rest_port}{path}", timeout=2) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None


@dataclass
class Stack:
    root: Path
    procs: list[Proc] = field(default_factory=list)
    etcd_ports: list[int] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    haproxy_port: int = 0
    haproxy_replica_port: int = 0
    pgbouncer_port: int = 0
    redis_ports: list[int] = field(default_factory=list)
    redis_procs: dict[int, Proc] = field(default_factory=dict)
    sentinel_ports: list[int] = field(default_factory=list)
    scope: str = ""
    pgbackrest_conf: Path = Path()

    # --- generic -------------------------------------------------------------------------
    def spawn(
        self,
        name: str,
        args: list[str],
        env: dict[str, str] | None = None,
        *,
        as_postgres: bool = False,
    ) -> Proc:
        proc = Proc(name, args, self.root / "logs" / f"{name}.log", env, as_postgres).start()
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.kill(signal.SIGTERM if proc.name.startswith("pg") else signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.procs)

    # --- etcd ----------------------------------------------------------------------------
    def start_etcd(self) -> None:
        peers = [free_port() for _ in range(3)]
        self.etcd_ports = [free_port() for _ in range(3)]
        cluster = ",".join(f"e{i}=http://127.0.0.1:{p}" for i, p in enumerate(peers))
        for i, (client, peer) in enumerate(zip(self.etcd_ports, peers, strict=True)):
            self.spawn(
                f"etcd{i}",
                [
                    "etcd", "--name", f"e{i}", "--data-dir", str(self.root / f"etcd{i}"),
                    "--listen-client-urls", f"http://127.0.0.1:{client}",
                    "--advertise-client-urls", f"http://127.0.0.1:{client}",
                    "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                    "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                    "--initial-cluster", cluster, "--initial-cluster-state", "new",
                    "--initial-cluster-token", self.scope, "--log-level", "warn",
                ],
            )  # fmt: skip
        endpoints = ",".join(f"127.0.0.1:{p}" for p in self.etcd_ports)

        def healthy() -> bool:
            result = subprocess.run(
                ["etcdctl", "--endpoints", endpoints, "endpoint", "health"],
                capture_output=True, text=True, timeout=10,
                env={**os.environ, "ETCDCTL_API": "3"},
            )  # fmt: skip
            return result.returncode == 0

        wait_for("etcd cluster", healthy, 30)

    # --- PostgreSQL (Patroni) --------------------------------------------------------------
    def archive_command(self) -> str:
        # One command for every member (Patroni keeps it in the DCS); each member's config
        # comes from PGBACKREST_CONFIG in its environment, as in the compose images.
        return f"'pgbackrest --stanza={STANZA} archive-push \"%p\"'"

    def _pgbackrest_conf(self, path: Path, members: list[Member], lock: Path) -> None:
        hosts = "\n".join(
            f"pg{n}-path={m.data_dir}\npg{n}-port={m.pg_port}\npg{n}-socket-path={m.home}"
            for n, m in enumerate(members, start=1)
        )
        lock.mkdir(parents=True, exist_ok=True)
        path.write_text(
            render(
                "pgbackrest.conf.tmpl",
                {
                    "PGBACKREST_REPO1_TYPE": "posix",
                    "PGBACKREST_REPO1_PATH": str(self.root / "pgbackrest" / "repo"),
                    "PGBACKREST_RETENTION_FULL": "2",
                    "PGBACKREST_RETENTION_DIFF": "6",
                    "LAI_PGBACKREST_REPO1_S3": "",
                    "PGBACKREST_LOCK_PATH": str(lock),
                    "PGBACKREST_STANZA": STANZA,
                    "LAI_PGBACKREST_PG_HOSTS": hosts,
                },
            )
        )

    def write_pgbackrest_conf(self) -> None:
        """As in compose: each member archives its own WAL with a config naming only itself;
        backups and restores use one config naming both (pgBackRest finds the leader)."""
        (self.root / "pgbackrest" / "repo").mkdir(parents=True, exist_ok=True)
        self._pgbackrest_conf(self.pgbackrest_conf, self.members, self.root / "pgbackrest" / "lock")
        for member in self.members:
            self._pgbackrest_conf(member.home / "pgbackrest.conf", [member], member.home / "lock")
            chown_postgres(member.home)
        chown_postgres(self.root / "pgbackrest")
        chown_postgres(self.pgbackrest_conf)

    def patroni_config(self, member: Member) -> Path:
        values = {
            "PATRONI_SCOPE": self.scope,
            "PATRONI_NAME": member.name,
            "PATRONI_RESTAPI_LISTEN": f"127.0.0.1:{member.rest_port}",
            "PATRONI_RESTAPI_CONNECT": f"127.0.0.1:{member.rest_port}",
            "ETCD_HOSTS": ",".join(f"127.0.0.1:{p}" for p in self.etcd_ports),
            "PATRONI_TTL": "10",
            "PATRONI_LOOP_WAIT": "2",
            "PATRONI_RETRY_TIMEOUT": "3",
            "PATRONI_SYNCHRONOUS_MODE": "true",
            "PATRONI_POST_INIT": "/bin/true",  # create_app_database() does it here
            "ARCHIVE_COMMAND": self.archive_command(),
            "REPLICATION_USER": "replicator",
            "PG_HBA_NETWORK": "127.0.0.1/32",
            "PG_LISTEN": f"127.0.0.1:{member.pg_port}",
            "PG_CONNECT": f"127.0.0.1:{member.pg_port}",
            "PG_DATA": str(member.data_dir),
            "PG_BIN": str(PG_BIN),
            "PG_PGPASS": str(member.home / "pgpass"),
            "PG_SOCKET_DIR": str(member.home),
            "POSTGRES_SUPERUSER_PASSWORD": SUPERUSER_PASSWORD,
            "REPLICATION_PASSWORD": REPLICATION_PASSWORD,
        }
        path = member.home / "patroni.yml"
        path.write_text(render("patroni.yml.tmpl", values))
        chown_postgres(path)
        return path

    def start_member(self, member: Member) -> None:
        config = self.patroni_config(member)
        env = {
            **os.environ,
            "HOME": str(member.home),
            "PATH": f"{PG_BIN}:{os.environ['PATH']}",
            "PGBACKREST_CONFIG": str(member.home / "pgbackrest.conf"),
        }
        member.proc = self.spawn(member.name, ["patroni", str(config)], env, as_postgres=True)

    def start_postgres(self) -> None:
        for name in ("pg1", "pg2"):
            home = self.root / name
            home.mkdir()
            chown_postgres(home)
            os.chmod(home, 0o700)
            self.members.append(Member(name, free_port(), free_port(), home))
        self.pgbackrest_conf = self.root / "pgbackrest.conf"
        self.write_pgbackrest_conf()
        self.start_member(self.members[0])
        wait_for("the first Patroni leader", lambda: self.leader() is self.members[0], 60)
        self.start_member(self.members[1])
        self.wait_sync_standby(90)

    def leader(self) -> Member | None:
        for member in self.members:
            try:
                if member.proc and member.proc.alive and member.rest("/primary")[0] == 200:
                    return member
            except OSError:
                continue
        return None

    def cluster(self) -> dict[str, Any]:
        for member in self.members:
            try:
                status, body = member.rest("/cluster")
                if status == 200:
                    return body
            except OSError:
                continue
        return {}

    def wait_sync_standby(self, timeout_s: float) -> None:
        def ready() -> bool:
            members = self.cluster().get("members", [])
            roles = {m["role"]: m for m in members}
            sync = roles.get("sync_standby")
            return (
                "leader" in roles
                and sync is not None
                and sync.get("state") in ("streaming", "running")
            )

        wait_for("leader + streaming synchronous standby", ready, timeout_s, 0.5)

    def superuser_conninfo(self, port: int | None = None, dbname: str = "postgres") -> str:
        return (
            f"host=127.0.0.1 port={port or self.haproxy_port} user=postgres "
            f"password={SUPERUSER_PASSWORD} dbname={dbname} connect_timeout=3"
        )

    # --- HAProxy and PgBouncer -------------------------------------------------------------
    def start_haproxy(self) -> None:
        self.haproxy_port, self.haproxy_replica_port = free_port(), free_port()
        servers = "\n".join(
            f"    server {m.name} 127.0.0.1:{m.pg_port} maxconn 200 check port {m.rest_port}"
            for m in self.members
        )
        config = self.root / "haproxy.cfg"
        config.write_text(
            render(
                "haproxy.cfg.tmpl",
                {
                    "HAPROXY_PRIMARY_BIND": f"127.0.0.1:{self.haproxy_port}",
                    "HAPROXY_REPLICA_BIND": f"127.0.0.1:{self.haproxy_replica_port}",
                    "HAPROXY_STATS_BIND": f"127.0.0.1:{free_port()}",
                    "HAPROXY_PRIMARY_SERVERS": servers,
                    "HAPROXY_REPLICA_SERVERS": servers,
                },
            )
        )
        subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=True, timeout=20)
        self.spawn("haproxy", ["haproxy", "-db", "-f", str(config)])
        # HAProxy starts with every server up until its first checks: wait for the leader only.
        wait_for("HAProxy -> leader", self.haproxy_reaches_leader, 30)

    def haproxy_reaches_leader(self) -> bool:
        for _ in range(4):  # several connections: none may land on a replica
            with psycopg.connect(self.superuser_conninfo()) as conn:
                if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return False
        return True

    def create_app_database(self) -> None:
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE lai LOGIN PASSWORD '{APP_PASSWORD}'")
            conn.execute("CREATE DATABASE lai OWNER lai")

    def start_pgbouncer(self) -> None:
        self.pgbouncer_port = free_port()
        home = self.root / "pgbouncer"
        home.mkdir()
        (home / "userlist.txt").write_text(
            f'"lai" "{APP_PASSWORD}"\n"postgres" "{SUPERUSER_PASSWORD}"\n'
        )
        (home / "pgbouncer.ini").write_text(
            render(
                "pgbouncer.ini.tmpl",
                {
                    "PGBOUNCER_TARGET_HOST": "127.0.0.1",
                    "PGBOUNCER_TARGET_PORT": str(self.haproxy_port),
                    "PGBOUNCER_LISTEN_ADDR": "127.0.0.1",
                    "PGBOUNCER_PORT": str(self.pgbouncer_port),
                    "PGBOUNCER_AUTH_FILE": str(home / "userlist.txt"),
                    "PGBOUNCER_LOGFILE": str(home / "pgbouncer.log"),
                    "PGBOUNCER_PIDFILE": str(home / "pgbouncer.pid"),
                },
            )
        )
        chown_postgres(home)
        self.spawn(
            "pgbouncer", ["/usr/sbin/pgbouncer", str(home / "pgbouncer.ini")], as_postgres=True
        )
        wait_for(
            "PgBouncer",
            lambda: psycopg.connect(self.app_conninfo(), prepare_threshold=None).close() or True,
            30,
        )

    def app_conninfo(self) -> str:
        return (
            f"host=127.0.0.1 port={self.pgbouncer_port} user=lai password={APP_PASSWORD} "
            "dbname=lai connect_timeout=3"
        )

    def app_database_url(self, *, direct: bool = False) -> str:
        port = self.haproxy_port if direct else self.pgbouncer_port
        return f"postgresql+psycopg://lai:{APP_PASSWORD}@127.0.0.1:{port}/lai"

    # --- pgBackRest --------------------------------------------------------------------------
    def pgbackrest(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = (
            ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
            if os.geteuid() == 0
            else []
        )
        command = ["pgbackrest", f"--config={self.pgbackrest_conf}", f"--stanza={STANZA}"]
        return subprocess.run(
            [*prefix, *command, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # --- Redis + Sentinel --------------------------------------------------------------------
    def start_redis_server(self, port: int, replica_of: int | None = None) -> Proc:
        home = self.root / f"redis{port}"
        home.mkdir(exist_ok=True)
        args = [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
            "--save", "", "--appendonly", "no", "--requirepass", REDIS_PASSWORD,
            "--masterauth", REDIS_PASSWORD, "--repl-diskless-sync-delay", "0",
        ]  # fmt: skip
        if replica_of:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        proc = self.spawn(f"redis{port}", args)
        self.redis_procs[port] = proc
        return proc

    def start_redis(self) -> None:
        self.redis_ports = [free_port(), free_port()]
        self.start_redis_server(self.redis_ports[0])
        self.start_redis_server(self.redis_ports[1], replica_of=self.redis_ports[0])
        import redis

        replica = redis.Redis(port=self.redis_ports[1], password=REDIS_PASSWORD)
        wait_for(
            "Redis replica in sync",
            lambda: replica.info("replication").get("master_link_status") == "up",
            30,
        )
        self.sentinel_ports = [free_port() for _ in range(3)]
        for port in self.sentinel_ports:
            home = self.root / f"sentinel{port}"
            home.mkdir()
            (home / "sentinel.conf").write_text(
                render(
                    "sentinel.conf.tmpl",
                    {
                        "SENTINEL_PORT": str(port),
                        "SENTINEL_BIND": "127.0.0.1",
                        "SENTINEL_DIR": str(home),
                        "REDIS_MASTER_NAME": self.scope,
                        "REDIS_PRIMARY_HOST": "127.0.0.1",
                        "REDIS_PRIMARY_PORT": str(self.redis_ports[0]),
                        "REDIS_PASSWORD": REDIS_PASSWORD,
                        "SENTINEL_DOWN_AFTER_MS": "1000",
                    },
                )
            )
            self.spawn(f"sentinel{port}", ["redis-sentinel", str(home / "sentinel.conf")])

        def sentinels_agree() -> bool:
            for port in self.sentinel_ports:
                info = redis.Redis(port=port).info("sentinel")
                master = info.get("master0", {})
                if (
                    master.get("status") != "ok"
                    or master.get("sentinels", 0) < 3
                    or master.get("slaves", 0) < 1
                ):
                    return False
            return True

        wait_for(
            "3 Sentinels that see the primary, the replica and each other", sentinels_agree, 30, 0.5
        )

    def redis_primary_port(self) -> int:
        import redis

        _host, port = redis.Redis(port=self.sentinel_ports[0]).sentinel_get_master_addr_by_name(
            self.scope
        )
        return int(port)

    def redis_env(self, prefix: str) -> dict[str, str]:
        return {
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.redis_ports[0]}/0",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports),
            "REDIS_SENTINEL_MASTER": self.scope,
            "REDIS_KEY_PREFIX": prefix,
        }

    # --- the app -----------------------------------------------------------------------------
    def app_env(self, prefix: str = "lai-chaos:") -> dict[str, str]:
        env = {
            **os.environ,
            "APP_ENV": "dev",
            "SEED_DEMO": "false",
            "DATABASE_URL": self.app_database_url(),
            "DB_PGBOUNCER": "true",
            "DB_POOL_TIMEOUT": "5",
            "LOG_JSON": "true",
            "RATE_LIMIT_API_PER_PRINCIPAL": "100000",
            "RATE_LIMIT_AUTH_PER_IP": "100000",
            "RATE_LIMIT_AUTH_PER_ACCOUNT": "100000",
        }
        if self.sentinel_ports:
            env.update(self.redis_env(prefix))
        return env

    def start_app(self, name: str, env: dict[str, str] | None = None) -> tuple[Proc, int]:
        port = free_port()
        proc = self.spawn(
            name,
            [
                str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-log",
                "logistics_ai.api.app:create_api",
            ],
            env or self.app_env(),
        )  # fmt: skip

        def answers() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200

        wait_for(f"app {name}", answers, 60)
        return proc, port


def chown_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam("postgres")
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chown(item, user.pw_uid, user.pw_gid)


def new_stack() -> Stack:
    root = Path(tempfile.mkdtemp(prefix="lai-chaos-"))
    os.chmod(root, 0o755)
    (root / "logs").mkdir()
    return Stack(root=root, scope="lai" + secrets.token_hex(3))
