package fleettest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"everymeter/internal/ci"
	"everymeter/pgctl"
)

// The street and zones of the test: a 900 m road along a parallel, a lead zone over all of it, then over its
// west half only. east is a point by the road's east part, which the edit leaves without an owner.
const (
	road      = `{"type":"LineString","coordinates":[[117.0,36.0],[117.01,36.0]]}`
	zoneAll   = `{"type":"Polygon","coordinates":[[[116.999,35.999],[117.011,35.999],[117.011,36.001],[116.999,36.001],[116.999,35.999]]]}`
	zoneWest  = `{"type":"Polygon","coordinates":[[[116.999,35.999],[117.005,35.999],[117.005,36.001],[116.999,36.001],[116.999,35.999]]]}`
	eastLon   = 117.008
	eastLat   = 36.00002
	tileZoom  = 15
	propagate = time.Second // the bound: a change made through A shows on B within this
)

// TestTwoServersOneReplica runs the fleet of issue 12 on loopback. EVERYMETER_NOTIFY=off runs the servers
// without notifications, and then the test fails (B keeps serving a stale tile), which is the point of it.
func TestTwoServersOneReplica(t *testing.T) {
	if _, err := pgctl.FindBinDir(); err != nil {
		ci.Missing(t, "PostgreSQL: %v", err)
		return
	}
	notify := os.Getenv("EVERYMETER_NOTIFY")
	if notify == "" {
		notify = "on"
	}
	f := newFleet(t)
	a := f.serve(t, "A", notify)
	b := f.serve(t, "B", notify)
	tok := a.login(t)

	u1 := a.id(t, "POST", "/api/v1/units", tok, `{"code":"CGZ","name":"城关镇","kind":"town"}`)
	asset := a.id(t, "POST", "/api/v1/assets", tok, feature(road, `{"kind":"road","name":"朝阳路"}`))
	zone := a.id(t, "POST", "/api/v1/zones", tok, feature(zoneAll, fmt.Sprintf(`{"name":"一网格","unit_id":%d,"role":"lead"}`, u1)))

	// B, before the edit: no gap, the east point belongs to u1, and B has the (empty) gaps tile cached.
	if g := b.gapM(t, tok); g > 0.5 {
		t.Fatalf("B before the edit: %.1f m of gap, want none", g)
	}
	if got := b.owners(t, tok); len(got) != 1 || got[0] != u1 {
		t.Fatalf("B before the edit: owners %v, want [%d]", got, u1)
	}
	if b.gapTile(t, tok, asset) {
		t.Fatal("B before the edit: the gaps tile already shows the road")
	}

	// The edit, through A; B must follow within a second: coverage (against PostGIS), owner, tile.
	wantGap := f.pgGap(t, zoneWest)
	a.mustDo(t, "PATCH", fmt.Sprintf("/api/v1/zones/%d", zone), tok, `{"geometry":`+zoneWest+`}`, 200)
	edited := time.Now()
	waitFor(t, edited, "B's coverage summary", func() (bool, string) {
		g := b.gapM(t, tok)
		return abs(g-wantGap) <= 1, fmt.Sprintf("gap %.1f m, PostGIS says %.1f m", g, wantGap)
	})
	waitFor(t, edited, "B's owner lookup", func() (bool, string) {
		got := b.owners(t, tok)
		return len(got) == 0, fmt.Sprintf("owners %v, want none", got)
	})
	waitFor(t, edited, "B's gaps tile", func() (bool, string) {
		return b.gapTile(t, tok, asset), "the road's east half is not in the gaps tile"
	})

	// A report filed through A is in B's queue.
	_, rep := a.do(t, "POST", "/api/v1/reports", tok, fmt.Sprintf(`{"category":"JMZX-01","geometry":{"type":"Point","coordinates":[%v,%v]}}`, eastLon, eastLat))
	rid := int64(rep["report"].(map[string]any)["id"].(float64))
	waitFor(t, time.Now(), "the report in B's queue", func() (bool, string) {
		var list struct {
			Features []struct {
				ID int64 `json:"id"`
			} `json:"features"`
		}
		_, body := b.request(t, "GET", "/api/v1/reports", tok, "")
		_ = json.Unmarshal(body, &list)
		for _, f := range list.Features {
			if f.ID == rid {
				return true, ""
			}
		}
		return false, fmt.Sprintf("report %d not listed: %.300s", rid, body)
	})

	// The background jobs run on exactly one of the two.
	leaders := f.leaders(t)
	if len(leaders) != 1 {
		t.Fatalf("job lock holders %v, want exactly one", leaders)
	}

	// B missing notifications: stopped while A edits, then started again, it serves current data.
	b.stop(t)
	a.mustDo(t, "PATCH", fmt.Sprintf("/api/v1/zones/%d", zone), tok, `{"geometry":`+zoneAll+`}`, 200)
	b = f.serve(t, "B", notify)
	if g := b.gapM(t, tok); g > 0.5 {
		t.Fatalf("B restarted after missing an edit: %.1f m of gap, want none", g)
	}
	if b.gapTile(t, tok, asset) {
		t.Fatal("B restarted after missing an edit serves the old gaps tile")
	}
	if got := b.owners(t, tok); len(got) != 1 || got[0] != u1 {
		t.Fatalf("B restarted after missing an edit: owners %v, want [%d]", got, u1)
	}

	// Stopping A leaves B answering, and B takes the jobs over.
	a.stop(t)
	if g := b.gapM(t, tok); g > 0.5 {
		t.Fatalf("B after A stopped: %.1f m of gap, want none", g)
	}
	waitFor(t, time.Now().Add(10*time.Second), "B taking the job lock over", func() (bool, string) {
		l := f.leaders(t)
		return len(l) == 1 && strings.HasSuffix(l[0], " B"), fmt.Sprintf("holders %v", l)
	})
	if !strings.Contains(b.logs.String(), `msg="read replica" usable=true`) {
		t.Errorf("B never read from the replica:\n%s", b.logs.String())
	}

	// Stopping the replica: B falls back to the primary; once the requests in flight are answered, no 5xx.
	stopped := make(chan struct{})
	go func() { f.stopReplica(t); close(stopped) }()
	var fails []string
	for phase := "in flight"; ; {
		select {
		case <-stopped:
			phase = "after"
		default:
		}
		for _, p := range []string{tilePath(), "/ogc/collections/road/items?limit=5", "/api/v1/stats/units"} {
			if st, _ := b.get(t, p, tok); st >= 500 && phase == "after" {
				fails = append(fails, fmt.Sprintf("%s: %d", p, st))
			}
		}
		if phase == "after" {
			break
		}
	}
	for i := 0; i < 20; i++ {
		for _, p := range []string{tilePath(), "/ogc/collections/road/items?limit=5", "/api/v1/stats/units", "/api/v1/heatmap?bbox=116.9,35.9,117.1,36.1&zoom=12",
			"/api/v1/reports?format=xlsx", "/api/v1/coverage/export?format=csv", "/api/v1/briefing?format=csv"} {
			if st, body := b.get(t, p, tok); st >= 500 {
				fails = append(fails, fmt.Sprintf("%s: %d %s", p, st, body))
			}
		}
	}
	if len(fails) > 0 {
		t.Fatalf("B answered 5xx with the replica stopped: %v\n%s", fails, b.logs.String())
	}
	// And it still serves current data, now from the primary.
	a2 := b // the remaining server writes and reads alike
	a2.mustDo(t, "PATCH", fmt.Sprintf("/api/v1/zones/%d", zone), tok, `{"geometry":`+zoneWest+`}`, 200)
	// The stopped standby's slot stays, and with it the WAL written since it stopped, for when it comes back.
	var active bool
	var kept int64
	f.query(t, `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_type = 'physical'`, nil, &active, &kept)
	if active || kept <= 0 {
		t.Fatalf("the stopped replica's slot: active %v, %d bytes of WAL kept; want inactive and keeping what came since", active, kept)
	}
	if !b.gapTile(t, tok, asset) {
		t.Fatal("B without its replica serves a stale gaps tile")
	}
}

