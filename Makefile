# Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
APT_PACKAGES := pkg-config default-libmysqlclient-dev build-essential

.PHONY: run test bench lint sysdeps migrate seed clean image-test

# mysqlclient compiles against the MySQL/MariaDB client headers.
sysdeps:
	@if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists libmariadb 2>/dev/null && ! pkg-config --exists mariadb 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	  else echo "Missing MySQL client headers. Run: sudo apt-get install -y $(APT_PACKAGES)"; exit 1; fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt constraints.txt | $(BIN)/python
	@$(MAKE) --no-print-directory sysdeps
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt constraints.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# Local demo: DEBUG on (development keys are created in .keys/), SQLite unless DATABASE_URL says otherwise.
run: export DEBUG ?= true
run: $(VENV)/.installed
	@$(MAKE) --no-print-directory local-redis
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@# The relay beside the site: its periodic jobs (order expiry sweep, email retries); events wait in the
	@# outbox unless AMQP_URL is set. Stopped with the site (Ctrl-C reaches both).
	@$(BIN)/python manage.py outbox_relay & relay=$$!; trap 'kill $$relay 2>/dev/null' EXIT; \
	  $(BIN)/gunicorn cinema.wsgi:application -c gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile -

# The shared cache `make run` uses without CACHE_URL (settings.py picks the local
# Redis when it answers): installs redis-server with apt when missing, starts it.
.PHONY: local-redis
local-redis:
	@if [ -z "$$CACHE_URL" ] && ! (command -v redis-cli >/dev/null && redis-cli ping >/dev/null 2>&1); then \
	  if ! command -v redis-server >/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	    else echo "No Redis: using the file cache (slower). Run: sudo apt-get install -y redis-server"; fi; \
	  fi; \
	  command -v redis-server >/dev/null && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null || true; \
	fi

test: $(VENV)/.installed-dev
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Load benchmark (docs/performance.md): a fresh MariaDB database `cinema_bench`
# at 127.0.0.1:3306 (root, no password), Redis at 127.0.0.1:6379/1 if it answers,
# app on 127.0.0.1:8100 and the floor on 8101. Exits 1 when a budget is missed.
bench: $(VENV)/.installed-dev
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "wrk is missing. Run: sudo apt-get install -y wrk"; exit 1; fi; \
	fi
	$(BIN)/python -m bench.run

# Build the image, run the compose stack with podman (ENGINE=docker for Docker), smoke-test
# it through the API, tear it down: docker/image-test.sh. Root; app on 127.0.0.1:28080.
image-test: $(VENV)/.installed-dev
	PODMAN_COMPOSE=$(abspath $(BIN))/podman-compose bash docker/image-test.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .cache

# constraints.txt from a fresh venv of requirements-dev.txt (which includes
# requirements.txt), without the old pins: after changing a requirement.
.PHONY: constraints
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install -q -r requirements-dev.txt
	{ sed -n 1,3p constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .venv-constraints

# Two gunicorn nodes behind nginx (deploy/nginx.conf) on their own MariaDB
# primary + replica (13306/13307, temporary datadirs) and Redis db 5:
# tests/multinode, docs/scaling.md. Fails if any engine cannot be started.
MULTINODE_APT := $(if $(shell command -v nginx),,nginx) $(if $(wildcard /usr/sbin/mariadbd),,mariadb-server) $(if $(shell command -v redis-cli),,redis-server)
.PHONY: multinode-test
multinode-test: $(VENV)/.installed-dev
	@if [ -n "$(strip $(MULTINODE_APT))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(MULTINODE_APT); \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(MULTINODE_APT); \
	  else echo "Missing: $(MULTINODE_APT). Run: sudo apt-get install -y $(MULTINODE_APT)"; exit 1; fi; \
	fi
	@redis-cli ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null
	MULTINODE_TESTS=1 $(BIN)/python -m pytest tests/multinode -p no:cacheprovider $(PYTEST_ARGS)
