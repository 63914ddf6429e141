# Logistics AI container images. One Dockerfile, four targets:
#
#   app     (default) the Reflex backend: /_event websocket, /_upload, /ping, /_health,
#           /healthz, /readyz and /api/v1/*. Runs as a non-root user, no compilers, no bun,
#           no node_modules. It also carries the exported static frontend (/app/frontend), which
#           the release step publishes for nginx (deploy/docker/lai-release).
#   worker  the same image running `python -m logistics_ai worker` (background jobs).
#   proxy   Debian nginx with the templates in deploy/nginx (TLS, websocket, load balancing).
#   dev     the build toolchain (uv, bun, Reflex) for `reflex run --env dev` with a bind mount.
#
# Build:   docker build --network host -t logistics-ai:TAG .
#          docker build --network host --target worker -t logistics-ai-worker:TAG .
#          docker build --network host --target proxy  -t logistics-ai-proxy:TAG .
# (deploy/deploy.sh does all three.)
#
# Base image: pinned by tag. For reproducible production builds pin the digest too, e.g.
#   --build-arg BASE_IMAGE=debian:12.15-slim@sha256:<digest>
# where <digest> comes from `docker buildx imagetools inspect debian:12.15-slim` (or
# `docker inspect --format '{{index .RepoDigests 0}}' debian:12.15-slim` after a pull). The
# placeholder stays a build argument because this project's CI machines reach no registry:
# deploy/ci/container-smoke imports a debootstrapped Debian 12 rootfs under the same name.
ARG BASE_IMAGE=debian:12.15-slim

# --------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS os
ENV LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive
# Extra CA certificates (PEM text) for networks whose HTTPS egress is inspected by a proxy with
# its own CA; empty by default. CA certificates are public, so a build argument is fine.
ARG EXTRA_CA_CERTS=
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini tzdata \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && if [ -n "${EXTRA_CA_CERTS}" ]; then \
         printf '%s\n' "${EXTRA_CA_CERTS}" > /usr/local/share/ca-certificates/extra-ca.crt \
         && update-ca-certificates; \
       fi
# Every TLS client in the build (pip, uv, npm, bun) and the app trusts the system store.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

# --------------------------------------------------------------------------------------------
FROM os AS base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Debian 12's python3 is 3.11 (pyproject: >=3.11,<3.13); psycopg[binary] brings its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

# --------------------------------------------------------------------------------------------
# bun comes from the npm registry (Reflex's own installer downloads from GitHub). npm and node
# only live in this throwaway stage; the build stage gets the bun binary alone.
FROM os AS bun
ARG BUN_VERSION=1.4.5
ARG BUN_ARCH=x64
WORKDIR /tmp/bun
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN npm config set cafile /etc/ssl/certs/ca-certificates.crt \
    && npm pack --silent "@oven/bun-linux-${BUN_ARCH}@${BUN_VERSION}" \
    && tar xzf "oven-bun-linux-${BUN_ARCH}-${BUN_VERSION}.tgz" \
    && install -m 0755 package/bin/bun /usr/local/bin/bun \
    && /usr/local/bin/bun --version

# --------------------------------------------------------------------------------------------
FROM base AS build
ARG UV_VERSION=0.13.9
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}" \
    && ln -s /opt/uv/bin/uv /usr/local/bin/uv
COPY --from=bun /usr/local/bin/bun /usr/local/bin/bun
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    PATH=/app/.venv/bin:$PATH \
    REFLEX_BUN_PATH=/usr/local/bin/bun \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0 \
    NPM_CONFIG_REGISTRY=https://registry.npmjs.org
WORKDIR /app
# Locked runtime dependencies first: this layer is reused until pyproject.toml/uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/bin/python3
COPY rxconfig.py ./
COPY reflex.lock ./reflex.lock
COPY logistics_ai ./logistics_ai
COPY pages ./pages
COPY state ./state
COPY components ./components
COPY assets ./assets
COPY migrations ./migrations
# Build the frontend once, here, with Reflex's supported split: `reflex export --frontend-only`
# writes the static site to .web/build/client; the runtime runs `reflex run --backend-only`
# and nginx serves the pages. The export bakes api_url (default: same host as the page, on the
# HTTPS port 443 behind the proxy); pass --build-arg API_URL=https://host:port otherwise.
ARG API_URL=
RUN if [ -n "${API_URL}" ]; then export REFLEX_API_URL="${API_URL}"; fi \
    && reflex export --frontend-only --no-zip --loglevel info \
    && test -f .web/build/client/index.html \
    && mkdir -p /out \
    && cp -a .web/build/client /out/frontend