// fleet is the primary and the replica, and how to reach them.
type fleet struct {
	bin, dir   string
	primaryURL string
	replicaURL string
	env        []string
}

func newFleet(t *testing.T) *fleet {
	// Under /tmp, open to others: as root PostgreSQL runs as "postgres", which must enter it; short, for the
	// socket path limit.
	dir, err := os.MkdirTemp("/tmp", "emfleet")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	f := &fleet{dir: dir, bin: filepath.Join(dir, "everymeter")}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// make test has just built the command and names it; alone, the test builds its own.
	if bin := os.Getenv("EVERYMETER_BIN"); bin != "" {
		f.bin = bin
	} else if out, err := exec.Command("go", "build", "-o", f.bin, "everymeter/cmd/everymeter").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f.primaryURL = strings.TrimSpace(f.run(t, "db", "start", "--data", filepath.Join(dir, "p")))
	t.Cleanup(func() { _, _ = exec.Command(f.bin, "db", "stop", "--data", filepath.Join(dir, "p")).CombinedOutput() })
	t.Cleanup(func() { _, _ = exec.Command(f.bin, "db", "stop", "--data", filepath.Join(dir, "r")).CombinedOutput() })
	// Migrated as the private cluster's owner (a fresh cluster has no everymeter_app role yet for a
	// DATABASE_URL command to switch to); the servers then run with DATABASE_URL like a fleet's would.
	f.run(t, "migrate", "--data", filepath.Join(dir, "p"))
	// The replica streams through a physical replication slot on the primary. It is made twice in the same
	// directory, as an operator re-creating a broken standby would: the second time over the slot the first left.
	f.run(t, "db", "replica", "--data", filepath.Join(dir, "r"), "--from", filepath.Join(dir, "p"))
	f.stopReplica(t)
	if err := os.RemoveAll(filepath.Join(dir, "r")); err != nil {
		t.Fatal(err)
	}
	f.replicaURL = strings.TrimSpace(f.run(t, "db", "replica", "--data", filepath.Join(dir, "r"), "--from", filepath.Join(dir, "p")))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var slots, active int
		f.query(t, `SELECT count(*), count(*) FILTER (WHERE active) FROM pg_replication_slots WHERE slot_type = 'physical'`, nil, &slots, &active)
		if slots == 1 && active == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primary has %d physical replication slots, %d active; want the replica's one, streaming", slots, active)
		}
	}
	f.env = []string{"DATABASE_URL=" + f.primaryURL}
	cmd := exec.Command(f.bin, "user", "add", "boss", "--role", "admin", "--password-stdin")
	cmd.Env = append(os.Environ(), f.env...)
	cmd.Stdin = strings.NewReader("fleet-pass-1\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	return f
}

