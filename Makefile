# The two commands that matter: `make site` builds the portal, `make test` runs the tests.
# Both create the virtual environment first when it is missing or out of date.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test check serve translations bench clean

site: $(STAMP)
	$(BIN)/python build.py build

serve: $(STAMP)
	$(BIN)/python build.py serve --drafts

check: $(STAMP)
	$(BIN)/python build.py check

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/compare.py --corpus 2000/0 2000/50 10000/500 --baseline 38fb3f1
	$(BIN)/python bench/big_csv.py 10 100

translations: $(STAMP)
	$(BIN)/pybabel extract -F portal/locales/babel.cfg -o portal/locales/messages.pot --no-location --sort-output --omit-header --no-wrap portal templates
	$(BIN)/pybabel update -i portal/locales/messages.pot -d portal/locales --no-fuzzy-matching --ignore-obsolete --no-wrap --ignore-pot-creation-date

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf site .preview .cache .pytest_cache
