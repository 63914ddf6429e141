# Backups and point-in-time recovery with pgBackRest (docs/operations.md#backups).
#   make backup [BACKUP_TYPE=full|diff|incr]
#   make restore TARGET_TIME="2026-11-30 08:00:00+00" [RESTORE_PGDATA=/var/lib/postgresql/restore]
#   make restore-drill DRILL_SOURCE_CONNINFO="host=... user=postgres dbname=logistics"
# PGBACKREST_CONFIG and PGBACKREST_STANZA select the repository (defaults: /etc/pgbackrest/
# pgbackrest.conf, lai). Run them where pgBackRest and the PostgreSQL data are (the db hosts
# or the `backup` service of the compose stack: `docker compose exec backup make ...`).

BACKUP_TYPE ?= diff
RESTORE_PGDATA ?= /var/lib/postgresql/restore
BACKUP_PYTHON ?= $(if $(wildcard $(ROOT)/.venv/bin/python),$(ROOT)/.venv/bin/python,python3)

.PHONY: backup restore restore-drill

backup:
	deploy/backup/lai-backup $(BACKUP_TYPE)

restore:
	@test -n "$(TARGET_TIME)" || { echo 'set TARGET_TIME, e.g. make restore TARGET_TIME="2026-11-30 08:00:00+00"'; exit 2; }
	$(BACKUP_PYTHON) deploy/backup/restore_drill.py restore --target-time "$(TARGET_TIME)" --pgdata "$(RESTORE_PGDATA)"

restore-drill:
	$(BACKUP_PYTHON) deploy/backup/restore_drill.py drill