func (f *fleet) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(f.bin, args...)
	cmd.Env = append(os.Environ(), f.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("everymeter %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func (f *fleet) stopReplica(t *testing.T) {
	if out, err := exec.Command(f.bin, "db", "stop", "--data", filepath.Join(f.dir, "r")).CombinedOutput(); err != nil {
		t.Errorf("stopping the replica: %v\n%s", err, out)
	}
}

// pgGap is the oracle: how many meters of the road a lead zone of geometry zone leaves uncovered, by PostGIS.
func (f *fleet) pgGap(t *testing.T, zone string) float64 {
	var m float64
	f.query(t, `SELECT ST_Length(ST_Difference(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2))::geography)`, []any{road, zone}, &m)
	return m
}

// leaders lists the application names holding the fleet's job lock.
func (f *fleet) leaders(t *testing.T) []string {
	var names []string
	f.query(t, `SELECT coalesce(array_agg(a.application_name ORDER BY a.application_name), '{}') FROM pg_locks l
		JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'everymeter-jobs %'`, nil, &names)
	return names
}

func (f *fleet) query(t *testing.T, sql string, args []any, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, f.primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		t.Fatal(err)
	}
}

// server is one running `everymeter serve`.
type server struct {
	name, base string
	cmd        *exec.Cmd
	logs       *syncBuffer
}

