# everymeter — the two commands: `make run` and `make test`.
SHELL := /bin/bash
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOFLAGS_LD := -ldflags "-X main.version=$(VERSION)"
DATA ?= ./var
ADDR ?= :8080
# The test cluster lives under /tmp: as root, PostgreSQL runs as "postgres", which must be able to enter it.
TESTDATA ?= /tmp/everymeter-make-$(shell id -u)
export CGO_ENABLED ?= 0

.PHONY: run test bench build assets deps deps-test vet clean fuzz

## run: install what is missing, build, start the private PostGIS, load the demo on first start, serve :8080
run: deps build
	./bin/everymeter serve --addr $(ADDR) --data $(DATA) --demo

## test: install the same plus GDAL and Chromium, start a private PostGIS for the tests, vet, test with -race
test: deps-test build
	@./bin/everymeter db stop --data $(TESTDATA) >/dev/null 2>&1 || true
	./bin/everymeter db start --data $(TESTDATA) >/dev/null
	set -o pipefail; status=0; \
	  TEST_DATABASE_URL="postgres://postgres@/postgres?host=$(TESTDATA)/run&sslmode=disable" \
	  EVERYMETER_SHARED="$${EVERYMETER_SHARED:-$(CURDIR)/../shared}" EVERYMETER_BIN="$(CURDIR)/bin/everymeter" \
	  bash -c 'go vet ./... && CGO_ENABLED=1 go test -race -count=1 -timeout 25m ./... && scripts/fuzz.sh' || status=$$?; \
	./bin/everymeter db stop --data $(TESTDATA) >/dev/null 2>&1 || true; \
	exit $$status

## bench: benchmarks side by side with their baselines (one package at a time: they would skew each other's
## figures), ending with one table — figure, baseline, ratio, load — printed and written to BENCH.md
BENCH_ROWS ?= $(TESTDATA)/bench-rows.jsonl
bench: deps-test build
	./bin/everymeter db start --data $(TESTDATA) >/dev/null
	@rm -f $(BENCH_ROWS)
	set -o pipefail; status=0; start=$$(date +%s); \
	  TEST_DATABASE_URL="postgres://postgres@/postgres?host=$(TESTDATA)/run&sslmode=disable" \
	  EVERYMETER_SHARED="$${EVERYMETER_SHARED:-$(CURDIR)/../shared}" \
	  EVERYMETER_BENCH_ROWS="$(BENCH_ROWS)" EVERYMETER_BIN="$(CURDIR)/bin/everymeter" \
	  go test -p 1 -run '^$$' -bench . -benchtime 1x -timeout 60m ./... || status=$$?; \
	./bin/everymeter db stop --data $(TESTDATA) >/dev/null 2>&1 || true; \
	go run ./bench/table -rows $(BENCH_ROWS) -out BENCH.md -took $$(( $$(date +%s) - start ))s || status=$$?; \
	exit $$status

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

assets: static/vendor/.stamp

static/vendor/.stamp: package.json package-lock.json scripts/build-assets.sh
	scripts/build-assets.sh
	@touch $@

build: assets
	go build $(GOFLAGS_LD) -o bin/everymeter ./cmd/everymeter

vet: assets
	go vet ./...

clean:
	rm -rf bin static/vendor node_modules
