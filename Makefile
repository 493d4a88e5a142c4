# Fashionistas WhatsApp assistant. `make help` lists the targets.
# Two commands do everything on a fresh machine: `make run` and `make test`.

SHELL := /bin/bash
PY := .venv/bin/python
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.DEFAULT_GOAL := help
.PHONY: help venv train run test test-fast lint format validate bench nlu-report clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

venv: ## create .venv from requirements.lock (cached outside the clone)
	@scripts/bootstrap.sh

train: venv ## train the model if data or config changed (cached by fingerprint); newest in models/
	@$(PY) -m bot train

run: venv ## run the whole assistant locally: rasa, actions, sandbox + web chat (Ctrl-C stops)
	@$(PY) -m bot run

test: venv ## run the whole test suite (unit, storage on SQLite+PostgreSQL, Redis, e2e, browser)
	@scripts/ensure_browser.sh
	@$(PY) -m bot train >/dev/null
	@$(PY) -m pytest $(PYTEST_ARGS)

test-fast: venv ## unit tests only (no processes, no browser)
	@$(PY) -m pytest -m "not e2e and not browser and not rasa" $(PYTEST_ARGS)

lint: venv ## ruff
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check . >/dev/null || echo "ruff format would reformat files (make format)"

format: venv ## ruff format + autofix
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

validate: venv ## rasa data validate
	@.venv/bin/rasa data validate --fail-on-warnings

bench: venv ## benchmarks: ack and turn latency, lost/doubled, memory, NLU, purchases, emergency alert, 10k broadcast (BENCH_PROACTIVE=0 skips the last two)
	@$(PY) -m bot train >/dev/null
	@$(PY) -m bench

nlu-report: venv ## NLU figures: cross-validation (NLU_FOLDS=5; NLU_CV=0 skips, NLU_CV=reuse reprints the last), test set, out-of-scope recall
	@$(PY) -m bot.nlu_report

clean: ## remove local state (var/, models/, results/); the caches outside the clone stay
	rm -rf var models results .pytest_cache
