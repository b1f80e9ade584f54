package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestMigrateBrandNewCluster: `everymeter migrate` with only DATABASE_URL, on a cluster where nothing has ever
// run (so the application role does not exist yet), applies the migrations — it must not try to switch to the
// role that one of them creates — and afterwards the role exists and the URL's user may switch to it.
func TestMigrateBrandNewCluster(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	// The cluster's server runs as the postgres user, which must be able to enter the test's directories.
	for _, d := range []string{filepath.Dir(data), data} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, bin, []string{"DATABASE_URL="}, "", "db", "start", "--data", data)
	if err != nil {
		t.Fatalf("db start: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = run(t, bin, []string{"DATABASE_URL="}, "", "db", "stop", "--data", data) })
	var url string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "postgres://") {
			url = strings.TrimSpace(l)
		}
	}
	if url == "" {
		t.Fatalf("db start printed no URL:\n%s", out)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var roles int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_roles WHERE rolname = 'everymeter_app'`).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if roles != 0 {
		t.Fatalf("a brand-new cluster already has the role everymeter_app; the test cannot show anything")
	}

	env := []string{"DATABASE_URL=" + url}
	if out, err := run(t, bin, env, "", "migrate"); err != nil {
		t.Fatalf("migrate on a brand-new cluster: %v\n%s", err, out)
	}
	if _, err := conn.Exec(t.Context(), `SET ROLE everymeter_app`); err != nil {
		t.Fatalf("after migrate the URL's user cannot switch to everymeter_app: %v", err)
	}
	if _, err := conn.Exec(t.Context(), `RESET ROLE`); err != nil {
		t.Fatal(err)
	}
	// And the commands that run as the application role work on it now.
	if out, err := run(t, bin, env, "", "migrate"); err != nil || !strings.Contains(out, "0 migrations applied") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "secret-pass-1\n", "user", "add", "ada", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatalf("user add after migrate: %v\n%s", err, out)
	}
}
