# Two promises: `make dev` brings the whole stack up, `make test` runs the whole suite.
# Both work on a fresh machine: they create the virtual environment and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test bench proving-ground install browser compose-checker clean-data

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/atrezzo dev

# Browser tests need Debian's chromium; without it they are skipped with a notice.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "notice: could not install chromium; browser tests will be skipped"; \
	  else echo "notice: chromium not installed and cannot install it here; browser tests will be skipped"; fi; }

# docker-compose.yml is always checked against the Compose specification's schema; Debian's
# docker-compose (v1, no engine needed for `config`) checks it once more where it can be
# installed, and that one test is skipped with a notice otherwise.
compose-checker:
	@command -v docker-compose >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; } \
	      || echo "notice: could not install docker-compose; its check of docker-compose.yml will be skipped"; \
	  else echo "notice: docker-compose not installed and cannot install it here; its check of docker-compose.yml will be skipped"; fi; }

test: $(STAMP) browser compose-checker
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# The production topology on loopback, broken on purpose; `PROVING_GROUND_ARGS=--only 1,3`.
proving-ground: $(STAMP)
	$(BIN)/python -m provingground $(PROVING_GROUND_ARGS)

clean-data:
	rm -rf .devdata
