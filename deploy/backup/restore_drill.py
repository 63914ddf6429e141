"""Point-in-time restore and the restore drill, on top of pgBackRest (never a home-made copy).

    restore_drill.py drill   --config C --stanza S --source CONNINFO [--dbname lai]
    restore_drill.py restore --config C --stanza S --target-time "2026-11-30 08:00:00+00" \
                             --pgdata /var/lib/postgresql/restore [--port 5499]

drill: takes per-table row counts and checksums of the source in one snapshot, notes the
time, makes sure the WAL up to then is archived (`pgbackrest check`), restores the latest
backup plus WAL to exactly that time into a scratch directory, starts it on a free port,
compares every table, and prints RPO and RTO. Exit 0 only when every table matches.

restore: the `make restore TARGET_TIME=...` step: restores into PGDATA (which must be empty)
and starts PostgreSQL there, promoted at the target time, for inspection or cut-over (see
docs/operations.md#restore for putting it back under Patroni).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

Checksums = dict[str, tuple[int, str]]


def _as_postgres() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def table_checksums(conn: psycopg.Connection) -> Checksums:
    """Row count and an order-independent checksum of every table of the public schema."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    ]
    result: Checksums = {}
    for table in tables:
        count, digest = conn.execute(
            f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') FROM \"{table}\" t"  # noqa: E501
        ).fetchone()  # type: ignore[misc]
        result[table] = (int(count), str(digest))
    return result


def snapshot(conninfo: str, restore_point: str | None = None) -> tuple[datetime, Checksums]:
    """Checksums of one consistent snapshot, and a time every commit in it happened before.

    With `restore_point`, the first statement of the snapshot also writes a named restore
    point into the WAL: every commit the snapshot sees lies before it, so recovery to that
    name reproduces the snapshot exactly, even when nothing is committed afterwards (a time
    target needs a later commit to know it has been reached). Needs a superuser.
    """
    with psycopg.connect(conninfo) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        # The snapshot is taken by this first statement; commits after it are later than it.
        if restore_point:
            conn.execute("SELECT pg_create_restore_point(%s)", (restore_point,))
        target = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        checksums = table_checksums(conn)
        conn.execute("COMMIT")
    return target, checksums


