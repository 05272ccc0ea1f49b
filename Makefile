# distillery — run `make help` for the targets.
GO      ?= go
BIN     := bin/distillery
DEMO_DIR ?= runs/quickstart

.PHONY: help build demo test test-short bench bench-verify fuzz lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/distillery
	$(GO) build -o $(BIN) ./cmd/distillery

demo: build ## plan, generate (embedded simulator), verify and merge examples/ into runs/quickstart
	rm -rf $(DEMO_DIR)
	$(BIN) local -c examples/quickstart.toml --set run.dir=$(CURDIR)/$(DEMO_DIR)

test: build ## run every test (real Slurm, DuckDB and shellcheck tests skip loudly when missing)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

test-short: ## unit tests only
	$(GO) test -short ./...

bench: ## all Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-verify: ## verify on the real answer-equivalence sets: agreement with labels, share unsure, pairs/s on one core
	$(GO) run ./verify/internal/benchverify

fuzz: ## short fuzz runs of the answer extraction and parser and the output-shard reader (no panic, no hang)
	$(GO) test -run='^$$' -fuzz=FuzzExtract -fuzztime=10s ./verify
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=10s ./verify
	$(GO) test -run='^$$' -fuzz=FuzzReadOutput -fuzztime=10s ./shard

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean: ## remove build output and demo runs
	rm -rf bin runs
