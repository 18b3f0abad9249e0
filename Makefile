# The two commands of the README work on a fresh machine with only Python 3.11+:
#   make demo   install into .venv and run the main job
#   make test   install into .venv, lint, and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install, each redone when pyproject.toml changes: `make demo`
# installs only what the report needs (the package and its plot extra), `make
# test` the dev tools too. The dev install includes the plot extra, so it
# renews the demo stamp as well: either order works without a second install.
# The install compiles skscale/_backends/_kernels.c with the machine's C compiler
# (gcc here); without one it still succeeds, and skscale runs its NumPy path.
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
# The compiled kernels (declared in setup.py), built into the source tree by
# the editable install:
# editing them must rebuild, as editing pyproject.toml reinstalls.
KERNELS := skscale/_backends/_kernels.c setup.py

.PHONY: install demo test lint bench mutate mutate-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(KERNELS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,plot]"
	touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml $(KERNELS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[plot]"
	touch $(DEMO_STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/skscale report --example nutrimouse --out report.html

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# SCIPY_ARRAY_API=1: scikit-learn's array API dispatch needs scipy's, which
# is read when scipy is first imported (tests/test_array_api.py). -n auto:
# one pytest-xdist worker per core (2 here: 513 s serial, 429 s in two).
test: lint
	SCIPY_ARRAY_API=1 $(BIN)/python -m pytest -n auto --cov=skscale --cov-report=term

bench: install
	$(BIN)/python benchmarks/bench_scalers.py
	$(BIN)/python benchmarks/bench_diagnostics.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_normalizers.py
	$(BIN)/python benchmarks/bench_scanpy.py
	$(BIN)/python benchmarks/bench_gpu.py

# Mutation testing of the numeric core (configuration: [tool.mutmut] in
# pyproject.toml); not part of `make test`. `make mutate` runs a fixed sample
# of the mutants (about 12% of each module's, at least 40) in about half an
# hour on 2 cores and prints each module's score with its 95% interval
# (tools/mutation_sample.py); `make mutate-full` runs all of them (hours; it
# resumes where an earlier full run stopped). Both mutate the NumPy path:
# SKSCALE_NO_COMPILED=1, since the compiled kernels (which mutmut does not
# mutate) would otherwise run in its place; tests/backends/test_compiled.py holds
# the kernels to that path's results.
MUTATE_ENV := SKSCALE_NO_COMPILED=1 SKSCALE_MUTATION=1 SCIPY_ARRAY_API=1 \
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

mutate: install
	$(MUTATE_ENV) $(BIN)/python tools/mutation_sample.py --max-children 2

mutate-full: install
	$(MUTATE_ENV) $(BIN)/mutmut run --max-children 2
	$(BIN)/python tools/mutation_scores.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .coverage mutants
	rm -f skscale/_backends/_kernels*.so
