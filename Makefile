# distillery — run `make help` for the targets.
GO      ?= go
BIN     := bin/distillery
DEMO_DIR ?= runs/quickstart
# The version stamped into the binary (parquet created_by, the card).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/distillery-hpc/distillery/merge.buildVersion=$(VERSION)

.PHONY: help build demo test test-short bench bench-plan bench-verify bench-merge fuzz lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/distillery
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/distillery

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

bench-plan: build ## plan generated NuminaMath-like sets of 100k and 400k rows (JSONL, parquet): time, CPU, peak RSS, shards digest
	$(GO) run ./shard/internal/benchplan -bin $(BIN) -rows 100000,400000 -format jsonl,parquet

bench-verify: ## verify on the real answer-equivalence sets: agreement with labels, share unsure, pairs/s on one core
	$(GO) run ./verify/internal/benchverify

bench-merge: ## merge synthetic R1-length runs of 2,000 and 8,000 problems x 4 (no judge): shard MB/s per core, peak RSS (MERGE_BENCH_PROBLEMS=a,b for other sizes)
	@$(GO) test -run '^$$' -bench '^BenchmarkMerge$$' -benchtime 1x -count 1 -timeout 60m ./merge/ | awk '\
	  { print } \
	  /^BenchmarkMerge\// { split($$1, a, "[=-]"); n++; p[n] = a[2]; \
	    for (i = 3; i < NF; i += 2) v[n, $$(i+1)] = $$i } \
	  END { if (!n) exit 1; \
	    printf "\n%-10s %10s %12s %12s %16s %14s\n", "problems", "shard MB", "wall MB/s", "MB/s/core", "child MB/s/core", "peak RSS MiB"; \
	    for (k = 1; k <= n; k++) printf "%-10s %10.1f %12.1f %12.1f %16.1f %14.1f\n", p[k], v[k, "shard-MB"], v[k, "MB/s"], v[k, "MB/s/core"], v[k, "child-MB/s/core"], v[k, "peak-RSS-MiB"] }'

# Fuzz budgets are execution counts, not durations: a -fuzztime=10s run can
# fail with a bare "context deadline exceeded" and no crasher on a loaded
# machine (a race in Go's fuzz coordinator, go.dev/issue/75804, fixed in 1.27).
FUZZ_EXECS ?= 50000x
fuzz: ## fuzz the answer extraction, the parser, the output-shard reader and its record decoder (FUZZ_EXECS=50000x each; no panic, no hang)
	$(GO) test -run='^$$' -fuzz=FuzzExtract -fuzztime=$(FUZZ_EXECS) -fuzzminimizetime=200x -timeout=20m ./verify
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZ_EXECS) -fuzzminimizetime=200x -timeout=20m ./verify
	$(GO) test -run='^$$' -fuzz=FuzzReadOutput -fuzztime=$(FUZZ_EXECS) -fuzzminimizetime=200x -timeout=20m ./shard
	$(GO) test -run='^$$' -fuzz=FuzzDecodeFast -fuzztime=$(FUZZ_EXECS) -fuzzminimizetime=200x -timeout=20m ./shard

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean: ## remove build output and demo runs
	rm -rf bin runs
