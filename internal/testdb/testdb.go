// Package testdb gives tests their own fresh, migrated PostGIS database on a real PostgreSQL server:
// TEST_DATABASE_URL names the server (`make test` starts a private one); without it a private cluster is
// started under the system temp directory and left running for the next test run.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"everymeter/pgctl"
	"everymeter/store"
)

const template = "everymeter_template"

var (
	baseOnce sync.Once
	baseURL  string
	baseErr  error
)

// ServerURL returns the URL of the test server's maintenance database, starting a private cluster if
// TEST_DATABASE_URL is not set.
func ServerURL() (string, error) {
	baseOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			baseURL = u
			return
		}
		baseURL, baseErr = startPrivate()
	})
	return baseURL, baseErr
}

func startPrivate() (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("everymeter-test-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test binaries of several packages run at once: serialise the start-up.
	f, err := os.OpenFile(filepath.Join(dir, "start.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck
	c, err := pgctl.New(dir, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@/postgres?host=%s&sslmode=disable", c.SocketDir()), nil
}

// withDB returns url with its database name replaced.
func withDB(base, db string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + db
	return u.String()
}

// ensureTemplate creates the migrated template database once per server (guarded by an advisory lock).
func ensureTemplate(ctx context.Context, admin *pgx.Conn, base string) error {
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(724211)"); err != nil {
		return err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(724211)") //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+template); err != nil {
			return err
		}
		conn, err := pgx.Connect(ctx, withDB(base, template))
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis")
		conn.Close(ctx)
		if err != nil {
			return err
		}
	}
	// Always bring the template up to the current schema (a new migration may have landed since).
	_, err := store.Migrate(ctx, withDB(base, template))
	return err
}

// New creates a fresh database from the migrated template, opens a store on it and drops it when the
// test ends. It returns the store and the database URL. The store runs as the server does, as
// store.AppRole; the URL connects as the server's superuser (for tests that must reach past the server).
func New(t testing.TB) (*store.Store, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base, err := ServerURL()
	if err != nil {
		t.Fatalf("testdb: no PostgreSQL server for tests (install postgresql-15-postgis-3 or set TEST_DATABASE_URL): %v", err)
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testdb: connect %s: %v", base, err)
	}
	defer admin.Close(ctx)
	if err := ensureTemplate(ctx, admin, base); err != nil {
		t.Fatalf("testdb: template: %v", err)
	}
	name := "t_" + strings.ToLower(sanitize(t.Name())) + "_" + randHex(4)
	if len(name) > 60 {
		name = name[:50] + "_" + randHex(4)
	}
	// CREATE DATABASE … TEMPLATE fails if someone is connected to the template: retry briefly.
	for i := 0; ; i++ {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+template)
		if err == nil || i > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	dbURL := withDB(base, name)
	st, err := store.OpenApp(ctx, dbURL, 20)
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return st, dbURL
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
