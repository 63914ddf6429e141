#!/usr/bin/env bash
# One command to deploy Logistics AI with Docker Compose (also: make deploy / make rollback).
#
#   deploy/deploy.sh ENV [TAG]       ENV = dev | staging | prod. Builds (or, with DEPLOY_PULL=true,
#                                    pulls) the images for TAG, starts PostgreSQL and Redis, runs
#                                    the release step ONCE (wait for DB, migrate, seed outside
#                                    prod, publish the frontend), then replaces the app replicas
#                                    one at a time: drain at nginx, recreate, wait until healthy,
#                                    undrain; then the worker and the proxy.
#   deploy/deploy.sh rollback ENV    the same rolling update back to the previously deployed tag
#                                    (no migration: schema changes are expand/contract, see
#                                    docs/deploy.md; the old frontend is re-published).
#   deploy/deploy.sh status ENV      deployed tags and `compose ps`.
#   deploy/deploy.sh services ENV    the data-tier services a deploy starts before the release.
#
# Environment file: deploy/env/ENV.env (override with ENV_FILE=...), created from .env.example.
# Other knobs: TAG default = git commit (+ -dirty-TIMESTAMP for an uncommitted tree);
# COMPOSE_EXTRA_FILES="f1.yaml f2.yaml" adds override files (container-smoke adds host
# networking); DEPLOY_FORCE_RECREATE=true restarts replicas even if nothing changed (a rolling
# restart); DEPLOY_SKIP_BUILD=true uses images already present; COMPOSE / DOCKER pick the CLIs;
# DEPLOY_EXTRA_CA_FILE passes extra CA certificates to the build (TLS-inspecting egress).
# The HA data tier: COMPOSE_EXTRA_FILES=compose.ha.yaml and HA_IMAGE_TAG (its images' own tag,
# built from deploy/ha/Dockerfile) in the env file; app releases then leave that tier alone.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage() {
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

log() { printf '[deploy %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ACTION=deploy
case "${1:-}" in
  rollback | status | services) ACTION=$1; shift ;;
  -h | --help | "") usage ;;
esac
ENV_NAME=${1:-}
case "$ENV_NAME" in dev | staging | prod) ;; *) usage ;; esac
REQUESTED_TAG=${2:-${TAG:-}}

ENV_FILE=${ENV_FILE:-deploy/env/$ENV_NAME.env}
[ -f "$ENV_FILE" ] || die "no environment file $ENV_FILE (copy .env.example and fill it in)"
STATE_DIR=${DEPLOY_STATE_DIR:-deploy/state/$ENV_NAME}
mkdir -p "$STATE_DIR"

DOCKER=${DOCKER:-docker}
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-1}  # Docker 20.10 still defaults to the legacy builder
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then
    COMPOSE="docker compose"
  elif [ -x "$ROOT/.venv/bin/docker-compose" ]; then
    COMPOSE="$ROOT/.venv/bin/docker-compose"
  else
    COMPOSE=docker-compose
  fi
fi

# Read one variable from the env file (the exported environment wins, as in compose).
env_value() {
  local name=$1 default=${2:-}
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  local line
  line=$(grep -E "^${name}=" "$ENV_FILE" | tail -1 || true)
  line=${line#*=}
  line=${line%\"}; line=${line#\"}
  printf '%s' "${line:-$default}"
}

IMAGE_REPO=$(env_value IMAGE_REPO logistics-ai)
HEALTH_TIMEOUT=$(env_value DEPLOY_HEALTH_TIMEOUT 180)
DRAIN_SECONDS=$(env_value DEPLOY_DRAIN_SECONDS 3)
PULL=$(env_value DEPLOY_PULL false)
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-logistics-ai-$ENV_NAME}

FILES=(-f compose.yaml)
if [ "$ENV_NAME" = dev ]; then
  FILES+=(-f compose.dev.yaml)
  REPLICAS=(app)
else
  FILES+=(-f compose.prod.yaml)
  REPLICAS=(app app2)
fi
for extra in ${COMPOSE_EXTRA_FILES:-}; do FILES+=(-f "$extra"); done

compose() {
  # shellcheck disable=SC2086  # COMPOSE may be "docker compose"
  $COMPOSE --env-file "$ENV_FILE" "${FILES[@]}" "$@"
}

flock_state() {
  exec 9>"$STATE_DIR/.lock"
  flock -w 600 9 || die "another deploy of $ENV_NAME holds $STATE_DIR/.lock"
}

default_tag() {
  local sha
  if sha=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null); then
    if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
      sha="$sha-dirty-$(date +%Y%m%d%H%M%S)"
    fi
    printf '%s' "$sha"
  else
    date +%Y%m%d%H%M%S
  fi
}

