"""pgBackRest point-in-time restore between two known writes, with the drill's own checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.chaos.conftest import figure
from tests.chaos.stack import ROOT, STANZA, Stack

sys.path.insert(0, str(ROOT / "deploy" / "backup"))
import restore_drill


def test_restore_to_a_time_between_two_writes(stack: Stack) -> None:
    source = stack.superuser_conninfo(dbname="lai")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS chaos_marks (id serial PRIMARY KEY, label text)")
    metrics_dir = Path(tempfile.mkdtemp(prefix="lai-chaos-textfile-"))
    backup = subprocess.run(
        ["make", "-s", "backup", "BACKUP_TYPE=full"],
        cwd=ROOT,
        env={
            **os.environ,
            "PGBACKREST_CONFIG": str(stack.pgbackrest_conf),
            "PGBACKREST_STANZA": STANZA,
            "BACKUP_METRICS_DIR": str(metrics_dir),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert backup.returncode == 0, backup.stdout + backup.stderr
    written = (metrics_dir / "lai_backup_full.prom").read_text()
    shutil.rmtree(metrics_dir)
    stamp = float(written.split("lai_backup_last_success_timestamp_seconds{")[1].split()[1])
    assert abs(stamp - time.time()) < 120
    done = [line for line in backup.stdout.splitlines() if line.startswith("lai-backup:")]
    figure("make backup BACKUP_TYPE=full", done[0] if done else "?")
    time.sleep(1.0)  # backup stop times have whole seconds: the target must come after it
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("INSERT INTO chaos_marks (label) VALUES ('before-target')")
    target, expected = restore_drill.snapshot(source)
    time.sleep(1.0)  # commit timestamps of the second write are clearly after the target
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("INSERT INTO chaos_marks (label) VALUES ('after-target')")
    lag = restore_drill.archive_lag_seconds(source)
    restore_drill.pgbackrest(str(stack.pgbackrest_conf), STANZA, "check")

    scratch = Path(tempfile.mkdtemp(prefix="lai-chaos-restore-"))
    scratch.chmod(0o755)
    restored = restore_drill.restore_to_time(
        str(stack.pgbackrest_conf), STANZA, target, scratch / "data"
    )
    try:
        with psycopg.connect(restored.conninfo("lai")) as conn:
            labels = [r[0] for r in conn.execute("SELECT label FROM chaos_marks ORDER BY id")]
            actual = restore_drill.table_checksums(conn)
    finally:
        restored.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    figure(
        "restore drill: RTO (restore + replay + promotion)", f"{restored.seconds_to_ready:.1f} s"
    )
    figure(
        "restore drill: RPO (WAL archive lag before the drill)", f"{lag:.1f} s" if lag else "n/a"
    )
    figure("restore drill: tables compared", f"{len(expected)}, all equal: {actual == expected}")
    assert labels == ["before-target"]
    assert actual == expected


def test_drill_command_reports_a_match(stack: Stack) -> None:
    started = time.monotonic()
    result = restore_drill.main(
        ["drill", "--config", str(stack.pgbackrest_conf), "--stanza", STANZA,
         "--source", stack.superuser_conninfo(dbname="lai"), "--dbname", "lai"]
    )  # fmt: skip
    figure(
        "restore drill command (restore_drill.py drill, what make restore-drill runs)",
        f"exit {result} in {time.monotonic() - started:.1f} s",
    )
    assert result == 0