def archive_lag_seconds(conninfo: str) -> float | None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - last_archived_time) FROM pg_stat_archiver"
        ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def pgbackrest(config: str, stanza: str, *args: str, timeout: float = 1800) -> str:
    result = subprocess.run(
        [*_as_postgres(), "pgbackrest", f"--config={config}", f"--stanza={stanza}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pgbackrest {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Restored:
    pgdata: Path
    port: int
    server: subprocess.Popen
    seconds_to_ready: float

    def conninfo(self, dbname: str) -> str:
        return f"host={self.pgdata} port={self.port} user=postgres dbname={dbname}"

    def stop(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()


def restore_to_time(
    config: str,
    stanza: str,
    target: datetime | str,
    pgdata: Path,
    port: int | None = None,
    target_type: str = "time",
) -> Restored:
    """pgBackRest restore (latest backup + WAL) to `target` (a time, or a restore point with
    target_type="name"), then start PostgreSQL there and wait for its promotion."""
    started = time.monotonic()
    pgdata.mkdir(parents=True, exist_ok=True)
    if any(pgdata.iterdir()):
        raise SystemExit(f"{pgdata} is not empty: restore into an empty directory")
    if os.geteuid() == 0:
        shutil.chown(pgdata, "postgres", "postgres")
    os.chmod(pgdata, 0o700)
    # pgBackRest reads "YYYY-MM-DD HH:MM:SS.ffffff+00" (an explicit UTC offset, no colon).
    target_text = (
        target.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        if isinstance(target, datetime)
        else target
    )
    pgbackrest(
        config,
        stanza,
        f"--pg1-path={pgdata}",
        f"--type={target_type}",
        f"--target={target_text}",
        "--target-action=promote",
        "--archive-mode=off",  # the copy must never archive into the production repository
        "restore",
    )
    port = port or free_port()
    server = subprocess.Popen(
        [
            *_as_postgres(),
            _pg_bin("postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(port),
            "-c",
            "listen_addresses=",
            "-c",
            f"unix_socket_directories={pgdata}",
            "-c",
            "archive_mode=off",
            "-c",
            "cluster_name=restore-drill",
            "-c",
            f"hba_file={pgdata}/pg_hba.conf",
            "-c",
            f"ident_file={pgdata}/pg_ident.conf",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(pgdata.parent / f"{pgdata.name}.log", "ab"),  # noqa: SIM115
    )
    restored = Restored(pgdata, port, server, 0.0)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"restored PostgreSQL exited; see {pgdata.parent / pgdata.name}.log")
        try:
            with psycopg.connect(restored.conninfo("postgres"), connect_timeout=2) as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:  # type: ignore[index]
                    restored.seconds_to_ready = time.monotonic() - started
                    return restored
        except psycopg.Error:
            pass
        time.sleep(0.2)
    restored.stop()
    raise TimeoutError("the restored cluster did not finish recovery within 10 minutes")


@dataclass
class DrillReport:
    target: datetime
    rto_s: float
    rpo_s: float | None
    mismatches: dict[str, tuple[tuple[int, str], tuple[int, str] | None]]
    tables: int
    rows: int

    def lines(self) -> list[str]:
        rpo = "unknown (nothing archived yet)" if self.rpo_s is None else f"{self.rpo_s:.1f} s"
        verdict = "MATCH" if not self.mismatches else f"MISMATCH in {sorted(self.mismatches)}"
        return [
            f"restore drill: target time {self.target.isoformat()}",
            f"restore drill: {self.tables} tables, {self.rows} rows compared: {verdict}",
            f"restore drill: RTO {self.rto_s:.1f} s (restore + WAL replay + promotion)",
            f"restore drill: RPO {rpo} (WAL archive lag at the drill; archive_timeout bounds it;"
            " failover to the synchronous replica loses nothing)",
        ]


def drill(config: str, stanza: str, source: str, dbname: str, keep: bool = False) -> DrillReport:
    rpo = archive_lag_seconds(source)
    point = f"lai-drill-{int(time.time())}"
    target, expected = snapshot(source, restore_point=point)
    pgbackrest(config, stanza, "check")  # switches WAL and waits until it is archived
    scratch = Path(tempfile.mkdtemp(prefix="lai-restore-drill-"))
    os.chmod(scratch, 0o755)
    restored = restore_to_time(config, stanza, point, scratch / "data", target_type="name")
    try:
        with psycopg.connect(restored.conninfo(dbname)) as conn:
            actual = table_checksums(conn)
    finally:
        if not keep:
            restored.stop()
            shutil.rmtree(scratch, ignore_errors=True)
    mismatches = {
        table: (want, actual.get(table))
        for table, want in expected.items()
        if actual.get(table) != want
    }
    return DrillReport(
        target=target,
        rto_s=restored.seconds_to_ready,
        rpo_s=rpo,
        mismatches=mismatches,
        tables=len(expected),
        rows=sum(count for count, _ in expected.values()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["drill", "restore"])
    parser.add_argument(
        "--config", default=os.environ.get("PGBACKREST_CONFIG", "/etc/pgbackrest/pgbackrest.conf")
    )
    parser.add_argument("--stanza", default=os.environ.get("PGBACKREST_STANZA", "lai"))
    parser.add_argument("--source", default=os.environ.get("DRILL_SOURCE_CONNINFO", ""))
    parser.add_argument("--dbname", default=os.environ.get("POSTGRES_DB", "logistics"))
    parser.add_argument("--target-time", default=os.environ.get("TARGET_TIME", ""))
    parser.add_argument("--pgdata", default=os.environ.get("RESTORE_PGDATA", ""))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RESTORE_PORT", "0")))
    parser.add_argument("--keep", action="store_true", help="leave the drill's copy running")
    args = parser.parse_args(argv)
    if args.command == "drill":
        if not args.source:
            parser.error("drill needs --source (libpq conninfo of the production database)")
        report = drill(args.config, args.stanza, args.source, args.dbname, keep=args.keep)
        print("\n".join(report.lines()))
        return 0 if not report.mismatches else 1
    if not args.target_time or not args.pgdata:
        parser.error("restore needs --target-time (TARGET_TIME) and --pgdata (RESTORE_PGDATA)")
    restored = restore_to_time(
        args.config, args.stanza, args.target_time, Path(args.pgdata), args.port or None
    )
    print(
        f"restored to {args.target_time} in {restored.seconds_to_ready:.1f} s; PostgreSQL "
        f"runs on port {restored.port}, socket {restored.pgdata} (pid {restored.server.pid})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
