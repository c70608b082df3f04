# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench bench-search bench-meeting bench-digests bench-notifications clean messages lock wheel screenshots

# Every dependency at the version in requirements.lock (make lock refreshes it).
LOCK := requirements.lock

$(STAMP): setup.cfg pyproject.toml package.json $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test]'
	if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund; fi
	touch $@

# `make run PORT=5001` when 5000 is taken; HOST=0.0.0.0 to be reached from other machines.
HOST ?= 127.0.0.1
PORT ?= 5000
run: $(STAMP)
	$(BIN)/brain setup
	$(BIN)/brain serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/brain translations compile
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layers contract in setup.cfg

# The README's pictures (docs/screenshots/*.png), taken in Chromium from the demo content.
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test,bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python bench/markup.py
	$(BIN)/python bench/topic_page.py

# The long ones (100,000 synthetic posts each; several minutes).
bench-search: $(BENCH_STAMP)
	$(BIN)/python bench/search.py

bench-meeting: $(BENCH_STAMP)
	$(BIN)/python bench/meeting_point.py

# Daily digests for 700 members (target: at most 30 s).
bench-digests: $(BENCH_STAMP)
	$(BIN)/python bench/digests.py

# A reply and a new topic watched by 700 members: request p95 ratio (ceiling 1.2) and the time
# until the worker has written the 700 notifications.
bench-notifications: $(BENCH_STAMP)
	$(BIN)/python bench/notifications.py

RELEASE_STAMP := $(VENV)/.release-stamp
$(RELEASE_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test,release]'
	touch $@

# The wheel (and source archive) an operator installs: `make wheel`, then README: Deployment.
DIST ?= dist
wheel: $(RELEASE_STAMP)
	$(BIN)/python -m build --outdir $(DIST) .

# Newest versions within setup.cfg's ranges, pinned again; then run `make test`.
lock: $(RELEASE_STAMP)
	$(BIN)/uv pip compile setup.cfg --extra test --extra bench --extra release --universal \
	  --python-version 3.11 --upgrade --no-header --quiet -o $(LOCK)

clean:
	rm -rf $(VENV) node_modules .pytest_cache build dist

# Refresh the message catalogs after changing strings in the code (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k pgettext:1c,2 \
	  -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 --no-location --sort-output \
	  -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