COPY deploy/docker/csp_hashes.py /tmp/csp_hashes.py
RUN python3 /tmp/csp_hashes.py /out/frontend > /out/frontend/.csp-script-hashes

# --------------------------------------------------------------------------------------------
# Development: the full toolchain; compose.dev.yaml bind-mounts the source over /app.
FROM build AS dev
RUN uv sync --frozen --no-install-project --python /usr/bin/python3
EXPOSE 3000 8000
CMD ["reflex", "run", "--env", "dev", "--loglevel", "debug"]

# --------------------------------------------------------------------------------------------
FROM base AS app
ARG VERSION=dev
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
ARG BASE_IMAGE
LABEL org.opencontainers.image.title="logistics-ai" \
      org.opencontainers.image.description="Logistics AI: delivery-operations platform (Reflex backend)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Logistics AI" \
      org.opencontainers.image.source="https://example.invalid/logistics-ai" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
       --shell /usr/sbin/nologin app
WORKDIR /app
# Code and dependencies are owned by root and read-only for the app user.
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/rxconfig.py /app/pyproject.toml ./
COPY --from=build /app/logistics_ai ./logistics_ai
COPY --from=build /app/pages ./pages
COPY --from=build /app/state ./state
COPY --from=build /app/components ./components
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/.web/backend ./.web/backend
COPY --from=build /app/.web/reflex.json ./.web/reflex.json
COPY --from=build /out/frontend ./frontend
COPY deploy/docker/lai-healthcheck deploy/docker/lai-release /usr/local/bin/
# Reflex keeps per-process scratch state in .states; /srv/frontend is the mount point of the
# volume that the release step publishes the static site into (nginx reads it).
# Reflex also touches the marker .web/backend/upload_is_used at every start once the app uses
# rx.upload; on the read-only root filesystem the marker is a link into the writable /tmp.
RUN mkdir -p /app/.states /srv/frontend \
    && chown app:app /app/.states /srv/frontend \
    && chmod 0755 /usr/local/bin/lai-healthcheck /usr/local/bin/lai-release \
    && rm -f /app/.web/backend/upload_is_used \
    && ln -s /tmp/reflex-upload_is_used /app/.web/backend/upload_is_used
# The root filesystem is read-only in production, and Reflex creates its upload folder when an
# app uses rx.upload (the driver's proof dialog). Proofs are handed to the storage service from
# the upload handler and never saved there, so the folder stays empty on the writable /tmp.
ENV PATH=/app/.venv/bin:$PATH \
    HOME=/home/app \
    REFLEX_UPLOADED_FILES_DIR=/tmp/reflex-uploads \
    APP_VERSION=${VERSION} \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0 \
    REFLEX_BACKEND_PORT=8000 \
    GRANIAN_WORKERS=2 \
    LOG_JSON=true
USER 10001:10001
EXPOSE 8000
# Granian (started by `reflex run`) drains on SIGTERM; tini forwards it and reaps children.
# Give containers a stop grace period longer than the drain (compose: stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python3", "/usr/local/bin/lai-healthcheck", "http"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["reflex", "run", "--env", "prod", "--backend-only"]

# --------------------------------------------------------------------------------------------
FROM app AS worker
LABEL org.opencontainers.image.title="logistics-ai-worker" \
      org.opencontainers.image.description="Logistics AI: background jobs worker"
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python3", "/usr/local/bin/lai-healthcheck", "worker"]
CMD ["python", "-m", "logistics_ai", "worker"]

# --------------------------------------------------------------------------------------------
FROM os AS proxy
ARG VERSION=dev
ARG VCS_REF=unknown
LABEL org.opencontainers.image.title="logistics-ai-proxy" \
      org.opencontainers.image.description="Logistics AI: nginx reverse proxy (TLS, websocket, load balancing)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}"
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d/* \
    && mkdir -p /srv/frontend /run/nginx-dynamic
COPY deploy/nginx/templates /etc/nginx/templates
COPY deploy/nginx/nginx-render /usr/local/bin/nginx-render
COPY deploy/nginx/nginx-ctl /usr/local/bin/nginx-ctl
RUN chmod 0755 /usr/local/bin/nginx-render /usr/local/bin/nginx-ctl
EXPOSE 80 443
# nginx: SIGQUIT = graceful shutdown (finish requests, close idle connections).
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["nginx-ctl", "health"]
ENTRYPOINT ["/usr/bin/tini", "--", "nginx-ctl"]
CMD ["run"]
