package pgctl_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"everymeter/pgctl"
)

func newCluster(t *testing.T, dir string) *pgctl.Cluster {
	t.Helper()
	c, err := pgctl.New(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClusterLifecycle starts a private cluster, writes, restarts it, reads the write back, and checks that
// a second owner of the data directory is refused while the first holds it.
func TestClusterLifecycle(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "emt")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	c := newCluster(t, dir)
	if err := c.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.ForceStop(context.Background()) })
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	var postgis string
	if err := conn.QueryRow(ctx, "SELECT postgis_version()").Scan(&postgis); err != nil {
		t.Fatalf("PostGIS not available in the private cluster: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// A second owner is refused while the first holds the directory.
	second := newCluster(t, dir)
	if err := second.Lock(); !errors.Is(err, pgctl.ErrLocked) {
		t.Fatalf("second owner: got %v, want ErrLocked", err)
	}

	// Restart: stop cleanly, start again, and the data is still there.
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Running(ctx) {
		t.Fatal("cluster still running after Stop")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	c.Unlock()
	// Once released, another owner may take it.
	if err := second.Lock(); err != nil {
		t.Fatalf("after release: %v", err)
	}
	second.Unlock()
}

func TestSocketPathTooLong(t *testing.T) {
	long := "/tmp/" + string(make([]byte, 0))
	for len(long) < 120 {
		long += "abcdefghij"
	}
	if _, err := pgctl.New(long, nil); err == nil {
		t.Fatal("a data directory whose socket path exceeds 107 bytes was accepted")
	}
}