image_names() {
  local tag=$1
  if [ "$ENV_NAME" = dev ]; then
    echo "$IMAGE_REPO-dev:$tag"
  else
    echo "$IMAGE_REPO:$tag" "$IMAGE_REPO-worker:$tag" "$IMAGE_REPO-proxy:$tag"
  fi
}

images_present() {
  local image
  for image in $(image_names "$1"); do
    $DOCKER image inspect "$image" >/dev/null 2>&1 || return 1
  done
}

build_images() {
  local tag=$1 started=$SECONDS
  local -a args=(--network host
    --build-arg "VERSION=$tag"
    --build-arg "VCS_REF=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
    --build-arg "BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
  if [ -n "${DEPLOY_EXTRA_CA_FILE:-}" ]; then
    args+=(--build-arg "EXTRA_CA_CERTS=$(cat "$DEPLOY_EXTRA_CA_FILE")")
  fi
  if [ -n "${BASE_IMAGE:-}" ]; then args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE"); fi
  if [ "$ENV_NAME" = dev ]; then
    log "building $IMAGE_REPO-dev:$tag"
    $DOCKER build "${args[@]}" --target dev -t "$IMAGE_REPO-dev:$tag" .
  else
    log "building $IMAGE_REPO:$tag, -worker, -proxy"
    $DOCKER build "${args[@]}" --target app -t "$IMAGE_REPO:$tag" .
    $DOCKER build "${args[@]}" --target worker -t "$IMAGE_REPO-worker:$tag" .
    $DOCKER build "${args[@]}" --target proxy -t "$IMAGE_REPO-proxy:$tag" .
  fi
  log "images built in $((SECONDS - started))s"
}

pull_images() {
  local image
  for image in $(image_names "$1"); do
    log "pulling $image"
    $DOCKER pull "$image"
  done
}

# The nginx upstream address of replica number $1 (same order as APP_UPSTREAMS).
upstream_of() {
  local -a upstreams
  read -r -a upstreams <<<"$(env_value APP_UPSTREAMS "app:8000 app2:8000")"
  printf '%s' "${upstreams[$1]:-}"
}

proxy_running() {
  [ "$ENV_NAME" != dev ] && [ -n "$(compose ps -q --status running proxy 2>/dev/null)" ]
}

# Restarting nginx drops connections for a moment, so keep the running proxy container when the
# new tag's proxy image is byte-for-byte the same image (the usual app-only release).
keep_unchanged_proxy() {
  local container running_image running_id new_id
  container=$(compose ps -q proxy 2>/dev/null | head -1)
  [ -n "$container" ] || return 0
  running_image=$($DOCKER inspect --format '{{.Config.Image}}' "$container" 2>/dev/null) || return 0
  running_id=$($DOCKER inspect --format '{{.Image}}' "$container" 2>/dev/null) || return 0
  new_id=$($DOCKER image inspect --format '{{.Id}}' "$IMAGE_REPO-proxy:$IMAGE_TAG" 2>/dev/null) || return 0
  if [ "$running_id" = "$new_id" ] && [ "$running_image" != "$IMAGE_REPO-proxy:$IMAGE_TAG" ]; then
    export PROXY_IMAGE_TAG=${running_image##*:}
    log "proxy image unchanged: keeping the running proxy ($running_image)"
  fi
}

rolling_update() {
  local force=() i replica upstream started
  if [ "${DEPLOY_FORCE_RECREATE:-false}" = true ]; then force=(--force-recreate); fi
  for i in "${!REPLICAS[@]}"; do
    replica=${REPLICAS[$i]}
    upstream=$(upstream_of "$i")
    started=$SECONDS
    if proxy_running && [ -n "$upstream" ]; then
      compose exec -T proxy nginx-ctl drain "$upstream" >&2
      sleep "$DRAIN_SECONDS"
    fi
    log "updating $replica (waiting up to ${HEALTH_TIMEOUT}s for health)"
    if ! compose up -d --no-deps "${force[@]}" --wait --wait-timeout "$HEALTH_TIMEOUT" "$replica"; then
      compose logs --tail 50 "$replica" >&2 || true
      die "$replica did not become healthy; the other replicas keep serving (run: $0 rollback $ENV_NAME)"
    fi
    if proxy_running && [ -n "$upstream" ]; then
      compose exec -T proxy nginx-ctl undrain "$upstream" >&2
    fi
    log "$replica healthy after $((SECONDS - started))s"
  done
  log "updating worker"
  compose up -d --no-deps "${force[@]}" --wait --wait-timeout "$HEALTH_TIMEOUT" worker
  if [ "$ENV_NAME" != dev ]; then
    keep_unchanged_proxy
    log "updating proxy (recreated only if its image or settings changed)"
    compose up -d --no-deps --wait --wait-timeout "$HEALTH_TIMEOUT" proxy
    # New CSP hashes of the just-published frontend, fresh DNS for recreated replicas.
    compose exec -T proxy nginx-ctl reload >&2
  fi
}

release_step() {
  local steps=$1
  log "release step: $steps (one-off container)"
  if [ "$ENV_NAME" = dev ]; then
    # Dev serves the frontend from Reflex's dev server: nothing to publish.
    [ "$steps" = publish ] && return 0
    compose run --rm release python deploy/docker/lai-release migrate seed
  else
    # shellcheck disable=SC2086  # steps is a word list
    compose run --rm release lai-release $steps
  fi
}

record_tag() {
  local tag=$1 current
  current=$(cat "$STATE_DIR/current" 2>/dev/null || true)
  if [ -n "$current" ] && [ "$current" != "$tag" ]; then
    printf '%s\n' "$current" >"$STATE_DIR/previous"
  fi
  printf '%s\n' "$tag" >"$STATE_DIR/current"
  printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ACTION" "$tag" >>"$STATE_DIR/history"
}

# The data tier: every service of the stack's files but the app tier. With compose.ha.yaml that
# is etcd, Patroni, HAProxy, PgBouncer, Redis + Sentinels, backup and monitoring; naming
# `postgres` there would start the single-node profile next to the Patroni cluster.
data_services() {
  compose config --services | grep -vxE 'release|app[0-9]*|worker|proxy' | sort
}

# An app release must never recreate the HA data tier: its images need their own tag.
check_ha_image_tag() {
  if data_services | grep -qx pgbouncer && [ -z "$(env_value HA_IMAGE_TAG)" ]; then
    die "compose.ha.yaml is in use: set HA_IMAGE_TAG (the tag of the deploy/ha images) in $ENV_FILE"
  fi
}

deploy() {
  local tag=$1 steps=$2 started=$SECONDS
  export IMAGE_TAG=$tag
  check_ha_image_tag
  if [ "$PULL" = true ]; then
    pull_images "$tag"
  elif [ "${DEPLOY_SKIP_BUILD:-false}" = true ] || [ "$ACTION" = rollback ]; then
    images_present "$tag" || die "images for $tag are not present (build them or set DEPLOY_PULL=true)"
  else
    build_images "$tag"
  fi
  log "starting data services"
  local -a data
  mapfile -t data < <(data_services)
  compose up -d --wait --wait-timeout "$HEALTH_TIMEOUT" "${data[@]}"
  release_step "$steps"
  rolling_update
  record_tag "$tag"
  log "$ENV_NAME is at $tag ($((SECONDS - started))s)"
}

case "$ACTION" in
  deploy)
    flock_state
    TAG_TO_DEPLOY=${REQUESTED_TAG:-$(default_tag)}
    deploy "$TAG_TO_DEPLOY" all
    ;;
  rollback)
    flock_state
    PREVIOUS=$(cat "$STATE_DIR/previous" 2>/dev/null || true)
    [ -n "$PREVIOUS" ] || die "no previous deployment recorded in $STATE_DIR"
    log "rolling back $ENV_NAME from $(cat "$STATE_DIR/current") to $PREVIOUS"
    deploy "$PREVIOUS" publish
    ;;
  services)
    IMAGE_TAG=$(cat "$STATE_DIR/current" 2>/dev/null || echo none)
    export IMAGE_TAG
    check_ha_image_tag
    data_services
    ;;
  status)
    echo "current:  $(cat "$STATE_DIR/current" 2>/dev/null || echo none)"
    echo "previous: $(cat "$STATE_DIR/previous" 2>/dev/null || echo none)"
    IMAGE_TAG=$(cat "$STATE_DIR/current" 2>/dev/null || echo none) compose ps
    ;;
esac
