#!/bin/bash
# Entrypoint of the HA images: render the config of the requested engine from the environment
# (deploy/ha/*.tmpl via render.py), then exec the engine in the foreground. Also the health
# checks (`lai-ha-entrypoint health-*`). No failover or backup logic lives here: Patroni,
# Sentinel, HAProxy and pgBackRest do that.
set -euo pipefail
render() { python3 /etc/lai-ha/render.py "/etc/lai-ha/$1"; }
http_ok() { python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)" "$1"; }

case "${1:-}" in
  etcd)
    exec etcd --name "$LAI_ETCD_NAME" --data-dir /var/lib/etcd/data \
      --listen-client-urls "http://0.0.0.0:${LAI_ETCD_CLIENT_PORT:-2379}" \
      --advertise-client-urls "http://${LAI_ETCD_ADVERTISE_HOST}:${LAI_ETCD_CLIENT_PORT:-2379}" \
      --listen-peer-urls "http://0.0.0.0:${LAI_ETCD_PEER_PORT:-2380}" \
      --initial-advertise-peer-urls "http://${LAI_ETCD_ADVERTISE_HOST}:${LAI_ETCD_PEER_PORT:-2380}" \
      --initial-cluster "$LAI_ETCD_INITIAL_CLUSTER" --initial-cluster-state new \
      --initial-cluster-token "${LAI_ETCD_CLUSTER_TOKEN:-logistics-ai}" ;;
  patroni)
    export PG_DATA=${PG_DATA:?set PG_DATA to this member data directory} PG_BIN=/usr/lib/postgresql/15/bin
    export PG_PGPASS=/tmp/pgpass PG_SOCKET_DIR=/var/run/postgresql
    # The same archive_command on every member (Patroni keeps it in etcd); the config is local.
    export PGBACKREST_CONFIG=/etc/pgbackrest/pgbackrest.conf
    export ARCHIVE_COMMAND="'pgbackrest --stanza=${PGBACKREST_STANZA:-lai} archive-push \"%p\"'"
    render patroni.yml.tmpl >/etc/patroni/patroni.yml
    render pgbackrest.conf.tmpl >/etc/pgbackrest/pgbackrest.conf
    exec patroni /etc/patroni/patroni.yml ;;
  post-init)
    # Patroni's post_init: $2 is a libpq URL of the new leader (as the superuser). The owner
    # gets CREATEROLE so that the release step can create the app's least-privilege role
    # (DB_APP_ROLE) and set its password (logistics_ai/db_roles.py).
    psql "$2" -v ON_ERROR_STOP=1 -q \
      -c "CREATE ROLE \"$POSTGRES_USER\" LOGIN CREATEROLE PASSWORD '$POSTGRES_PASSWORD'" \
      -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" ;;
  backup)
    # Cron runs lai-backup (pgBackRest) on the schedule, once the stanza exists. The health
    # check is the schedule file, written only then.
    render pgbackrest.conf.tmpl >/etc/pgbackrest/pgbackrest.conf
    rm -f /etc/cron.d/lai-backup
    until setpriv --reuid=postgres --regid=postgres --init-groups \
        pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza="${PGBACKREST_STANZA:-lai}" stanza-create; do
      echo "waiting for the PostgreSQL leader to create the pgBackRest stanza"; sleep 10
    done
    printf 'PGBACKREST_CONFIG=/etc/pgbackrest/pgbackrest.conf\nPGBACKREST_STANZA=%s\nBACKUP_METRICS_DIR=%s\n%s root /usr/local/bin/lai-backup full >>/proc/1/fd/1 2>&1\n%s root /usr/local/bin/lai-backup diff >>/proc/1/fd/1 2>&1\n' \
      "${PGBACKREST_STANZA:-lai}" "${BACKUP_METRICS_DIR:-/var/lib/node-exporter}" \
      "${BACKUP_FULL_SCHEDULE:-15 2 * * 0}" "${BACKUP_DIFF_SCHEDULE:-15 2 * * 1-6}" >/etc/cron.d/lai-backup
    exec cron -f ;;
  haproxy)
    render haproxy.cfg.tmpl >/tmp/haproxy.cfg
    haproxy -c -q -f /tmp/haproxy.cfg
    exec haproxy -db -f /tmp/haproxy.cfg ;;
  pgbouncer)
    # The app and worker come through here as DB_APP_ROLE; the owner and the superuser for
    # operators.
    printf '"%s" "%s"\n"%s" "%s"\n"postgres" "%s"\n' \
      "${DB_APP_ROLE:?set DB_APP_ROLE}" "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}" \
      "$POSTGRES_USER" "$POSTGRES_PASSWORD" "$POSTGRES_SUPERUSER_PASSWORD" >/tmp/userlist.txt
    export PGBOUNCER_AUTH_FILE=/tmp/userlist.txt PGBOUNCER_LOGFILE=/dev/null PGBOUNCER_PIDFILE=/tmp/pgbouncer.pid
    render pgbouncer.ini.tmpl >/tmp/pgbouncer.ini
    exec pgbouncer /tmp/pgbouncer.ini ;;
  redis)
    # The password goes in on stdin, not on the command line.
    args=(--port "${REDIS_PORT:-6379}" --dir /data --appendonly yes --save "300 10")
    if [ -n "${REDIS_REPLICA_OF:-}" ]; then args+=(--replicaof "${REDIS_REPLICA_OF% *}" "${REDIS_REPLICA_OF#* }"); fi
    exec redis-server - "${args[@]}" <<<"requirepass $REDIS_PASSWORD
masterauth $REDIS_PASSWORD" ;;
  sentinel)
    export SENTINEL_DIR=/sentinel
    [ -s /sentinel/sentinel.conf ] || render sentinel.conf.tmpl >/sentinel/sentinel.conf
    exec redis-sentinel /sentinel/sentinel.conf ;;
  prometheus)
    exec prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus \
      --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-15d}" --web.listen-address="0.0.0.0:${PROMETHEUS_PORT:-9090}" ;;
  alertmanager)
    exec prometheus-alertmanager --config.file=/etc/prometheus/alertmanager.yml --storage.path=/alertmanager \
      --web.listen-address="0.0.0.0:${ALERTMANAGER_PORT:-9093}" --cluster.listen-address= ;;
  node-exporter)
    exec prometheus-node-exporter --web.listen-address="0.0.0.0:${NODE_EXPORTER_PORT:-9100}" \
      --collector.textfile.directory=/var/lib/node-exporter --path.rootfs=/host ;;
  blackbox-exporter)
    exec prometheus-blackbox-exporter --config.file=/etc/prometheus/blackbox.yml \
      --web.listen-address="0.0.0.0:${BLACKBOX_PORT:-9115}" ;;
  health-etcd) exec etcdctl --endpoints="127.0.0.1:${LAI_ETCD_CLIENT_PORT:-2379}" endpoint health ;;
  health-patroni) http_ok "http://127.0.0.1:${PATRONI_REST_PORT:-8008}/health" ;;
  health-redis)
    port=${SENTINEL_PORT:-${REDIS_PORT:-6379}}
    if [ -n "${SENTINEL_PORT:-}" ]; then redis-cli -p "$port" ping | grep -q PONG
    else REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$port" ping | grep -q PONG; fi ;;
  health-tcp) exec 3<>"/dev/tcp/127.0.0.1/$2" ;;
  health-http) http_ok "http://127.0.0.1:$2$3" ;;
  *) exec "$@" ;;
esac
