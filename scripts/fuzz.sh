#!/usr/bin/env bash
# Runs every fuzz target for a bounded number of executions; the seed corpora in testdata/ run as ordinary
# tests too.
#
# The budget is a count of executions, not a duration: with a duration (-fuzztime 10s) Go's fuzzing coordinator
# can report "context deadline exceeded" as a failure when the deadline fires while a worker is mid-call on a
# loaded machine (https://go.dev/issue/75804), with no failing input behind it. A count has no deadline to race;
# a slow machine only takes longer. -timeout still stops, with goroutine dumps, a target that really hangs.
#
# FUZZEXECS overrides every target's count (e.g. FUZZEXECS=1000x for a quick look, 2000000x for a long soak).
set -euo pipefail

# Executions per target, sized to roughly 5–10 s each on this machine kind (2 cores, unloaded):
# the pure parsers run ~30,000/s, the handler and importer targets 750–4,000/s.
budget() {
  case "$1" in
    FuzzOSMXML) echo 6000x ;;
    FuzzJPEGMetadata | FuzzQueryFilters | FuzzOpen311Form | FuzzRead) echo 25000x ;;
    *) echo 200000x ;;
  esac
}

for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //' | sort -u); do
    n=${FUZZEXECS:-$(budget "$f")}
    log=$(mktemp "${TMPDIR:-/tmp}/fuzz-$f.XXXXXX.log")
    start=$SECONDS
    if ! go test -run '^$' -fuzz "^$f\$" -fuzztime "$n" -timeout 10m "$pkg" >"$log" 2>&1; then
      cat "$log"
      echo "fuzz $pkg $f: FAILED (a failing input, if any, is under $dir/testdata/fuzz/$f)"
      exit 1
    fi
    echo "fuzz $pkg $f: ${n%x} executions, $((SECONDS - start)) s"
    rm -f "$log"
  done
done