func (f *fleet) serve(t *testing.T, name, notify string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{name: name, base: "http://" + addr, logs: &syncBuffer{}}
	s.cmd = exec.Command(f.bin, "serve", "--addr", addr, "--data", filepath.Join(f.dir, "srv-"+name), "--name", name)
	s.cmd.Env = append(os.Environ(), append(f.env, "DATABASE_READ_URL="+f.replicaURL, "EVERYMETER_NOTIFY="+notify)...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s never became ready:\n%s", name, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server (SIGTERM: it drains and exits); stopping twice is harmless.
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func (s *server) login(t *testing.T) string {
	_, m := s.do(t, "POST", "/api/v1/auth/login", "", `{"username":"boss","password":"fleet-pass-1"}`)
	tok, _ := m["token"].(string)
	if tok == "" {
		t.Fatalf("login on %s: %v", s.name, m)
	}
	return tok
}

func (s *server) request(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, s.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (s *server) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	st, b := s.request(t, method, path, token, body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return st, m
}

func (s *server) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	st, b := s.request(t, "GET", path, token, "")
	return st, string(b)
}

func (s *server) mustDo(t *testing.T, method, path, token, body string, want int) map[string]any {
	t.Helper()
	st, m := s.do(t, method, path, token, body)
	if st != want {
		t.Fatalf("%s %s on %s: %d %v, want %d", method, path, s.name, st, m, want)
	}
	return m
}

func (s *server) id(t *testing.T, method, path, token, body string) int64 {
	t.Helper()
	return int64(s.mustDo(t, method, path, token, body, 201)["id"].(float64))
}

func (s *server) gapM(t *testing.T, token string) float64 {
	t.Helper()
	return s.mustDo(t, "GET", "/api/v1/coverage", token, "", 200)["gap_m"].(float64)
}

// owners are the lead units the owner lookup names at the east point.
func (s *server) owners(t *testing.T, token string) []int64 {
	t.Helper()
	st, m := s.do(t, "GET", fmt.Sprintf("/api/v1/owner?lon=%v&lat=%v", eastLon, eastLat), token, "")
	if st != 200 {
		t.Fatalf("owner on %s: %d %v", s.name, st, m)
	}
	var out []int64
	for _, u := range m["units"].([]any) {
		out = append(out, int64(u.(map[string]any)["id"].(float64)))
	}
	return out
}

func tilePath() string {
	tl := maptile.At(orb.Point{eastLon, eastLat}, tileZoom)
	return fmt.Sprintf("/tiles/gaps/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
}

// gapTile reports whether the gaps tile at the east point holds a feature of asset.
func (s *server) gapTile(t *testing.T, token string, asset int64) bool {
	t.Helper()
	st, b := s.request(t, "GET", tilePath(), token, "")
	if st == http.StatusNoContent || (st == 200 && len(b) == 0) {
		return false
	}
	if st != 200 {
		t.Fatalf("gaps tile on %s: %d %s", s.name, st, b)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("gaps tile on %s: %v", s.name, err)
	}
	for _, l := range layers {
		for _, ft := range l.Features {
			if id, _ := ft.Properties["asset_id"].(float64); int64(id) == asset {
				return true
			}
		}
	}
	return false
}

// waitFor polls ok until it holds, failing if it does not by propagate after since.
func waitFor(t *testing.T, since time.Time, what string, ok func() (bool, string)) {
	t.Helper()
	for {
		good, why := ok()
		if good {
			return
		}
		if time.Since(since) > propagate {
			t.Fatalf("%s still stale %v after the change: %s", what, time.Since(since).Round(time.Millisecond), why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func feature(geom, props string) string {
	return `{"type":"Feature","geometry":` + geom + `,"properties":` + props + `}`
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
