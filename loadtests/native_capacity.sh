#!/usr/bin/env bash
# `python -m loadtests.capacity` through the production nginx config without Docker: the API
# app under granian (2 workers, as in compose) behind nginx rendered from deploy/nginx/templates
# (the same templates the compose proxy renders), on loopback, against a throwaway database
# (demo seed) and Redis prefix. For machines where the Docker daemon is not available; the
# figures leave out Docker's networking. Arguments go to loadtests.capacity, e.g.
#   flock /tmp/lai-bench.lock loadtests/native_capacity.sh --start 500 --factor 2 --max-users 2000
# issue 8's users (customers, drivers, dispatchers, 1-3 s think time; NATIVE_DRIVERS drivers):
#   flock /tmp/lai-bench.lock loadtests/native_capacity.sh --user-class mix --think 1-3 --start 250
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
WORK=$(mktemp -d /tmp/lai-native-XXXXXX)
DB="lai_native_$(openssl rand -hex 4)"
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APP_PORT=$(port); HTTPS_PORT=$(port); HTTP_PORT=$(port); STATUS_PORT=$(port)

export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export REDIS_KEY_PREFIX="lai:native:$(openssl rand -hex 4):"
export SECRET_KEY="$(openssl rand -hex 24)"
export APP_ENV=dev SEED_DEMO=false LOG_LEVEL=WARNING
# One load generator address: exempt it from the per-address and per-account abuse limits, the
# app's (API requests per principal; sign-ins per address, as it signs every simulated driver
# in) and nginx's (RATE_LIMIT_EXEMPT_CIDRS, read by nginx-render).
export RATE_LIMIT_API_PER_PRINCIPAL=1000000000 RATE_LIMIT_AUTH_PER_IP=1000000000
export RATE_LIMIT_EXEMPT_CIDRS=127.0.0.1/32

cleanup() {
  [[ -n "${NGINX_PID:-}" ]] && kill "$NGINX_PID" 2>/dev/null || true
  [[ -n "${APP_PID:-}" ]] && kill "$APP_PID" 2>/dev/null || true
  sleep 2
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
(cd "$ROOT" && "$PY" -m logistics_ai migrate >/dev/null && "$PY" -m logistics_ai seed | tail -1)
# A fleet of NATIVE_DRIVERS drivers (default 200), each with an account and today's route, so
# that simulated drivers do not all share one (loadtests/users.py, LOADTEST_DRIVER_EMAILS).
DRIVERS="${NATIVE_DRIVERS:-200}"
if (( DRIVERS > 10 )); then
  (cd "$ROOT" && "$PY" -m loadtests.realtime_seed "$DRIVERS" 1 >/dev/null)
  LOADTEST_DRIVER_EMAILS=$(seq -f "bench.driver%03g@drivers.example.com" -s , 10 $((DRIVERS - 1)))
  export LOADTEST_DRIVER_EMAILS
  echo "[native] $DRIVERS drivers, $((DRIVERS - 10)) of them with accounts for the simulated drivers"
fi

(cd "$ROOT" && exec "$ROOT/.venv/bin/granian" --interface asgi --factory --host 127.0.0.1 \
  --port "$APP_PORT" --workers "${NATIVE_WORKERS:-2}" --no-log logistics_ai.api.app:create_api) &
APP_PID=$!

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www"
NGINX_TEMPLATE_DIR="$ROOT/deploy/nginx/templates" NGINX_CONF_DIR="$WORK/conf" \
  NGINX_DYNAMIC_DIR="$WORK/dynamic" NGINX_TEMP_DIR="$WORK/tmp" NGINX_PID_FILE="$WORK/nginx.pid" \
  FRONTEND_ROOT="$WORK/www" SERVER_NAME=localhost APP_UPSTREAMS="127.0.0.1:$APP_PORT" \
  NGINX_RESOLVER=127.0.0.1 NGINX_HTTP_PORT="$HTTP_PORT" NGINX_HTTPS_PORT="$HTTPS_PORT" \
  NGINX_STATUS_PORT="$STATUS_PORT" TLS_CERT_FILE="$WORK/cert.pem" TLS_KEY_FILE="$WORK/key.pem" \
  "$ROOT/deploy/nginx/nginx-render"
/usr/sbin/nginx -c "$WORK/conf/nginx.conf" -g "daemon off;" >"$WORK/nginx-access.log" 2>&1 &
NGINX_PID=$!

for _ in $(seq 120); do
  curl -skf "https://127.0.0.1:$HTTPS_PORT/healthz" >/dev/null && break
  sleep 1
done
echo "[native] nginx https://127.0.0.1:$HTTPS_PORT -> granian 127.0.0.1:$APP_PORT (${NATIVE_WORKERS:-2} workers); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU seconds (user + system) of the app's processes, nginx's and PostgreSQL's (all of the
# machine's backends), and of the load generator: to compare runs of two builds or settings by
# the app's own cost, and to see what the generator and the proxy take of the same two cores.
cpu_of() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'
}
app_cpu() { cpu_of "$APP_PID" $(pgrep -P "$APP_PID"); }
nginx_cpu() { cpu_of "$NGINX_PID" $(pgrep -P "$NGINX_PID"); }
pg_cpu() { cpu_of $(pgrep -x postgres); }
since() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }
APP_BEFORE=$(app_cpu); NGINX_BEFORE=$(nginx_cpu); PG_BEFORE=$(pg_cpu); STARTED=$(date +%s)
STATUS=0  # a breach at the first step exits non-zero: still say what the run cost
(cd "$ROOT" && /usr/bin/time -f "%U %S" -o "$WORK/generator.cpu" \
  "$PY" -m loadtests.capacity --host "https://127.0.0.1:$HTTPS_PORT" "$@") || STATUS=$?
GENERATOR=$(awk 'END {printf "%.1f", $1 + $2}' "$WORK/generator.cpu" 2>/dev/null || echo "?")
echo "[native] done; load: $(cut -d' ' -f1-3 /proc/loadavg); CPU seconds over the $(( $(date +%s) - STARTED )) s run: app $(since "$(app_cpu)" "$APP_BEFORE"), load generator $GENERATOR, nginx $(since "$(nginx_cpu)" "$NGINX_BEFORE"), PostgreSQL (every backend of the machine) $(since "$(pg_cpu)" "$PG_BEFORE")"
exit "$STATUS"
