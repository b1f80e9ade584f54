package loadgen_test

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"everymeter/internal/testdb"
	"everymeter/loadgen"
	"everymeter/store"
)

// TestLoad runs the generator against the full server on the demo town, smaller than the CLI's 500 clients for
// 60 s so `make test` stays quick, and demands what issue 8 §5 demands: no 5xx, no request left unanswered, no
// unexpected answer, and every acknowledged report stored exactly once, under the key its client sent.
func TestLoad(t *testing.T) {
	_, url := testdb.New(t)
	// The pool `everymeter serve` opens (50), not the tests' default.
	st, err := store.Open(t.Context(), url, 50)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	srv, err := loadgen.StartDemo(t.Context(), st, t.TempDir(), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := loadgen.Defaults()
	cfg.Clients, cfg.Duration, cfg.EveryKind = 100, 10*time.Second, true
	rep, err := loadgen.Run(t.Context(), srv.Config(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadgen.Reconcile(t.Context(), st, &rep); err != nil {
		t.Fatal(err)
	}
	rep.Server = "the in-process server on a loopback listener"
	rep.Print(os.Stdout)
	if err := rep.OK(); err != nil {
		t.Fatal(err)
	}
	// The mix must really have happened, or the checks above prove nothing.
	seen := map[string]int{}
	for _, k := range rep.Kinds {
		seen[k.Kind] = k.Requests
	}
	for _, k := range loadgen.Kinds {
		if seen[k] == 0 {
			t.Errorf("no %s request was sent", k)
		}
	}
	if rep.Reconciled.Acked == 0 {
		t.Fatal("no report was acknowledged")
	}

	// The reconciliation must notice what it is there to notice: a doctored log stands in for a lost report, a
	// report no client sent, and an answer the database contradicts.
	acked := 0
	for i, f := range rep.Filed {
		if f.Acked {
			acked = i
			break
		}
	}
	cases := []struct {
		name   string
		doctor func(fs []loadgen.Filed) []loadgen.Filed
		count  func(c *loadgen.Reconciliation) int
	}{
		{"acknowledged but not stored", func(fs []loadgen.Filed) []loadgen.Filed {
			f := fs[acked]
			f.Key, f.ReportID, f.IDs = "never-stored", 1<<40, []int64{1 << 40}
			return append(fs, f)
		}, func(c *loadgen.Reconciliation) int { return c.Lost }},
		{"stored but sent by no client", func(fs []loadgen.Filed) []loadgen.Filed {
			return append(fs[:acked:acked], fs[acked+1:]...)
		}, func(c *loadgen.Reconciliation) int { return c.Unrecorded }},
		{"stored in another status", func(fs []loadgen.Filed) []loadgen.Filed {
			fs[acked].Status = "closed"
			return fs
		}, func(c *loadgen.Reconciliation) int { return c.Mismatched }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := rep
			bad.Filed = tc.doctor(slices.Clone(rep.Filed))
			if err := loadgen.Reconcile(t.Context(), st, &bad); err != nil {
				t.Fatal(err)
			}
			if n := tc.count(bad.Reconciled); n != 1 || bad.OK() == nil {
				t.Fatalf("reconciliation counted %d, OK() = %v; want 1 and an error", n, bad.OK())
			}
		})
	}
}

// BenchmarkLoad is the full run of issue 8 §5 for `make bench`: 500 clients for 60 s (EVERYMETER_LOAD_CLIENTS and
// EVERYMETER_LOAD_SECONDS change them). It prints the table and fails like the test on any 5xx or lost report.
func BenchmarkLoad(b *testing.B) {
	cfg := loadgen.Defaults()
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_LOAD_CLIENTS")); err == nil && v > 0 {
		cfg.Clients = v
	}
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_LOAD_SECONDS")); err == nil && v > 0 {
		cfg.Duration = time.Duration(v) * time.Second
	}
	_, url := testdb.New(b)
	st, err := store.Open(b.Context(), url, 50)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	srv, err := loadgen.StartDemo(b.Context(), st, b.TempDir(), nil, 20)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	b.ResetTimer()
	rep, err := loadgen.Run(b.Context(), srv.Config(cfg))
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if err := loadgen.Reconcile(b.Context(), st, &rep); err != nil {
		b.Fatal(err)
	}
	rep.Server = "the in-process server on a loopback listener"
	rep.Print(os.Stdout)
	b.ReportMetric(rep.PerSecond, "req/s")
	b.ReportMetric(float64(rep.Total.P99.Microseconds())/1000, "p99-ms")
	if err := rep.OK(); err != nil {
		b.Fatal(err)
	}
}

func TestRunRefusesRemoteTargets(t *testing.T) {
	for _, base := range []string{"http://10.0.0.1:8080", "https://example.org", "ftp://127.0.0.1"} {
		t.Run(base, func(t *testing.T) {
			cfg := loadgen.Defaults()
			cfg.BaseURL = base
			_, err := loadgen.Run(t.Context(), cfg)
			if !errors.Is(err, loadgen.ErrNotLoopback) {
				t.Fatalf("got %v, want ErrNotLoopback", err)
			}
		})
	}
}
