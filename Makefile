# The two commands of the README: `make run` installs and starts Roost, `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run run-deps test install chromium pg-client wrk lint typecheck unit bench clean

UV_VERSION := 0.13.9
UV := $(BIN)/uv

# uv installs the locked wheels several times faster than pip (a first `make run` is mostly this step). It writes
# their bytecode too (--compile-bytecode): where PYTHONDONTWRITEBYTECODE is set, as on these machines, every Python
# process would otherwise compile sqlalchemy, fastapi and the rest from source at start, about 2 s of CPU each
# (`roost accounts list`: 3.6 s -> 1.2 s of CPU), and the test suite starts hundreds of them.
$(UV):
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): requirements-dev.lock pyproject.toml $(UV)
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -r requirements-dev.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-* $(VENV)/.run-*
	touch $(STAMP) $(RUN_STAMP)  # the dev install holds the runtime one: `make run` after it installs nothing

install: $(STAMP)

# `make run` needs only the runtime dependencies (requirements.lock), which install in a fraction of the time of
# the development ones; `make test` and `make install` add the rest to the same .venv.
RUN_STAMP := $(VENV)/.run-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

$(RUN_STAMP): requirements.lock pyproject.toml $(UV)
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.run-*
	touch $(RUN_STAMP)

# `make test` only: the dashboard's end-to-end tests drive Debian's chromium through Playwright (never `playwright
# install`). Needs root (or sudo) when chromium is missing; `make run` does not need it.
chromium:
	@test -x /usr/bin/chromium || apt-get install -y --no-install-recommends chromium \
		|| (apt-get update && apt-get install -y --no-install-recommends chromium)

# `roost db backup` and `roost db restore` of a PostgreSQL database run Debian's pg_dump / pg_restore (package
# postgresql-client), installed here when missing. That needs root (or sudo); without it `make run` goes on, and
# those two commands say what to install when they are used.
pg-client:
	@command -v pg_dump >/dev/null || apt-get install -y --no-install-recommends postgresql-client \
		|| (apt-get update && apt-get install -y --no-install-recommends postgresql-client) \
		|| echo "note: postgresql-client (pg_dump) is not installed; PostgreSQL backups need it" >&2

# `make bench` only: the API benchmarks drive Debian's wrk, installed here when missing, as chromium is for `make
# test`. Needs root (or sudo) when wrk is missing.
wrk:
	@command -v wrk >/dev/null || apt-get install -y --no-install-recommends wrk \
		|| (apt-get update && apt-get install -y --no-install-recommends wrk)

run-deps: $(RUN_STAMP)

run: run-deps pg-client
	$(BIN)/roost serve

# Independent tests run on every core (pytest-xdist); the README's tests share one `make run` (an xdist group).
PYTEST_ARGS ?= -n auto --dist loadgroup

test: install chromium pg-client
	$(BIN)/ruff check roost tests bench
	$(BIN)/ruff format --check roost tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/python -m compileall -q roost  # the servers and CLIs the tests start import it compiled
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install wrk
	for b in xsim api collector timeline dashboard first_run; do $(BIN)/python -m bench.bench_$$b || exit 1; done

clean:
	rm -rf $(VENV) roost-data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache test-artifacts
