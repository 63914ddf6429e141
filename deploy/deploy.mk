# Deployment targets, included by the Makefile (`include deploy/deploy.mk`).
#   make deploy ENV=prod [TAG=...]      build/pull, migrate once, rolling update (deploy/deploy.sh)
#   make rollback ENV=prod              back to the previously deployed tag
#   make loadtest [LOADTEST_HOST=...]   Locust headless + SLA gate on the steady state after the
#                                       ramp-up (--reset-stats); exit 1 on breach
#   make capacity [LOADTEST_HOST=...]   ramp until the SLA breaks, print the highest user count
#   make deploy-checks                  hadolint, compose config, nginx -t, shellcheck (no engine)
#   make container-smoke                build + run the prod stack in a hand-started Docker engine

ENV ?= dev
TAG ?=
LOADTEST_HOST ?= https://localhost
USERS ?= 50
SPAWN_RATE ?= 5
RUN_TIME ?= 60s

.PHONY: deploy rollback deploy-status loadtest capacity deploy-checks container-smoke

deploy:
	./deploy/deploy.sh $(ENV) $(TAG)

rollback:
	./deploy/deploy.sh rollback $(ENV)

deploy-status:
	./deploy/deploy.sh status $(ENV)

loadtest: install
	locust -f loadtests/locustfile.py --headless --host $(LOADTEST_HOST) \
		-u $(USERS) -r $(SPAWN_RATE) -t $(RUN_TIME) --reset-stats --stop-timeout 10 --only-summary

capacity: install
	python -m loadtests.capacity --host $(LOADTEST_HOST)

deploy-checks: install
	./deploy/ci/deploy-checks

container-smoke: install
	./deploy/ci/container-smoke
