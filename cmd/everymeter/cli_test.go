package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"everymeter/internal/testdb"
)

// binary builds the everymeter command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "everymeter")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// emptyDatabase creates a database with nothing in it but what CREATE DATABASE gives.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	base, err := testdb.ServerURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("cli_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

func run(t *testing.T, bin string, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// TestExternalDatabase follows the README: DATABASE_URL at an empty PostGIS database, migrate, user add,
// serve, sign in, and a create → read → update → delete round trip.
func TestExternalDatabase(t *testing.T) {
	bin := binary(t)
	env := []string{"DATABASE_URL=" + emptyDatabase(t)}

	// serve refuses a schema that is behind.
	addr := freeAddr(t)
	out, err := run(t, bin, env, "", "serve", "--addr", addr)
	if err == nil || !strings.Contains(out, "everymeter migrate") {
		t.Fatalf("serve on an unmigrated database: err %v, output %q; want a refusal naming `everymeter migrate`", err, out)
	}
	if out, err := run(t, bin, env, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "", "migrate"); err != nil || !strings.Contains(out, "0 migrations applied") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "s3cret-pass\n", "user", "add", "boss", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "short\n", "user", "add", "x", "--role", "admin", "--password-stdin"); err == nil {
		t.Fatalf("a 5-character password was accepted: %s", out)
	}
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	base := "http://" + addr
	waitHTTP(t, base+"/readyz")
	st, m := call(t, "POST", base+"/api/v1/auth/login", "", `{"username":"boss","password":"s3cret-pass"}`)
	if st != 200 {
		t.Fatalf("login %d %v\n%s", st, m, logs.String())
	}
	tok := m["token"].(string)
	st, u := call(t, "POST", base+"/api/v1/units", tok, `{"code":"CGZ","name":"城关镇","kind":"town"}`)
	if st != 201 {
		t.Fatalf("create unit %d %v", st, u)
	}
	uid := int(u["id"].(float64))
	ids := map[string]int{}
	for kind, geom := range map[string]string{
		"road":   `{"type":"LineString","coordinates":[[114.3,35.75],[114.31,35.75]]}`,
		"alley":  `{"type":"LineString","coordinates":[[114.3,35.751],[114.301,35.752]]}`,
		"market": `{"type":"Polygon","coordinates":[[[114.30,35.76],[114.301,35.76],[114.301,35.761],[114.30,35.76]]]}`,
		"park":   `{"type":"Polygon","coordinates":[[[114.32,35.76],[114.321,35.76],[114.321,35.761],[114.32,35.76]]]}`,
	} {
		st, f := call(t, "POST", base+"/api/v1/assets", tok, `{"type":"Feature","geometry":`+geom+`,"properties":{"kind":"`+kind+`","name":"`+kind+`1"}}`)
		if st != 201 {
			t.Fatalf("create %s: %d %v", kind, st, f)
		}
		ids[kind] = int(f["id"].(float64))
		if st, f = call(t, "GET", fmt.Sprintf("%s/api/v1/assets/%d", base, ids[kind]), tok, ""); st != 200 || f["properties"].(map[string]any)["kind"] != kind {
			t.Fatalf("read %s: %d %v", kind, st, f)
		}
		if st, f = call(t, "PATCH", fmt.Sprintf("%s/api/v1/assets/%d", base, ids[kind]), tok, `{"properties":{"name":"renamed"}}`); st != 200 || f["properties"].(map[string]any)["name"] != "renamed" {
			t.Fatalf("update %s: %d %v", kind, st, f)
		}
	}
	st, z := call(t, "POST", base+"/api/v1/zones", tok, fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[114.29,35.74],[114.305,35.74],[114.305,35.755],[114.29,35.755],[114.29,35.74]]]},"properties":{"unit_id":%d,"role":"lead"}}`, uid))
	if st != 201 {
		t.Fatalf("create zone %d %v", st, z)
	}
	zid := int(z["id"].(float64))
	if st, _ := call(t, "PATCH", fmt.Sprintf("%s/api/v1/zones/%d", base, zid), tok, `{"properties":{"name":"网格一"}}`); st != 200 {
		t.Fatalf("update zone %d", st)
	}
	st, asg := call(t, "POST", fmt.Sprintf("%s/api/v1/assets/%d/assignments", base, ids["road"]), tok, fmt.Sprintf(`{"unit_id":%d,"from_m":10,"to_m":200,"person":"王芳"}`, uid))
	if st != 201 {
		t.Fatalf("create assignment %d %v", st, asg)
	}
	aid := int(asg["id"].(float64))
	if st, a := call(t, "PATCH", fmt.Sprintf("%s/api/v1/assignments/%d", base, aid), tok, `{"to_m":300}`); st != 200 || a["to_m"].(float64) != 300 {
		t.Fatalf("update assignment %d %v", st, a)
	}
	for _, p := range []string{fmt.Sprintf("/api/v1/assignments/%d", aid), fmt.Sprintf("/api/v1/zones/%d", zid)} {
		if st, _ := call(t, "DELETE", base+p, tok, ""); st != 204 {
			t.Fatalf("delete %s: %d", p, st)
		}
		if st, _ := call(t, "GET", base+p, tok, ""); st != 404 {
			t.Fatalf("read deleted %s: %d", p, st)
		}
	}
	for kind, id := range ids {
		if st, _ := call(t, "DELETE", fmt.Sprintf("%s/api/v1/assets/%d", base, id), tok, ""); st != 204 {
			t.Fatalf("delete %s: %d", kind, st)
		}
	}
	if st, _ := call(t, "DELETE", fmt.Sprintf("%s/api/v1/units/%d", base, uid), tok, ""); st != 204 {
		t.Fatalf("delete unit: %d", st)
	}
}

// TestEmbeddedDatabase starts serve on a private cluster, refuses a second server on the same data
// directory, and stops the cluster when the server stops.
func TestEmbeddedDatabase(t *testing.T) {
	bin := binary(t)
	dir, err := os.MkdirTemp("/tmp", "emcli")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() {
		_ = exec.Command(bin, "db", "stop", "--data", dir).Run()
		os.RemoveAll(dir)
	})
	env := []string{"DATABASE_URL="}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, "http://"+addr+"/readyz")

	out, err := run(t, bin, env, "", "serve", "--addr", freeAddr(t), "--data", dir)
	if err == nil || !strings.Contains(out, "in use") {
		t.Fatalf("second server on the same data directory: err %v, output %q", err, out)
	}
	// Other commands share the running server's cluster.
	if out, err := run(t, bin, env, "pass-word-1\n", "user", "add", "p1", "--role", "planner", "--password-stdin", "--data", dir); err != nil {
		t.Fatalf("user add beside a running server: %v\n%s", err, out)
	}
	st, _ := call(t, "POST", "http://"+addr+"/api/v1/auth/login", "", `{"username":"p1","password":"pass-word-1"}`)
	if st != 200 {
		t.Fatalf("login of a user added by the CLI: %d", st)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v\n%s", err, logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("the private PostgreSQL is still running after the server stopped\n%s", logs.String())
	}
	// A later start reuses the cluster and its data.
	cmd = exec.Command(bin, "serve", "--addr", addr, "--data", dir)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, "http://"+addr+"/readyz")
	st, _ = call(t, "POST", "http://"+addr+"/api/v1/auth/login", "", `{"username":"p1","password":"pass-word-1"}`)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if st != 200 {
		t.Fatalf("after restart the user is gone: %d", st)
	}
}

// fingerprint hashes every table of the everymeter schema through psql-free SQL.
func fingerprint(t *testing.T, url string) string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('spatial_ref_sys', 'goose_db_version') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var sb strings.Builder
	for _, tb := range tables {
		var h string
		if err := conn.QueryRow(ctx, `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM `+pgx.Identifier{tb}.Sanitize()+` x`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s=%s\n", tb, h)
	}
	return sb.String()
}

// TestBackupRestoreDemo loads the demo town, backs it up with a photo file, damages the data, restores,
// and finds everything as it was.
func TestBackupRestoreDemo(t *testing.T) {
	bin := binary(t)
	dir, err := os.MkdirTemp("/tmp", "embak")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	t.Cleanup(func() {
		_ = exec.Command(bin, "db", "stop", "--data", dir).Run()
		os.RemoveAll(dir)
	})
	env := []string{"DATABASE_URL="}
	if out, err := run(t, bin, env, "", "db", "start", "--data", dir); err != nil {
		t.Fatalf("db start: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "", "demo", "--data", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	url := "postgres://postgres@/everymeter?host=" + filepath.Join(dir, "run") + "&sslmode=disable"
	photo := filepath.Join(dir, "photos", "ab", "abcdef")
	if err := os.MkdirAll(filepath.Dir(photo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, []byte("jpeg bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	// (verify seals the demo's audit entries into the chain, so it comes before the fingerprint)
	auditOut, err := run(t, bin, env, "", "audit", "verify", "--data", dir)
	if err != nil || !strings.Contains(auditOut, "audit log intact: ") {
		t.Fatalf("audit verify before the backup: %v\n%s", err, auditOut)
	}
	auditedBefore := strings.TrimSpace(auditOut)
	before := fingerprint(t, url)
	if !strings.Contains(before, "assets=") || strings.Contains(before, "assets=0:") {
		t.Fatalf("demo loaded nothing: %s", before)
	}
	archive := filepath.Join(dir, "backup.tar.gz")
	if out, err := run(t, bin, env, "", "backup", archive, "--data", dir); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	// Damage: delete zones and assignments, change a name, lose the photo.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `DELETE FROM assignments; DELETE FROM zones; UPDATE assets SET name = 'x'`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	os.Remove(photo)
	if fingerprint(t, url) == before {
		t.Fatal("damage did not change the fingerprint")
	}
	if out, err := run(t, bin, env, "", "restore", archive, "--data", dir); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if after := fingerprint(t, url); after != before {
		t.Fatalf("restore differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if b, err := os.ReadFile(photo); err != nil || string(b) != "jpeg bytes" {
		t.Fatalf("photo not restored: %q %v", b, err)
	}
	// The audit log's hash chain survives the round trip, and the restored server role can still read it.
	out, err := run(t, bin, env, "", "audit", "verify", "--data", dir)
	if err != nil || !strings.Contains(out, auditedBefore) {
		t.Fatalf("audit verify after restore: %v\n%s (before the backup: %s)", err, out, auditedBefore)
	}
	// A file that is not a backup is refused before anything is dropped.
	bad := filepath.Join(dir, "bad.tar.gz")
	_ = os.WriteFile(bad, []byte("not a backup"), 0o644)
	if _, err := run(t, bin, env, "", "restore", bad, "--data", dir); err == nil {
		t.Fatal("restoring garbage succeeded")
	}
	if after := fingerprint(t, url); after != before {
		t.Fatal("a refused restore changed the database")
	}
}
