# Every target builds its own virtual environment in .venv; nothing else needs to be installed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: bench-http bench-replay bench-serve bench-testing demo test lint typecheck bench clean

# Editing any module builds the compiled ones again (~1 min): compiled code holds the
# constants and types of the modules it imports, so a change of those must reach it too.
SOURCES := $(shell find vtrack -name '*.py')

$(BIN)/vtrack: pyproject.toml setup.py $(SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,players,plot,serve]'
	touch $@

# The spark extra (pyspark: ~490 MB installed) for the tests and the type check only: `make demo` does not
# download it. The Spark tests need a Java runtime too (.ci/run installs one).
# pyspark by name, as the extra has it: installing '.[spark]' would compile vtrack again.
$(VENV)/.spark: $(BIN)/vtrack
	$(BIN)/python -m pip install --quiet 'pyspark>=4.0'
	touch $@

demo: $(BIN)/vtrack
	$(BIN)/vtrack demo

lint: $(BIN)/vtrack
	$(BIN)/ruff check vtrack tests benchmarks examples setup.py
	$(BIN)/ruff format --check vtrack tests benchmarks examples setup.py

typecheck: $(BIN)/vtrack $(VENV)/.spark
	$(BIN)/mypy --strict vtrack

test: lint typecheck $(VENV)/.spark
	$(BIN)/pytest -q

bench: $(BIN)/vtrack
	$(BIN)/python benchmarks/core.py

bench-replay: $(BIN)/vtrack
	$(BIN)/python benchmarks/replay.py

bench-serve: $(BIN)/vtrack
	$(BIN)/python benchmarks/serve.py

bench-testing: $(BIN)/vtrack
	$(BIN)/python benchmarks/testing_toolkit.py

# segment-analytics-python is installed for this comparison only; vtrack does not use it.
bench-http: $(BIN)/vtrack
	$(BIN)/pip install --quiet segment-analytics-python==2.4.0
	$(BIN)/python benchmarks/http_delivery.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build
	find vtrack -name "*.so" -delete
	rm -f vtrack__mypyc*.so
