# shellcheck shell=bash
# Helpers shared by deploy/ci/container-smoke (sourced, not executed).
# A Docker engine started by hand in a temp dir: no systemd, no bridge, no iptables; containers
# use host networking on loopback ports (see /work/shared/OPS_NOTES.md "Containers").

# Debian's 20.10 CLI builds with BuildKit; the preinstalled docker 28 CLI lacks buildx.
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every second, bounded.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "timed out after ${timeout}s waiting for ${what}"; return 1; }
    sleep 1
  done
}

# start_dockerd DIR [DATA_ROOT]: start dockerd with its sockets and state under DIR (images and
# layers under DATA_ROOT, default DIR/root); exports DOCKER_HOST.
start_dockerd() {
  local dir=$1 data_root=${2:-$1/root}
  mkdir -p "$dir/exec" "$data_root"
  dockerd --data-root "$data_root" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --bridge=none --iptables=false --ip6tables=false \
    --ip-masq=false --default-ulimit nofile=20000:20000 >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$dir/docker.sock"
  wait_until 30 "dockerd" "$DOCKER_CLI" info || { tail -20 "$dir/dockerd.log" >&2; return 1; }
}

# remove_project NAME: delete the containers and volumes of a compose project (no compose file
# needed, so it also cleans up after a run that was killed).
remove_project() {
  local -a ids
  mapfile -t ids < <("$DOCKER_CLI" ps -aq --filter "label=com.docker.compose.project=$1")
  ((${#ids[@]} == 0)) || "$DOCKER_CLI" rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER_CLI" volume ls -q --filter "label=com.docker.compose.project=$1")
  ((${#ids[@]} == 0)) || "$DOCKER_CLI" volume rm -f "${ids[@]}" >/dev/null
}

stop_dockerd() {
  [ -n "${DOCKERD_PID:-}" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$DOCKERD_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
}

# unmount_under DIR: lazily unmount whatever the engine left mounted below DIR (netns, overlay).
unmount_under() {
  local dir
  dir=$(realpath -m "$1")
  awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done
}

# import_base_image NAME CACHE_DIR WORK_DIR: a stand-in for the registry base image NAME
# (debian:12.x-slim): Debian bookworm minbase from debootstrap, with the same apt sources as the
# official image, imported into the engine under NAME. The rootfs tarball is cached per day.
import_base_image() {
  local name=$1 cache=$2 work=$3
  local tarball
  tarball="$cache/bookworm-minbase-v2-$(date +%Y%m%d).tar"
  mkdir -p "$cache"
  if [ ! -s "$tarball" ]; then
    log "debootstrap bookworm minbase (no cached rootfs for today)"
    local rootfs="$work/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; return 1; }
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    # Like the official slim image: apt deletes downloaded packages, no docs, an empty cache.
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APTCLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APTCLEAN
    rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
      "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
    find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -name "$(basename "$tarball")" -delete
  else
    log "using cached rootfs $tarball"
  fi
  "$DOCKER_CLI" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' "$tarball" "$name" >/dev/null
}
