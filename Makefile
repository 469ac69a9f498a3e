# The two commands: `make run` serves the site, `make test` runs every test.
# Each installs what it needs into .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run demo bench test lint browser clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# A development key kept between runs, so that cookie and jwt logins survive a
# restart of `make run` as they would in production. Never used outside it.
DEV_KEY := instance/development-secret-key

$(DEV_KEY):
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $@

## Serve the site on http://127.0.0.1:$(PORT) (memory store unless SESSION_STORE says otherwise).
run: $(VENV)/.installed $(DEV_KEY)
	APP_ENV=$${APP_ENV:-development} SECRET_KEY=$${SECRET_KEY:-$$(cat $(DEV_KEY))} \
	  $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

## Replace real instances and measure which stores kept their users logged in.
demo: $(VENV)/.dev-installed
	APP_ENV=$${APP_ENV:-development} SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')} \
	  $(BIN)/flask --app wsgi demo $(ARGS)

## Measure what each store costs per request, on real instances.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m webapp.demo.cost $(ARGS)

## Run every test, the browser tests included.
test: $(VENV)/.dev-installed browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Lint, format check, type check and spell check.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/codespell webapp stores tests README.md

## Make sure a Chromium is there for the browser tests.
browser: $(VENV)/.dev-installed
	@if [ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1; then \
	  echo "Chromium: $${CHROMIUM_PATH:-$$(command -v chromium)}"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  $(BIN)/python -m playwright install chromium; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
