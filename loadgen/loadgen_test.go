package loadgen_test

import (
	"errors"
	"os"
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
	cfg.Clients, cfg.Duration = 100, 10*time.Second
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
		t.Error("no report was acknowledged")
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
