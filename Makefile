# The two commands of the README: `make run` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev demo bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Create the database (or bring it up to date), load the demo into an empty one, serve on http://$(HOST):$(PORT)
## (`make run PORT=8080 HOST=0.0.0.0` serves elsewhere)
run: install
	$(BIN)/approval db upgrade
	-@$(BIN)/approval demo --host $(HOST) --port $(PORT) || echo "(demo not loaded: see above; the server starts on what the database holds)"
	$(BIN)/approval run --host $(HOST) --port $(PORT)

## Lint and type hints, then the whole suite on SQLite and on PostgreSQL (when a server answers on 127.0.0.1:5432),
## one test process per core (`make test PYTEST_ARGS="-n 0 -x tests/test_worker.py"` runs some in this process)
PYTEST_ARGS ?= -n auto
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/transitions.py
	$(BIN)/python bench/style.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/publishing.py
	$(BIN)/python bench/notify.py
	$(BIN)/python bench/media.py
	$(BIN)/python bench/hub.py

## Extract the interface's strings, merge them into each language's catalogue, compile the catalogues
translations: install-dev
	$(BIN)/pybabel extract -F approval/translations/babel.cfg -k _l -k lazy_gettext -k N_ -k lazy_pgettext:1c,2 \
		--project approval --no-location --sort-output -o approval/translations/messages.pot .
	$(BIN)/pybabel update -i approval/translations/messages.pot -d approval/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d approval/translations

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
