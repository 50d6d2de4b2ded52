# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

PLUGINS := sklearn_backend sarimax_backend nlp_backend transforms

# torch first, pinned: that is the CPU build on these machines (an unpinned torch pulls CUDA).
$(STAMP): $(PY) pyproject.toml $(PLUGINS:%=plugins/%/pyproject.toml)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test]" $(PLUGINS:%=-e plugins/%)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/mlhandler serve examples/titanic/app.yaml --port 9988

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check core plugins tests

clean:
	rm -rf $(VENV) examples/*/models .mlhandler
