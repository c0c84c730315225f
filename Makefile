# Two commands do all the set-up: `make demo` and `make test` (each creates .venv first).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LANG_ARG ?= en

.PHONY: install demo test lint benchmarks locales clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/alliance-bot demo --lang $(LANG_ARG)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 4

benchmarks: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

# After changing user-visible strings: extract, merge into every catalog, then translate.
locales: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k __ -k lazy_gettext -k lazy_pgettext:1c,2 -o locales/messages.pot --no-location --sort-output -w 100 .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete -w 100

clean:
	rm -rf $(VENV) build *.egg-info
