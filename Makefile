# make chat  — set up .venv and start the web chat on seeds/ (http://127.0.0.1:7860)
# make test  — set up .venv with the test extras (and Chromium) and run lint, types and all tests
# make test-fast — the unit tier only: no model, engine, server or browser (about 20 s)
PY := .venv/bin/python
PIP := $(PY) -m pip

.PHONY: chat test test-fast setup setup-test browser

.venv/bin/python:
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	# CPU torch first: a plain 'torch' requirement would pull gigabytes of CUDA packages.
	$(PIP) install --quiet torch==2.13.0

setup: .venv/bin/python
	$(PIP) install --quiet -e .

setup-test: .venv/bin/python
	$(PIP) install --quiet -e ".[test]"

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

chat: setup
	.venv/bin/rag serve

test: setup-test browser
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy rag
	$(PY) -m pytest -q -ra

test-fast: setup-test
	$(PY) -m pytest -q -m "not slow"
