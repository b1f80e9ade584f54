package webtest

import (
	"everymeter/internal/shared"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"everymeter/demo"
	"everymeter/internal/testapp"
	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/static"
	"everymeter/store"
)

// site is a full everymeter server with the embedded web app, on a fresh database.
type site struct {
	*testapp.App        // Do(username, …) sends requests as a user signed in with login
	dataDir      string // the server's data directory (photos)
}

// newSite starts the server (web app mounted) on a fresh database; demo loads the demo county seat.
func newSite(t *testing.T, withDemo bool) *site {
	t.Helper()
	needBrowser(t)
	st, url := testdb.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	dataDir := t.TempDir()
	e, svc := server.Build(st, log, server.Options{DataDir: dataDir, Static: static.FS})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	s := &site{&testapp.App{T: t, URL: srv.URL, Store: st, DBURL: url, Svc: svc, Tokens: map[string]string{},
		Users: map[string]store.User{}, Server: srv, Echo: e}, dataDir}
	if withDemo {
		start := time.Now()
		if _, err := demo.Load(t.Context(), svc, io.Discard); err != nil {
			t.Fatalf("load demo: %v", err)
		}
		t.Logf("demo town loaded in %s", time.Since(start).Round(time.Millisecond))
	}
	return s
}

// user creates a user (unitCode for unit staff) with testapp.Password and signs it in for API calls.
func (s *site) user(name, role, unitCode string) {
	s.T.Helper()
	u, err := s.Svc.AddUser(s.T.Context(), name, role, unitCode, testapp.Password)
	if err != nil {
		s.T.Fatalf("add user %s: %v", name, err)
	}
	s.Users[name] = u
	s.Tokens[name] = s.Login(name, testapp.Password)
}

// get GETs path as user and decodes the JSON answer into v, failing on anything but 200.
func (s *site) get(user, path string, v any) {
	s.T.Helper()
	res := s.Do(user, "GET", path, nil)
	if res.Status != 200 {
		s.T.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	res.Decode(s.T, v)
}

// sharedData returns a path under the shared data directory (internal/shared: skips outside CI when absent).
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	return shared.Path(t, rel)
}
