# Two entry points: `make run` (the app on the embedded default) and `make test` (the whole suite).
# Everything installs into the project folder: .venv (Python, from uv.lock) and .tools (uv, bun).

SHELL := /bin/bash
ROOT := $(CURDIR)
UV_VERSION := 0.13.9
BUN_VERSION := 1.4.5
# axe-core, the accessibility engine tests/e2e/test_accessibility.py injects into each page.
AXE_VERSION := 4.14.1
BUN_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),aarch64,x64)
PYTHON ?= python3

export PATH := $(ROOT)/.tools/bin:$(ROOT)/.venv/bin:$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export REFLEX_BUN_PATH := $(ROOT)/.tools/bin/bun
export NPM_CONFIG_REGISTRY ?= https://registry.npmjs.org
export UV_PROJECT_ENVIRONMENT := $(ROOT)/.venv
PORT ?= 3000
# Only this machine can reach `make run` unless told otherwise: `make run HOST=0.0.0.0`.
HOST ?= 127.0.0.1

.PHONY: install run dev migrate seed test test-unit test-integration test-e2e lint compile clean

install: .venv/.synced .venv/.compiled .tools/bin/bun .tools/axe/axe.min.js

.tools/bin/uv:
	@mkdir -p .tools/bin
	$(PYTHON) -m venv .tools/uv-env
	.tools/uv-env/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	ln -sf $(ROOT)/.tools/uv-env/bin/uv .tools/bin/uv

.venv/.synced: .tools/bin/uv pyproject.toml uv.lock
	uv sync --frozen --python $(PYTHON)
	@touch $@

# Bytecode for every installed module, written once here. Where PYTHONDONTWRITEBYTECODE is set
# (as on the team's machines) Python never caches it, so every Python process the tests start
# (app servers, workers, CLI calls, AI pool children) compiled Reflex, SQLAlchemy & co. from
# source again: 5.8 s of CPU to import the API instead of 2.5 s. compileall writes the .pyc
# files regardless of that variable and skips the ones already current.
.venv/.compiled: .venv/.synced
	python -m compileall -q -j 0 .venv/lib >/dev/null
	@touch $@

# Reflex's own bun installer downloads from GitHub; the npm registry carries the same binary.
.tools/bin/bun:
	@mkdir -p .tools/bin .tools/bun-pkg
	cd .tools/bun-pkg && npm pack --silent @oven/bun-linux-$(BUN_ARCH)@$(BUN_VERSION) >/dev/null \
		&& tar xzf oven-bun-linux-$(BUN_ARCH)-$(BUN_VERSION).tgz
	mv .tools/bun-pkg/package/bin/bun .tools/bin/bun && rm -rf .tools/bun-pkg
	.tools/bin/bun --version

# axe-core from the npm registry as a pinned tarball (npm checks its integrity); only the
# browser bundle is kept. Versioned folder so a version bump fetches the new one.
.tools/axe/axe.min.js: Makefile
	@mkdir -p .tools/axe-pkg .tools/axe
	cd .tools/axe-pkg && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
		&& tar xzf axe-core-$(AXE_VERSION).tgz
	mv .tools/axe-pkg/package/axe.min.js $@ && rm -rf .tools/axe-pkg && touch $@

migrate: install
	python -m logistics_ai migrate

seed: migrate
	python -m logistics_ai seed

# Production mode: one port serves pages, the websocket and /api.
# `make run SIMULATE=1` also starts the fleet simulator against it (stopped with the app).
SIMULATE ?=
SIM_DRIVERS ?= 5
SIM_SPEEDUP ?= 10
SIM_DURATION ?= 3600
run: seed
	@if [ "$(SIMULATE)" = "1" ]; then \
		python -m logistics_ai simulate --url http://127.0.0.1:$(PORT) --drivers $(SIM_DRIVERS) \
			--speedup $(SIM_SPEEDUP) --duration $(SIM_DURATION) --wait 600 & sim=$$!; \
		trap 'kill $$sim 2>/dev/null' EXIT; \
	fi; \
	reflex run --env prod --backend-host $(HOST) --frontend-port $(PORT) --backend-port $(PORT)

dev: seed
	reflex run --env dev

# Style, the import-direction contracts (pyproject [tool.importlinter]) and the type checker.
lint: install
	ruff check .
	ruff format --check .
	lint-imports
	mypy

compile: install
	reflex compile

test: install
	./.ci/test-deps
	pytest

test-unit: install
	pytest tests/unit

test-integration: install
	pytest tests/integration

test-e2e: install
	./.ci/test-deps
	pytest tests/e2e

clean:
	rm -rf .web .venv .tools data

include deploy/deploy.mk

include deploy/infra.mk
include deploy/backup/backup.mk
include deploy/security.mk
