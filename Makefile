# Roper: `make run` serves the demo, `make test` runs the tests. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-bench lint audit format bench worker beat clean screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $${PORT:-127.0.0.1:8000}

# The suite on every core; the production journey (tests/production), whose server
# (collectstatic, migrate, gunicorn) is built once, runs whole on one worker while the others
# go on (tests/conftest.py, pytest_xdist_make_scheduler). The benchmark harness (tests/bench,
# marked bench) is not in it: `make test-bench` (CI runs it after).
# PYTEST_ARGS runs exactly what it says instead, e.g. PYTEST_ARGS="-p no:xdist tests/devices".
test: $(STAMP)
ifdef PYTEST_ARGS
	$(PY) -m pytest $(PYTEST_ARGS)
else
	$(PY) -m pytest -n auto --dist worksteal -m "not bench"
endif

test-bench: $(STAMP)  ## the benchmark harness at the tiny scale (tests/bench), in one process
	$(PY) -m pytest -p no:xdist -m bench tests/bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

audit: $(STAMP)  ## security lint of the application code (bandit)
	$(VENV)/bin/bandit -q -c pyproject.toml -r roper people sso devices incidents policies reports conduct transfers -x '*/migrations/*'

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: $(STAMP)
	$(VENV)/bin/celery -A roper worker --loglevel=info

beat: $(STAMP)
	$(VENV)/bin/celery -A roper beat --loglevel=info

# The benchmark (bench/, issue 9): seeds the school and trust scales once (a few minutes),
# then measures; writes bench/results/<date>.json. Its own database, never DATABASE_URL's.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/roper_bench
bench: $(STAMP)  ## e.g. make bench BENCH_ARGS="--runs 10 --no-rush"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run $${BENCH_ARGS:-}

clean:
	rm -rf $(VENV) staticfiles db.sqlite3

screenshots: $(STAMP)  ## re-take the README's pictures from the browser journeys
	ROPER_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -q -p no:xdist
	if command -v optipng >/dev/null; then optipng -quiet -o2 docs/screenshots/*.png; fi

# Backup and restore (README "Backup and restore"): PostgreSQL and the private files in one archive.
.PHONY: backup restore
backup: $(STAMP)  ## e.g. make backup BACKUP_DIR=/srv/roper-backups
	$(PY) manage.py backup --output-dir $${BACKUP_DIR:-backups}

restore: $(STAMP)  ## into an empty database: make restore ARCHIVE=backups/roper-backup-….tar
	test -n "$(ARCHIVE)" || (echo "usage: make restore ARCHIVE=path/to/roper-backup-….tar" && exit 2)
	$(PY) manage.py restore $(ARCHIVE)
