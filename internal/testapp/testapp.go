// Package testapp runs the whole everymeter server against a fresh test database over real HTTP, with one
// signed-in user per role, for end-to-end tests.
package testapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/labstack/echo/v4"

	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Roles for which App signs in one user each (plus "anonymous", which has no token).
var Roles = vocab.Strings(vocab.Roles)

// App is a running test server.
type App struct {
	T      testing.TB
	URL    string
	Store  *store.Store
	DBURL  string
	Svc    *service.Service
	Tokens map[string]string // role → bearer token
	Users  map[string]store.User
	UnitID int64 // the unit the unit_staff user belongs to
	Server *httptest.Server
	Echo   *echo.Echo
}

// Password is the password of every test user.
const Password = "test-password-1"

// New starts a server on a fresh database with a unit "TEST" and one user per role.
func New(t testing.TB) *App {
	t.Helper()
	st, url := testdb.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	e, svc := server.Build(st, log, server.Options{DataDir: t.TempDir()})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	a := &App{T: t, URL: srv.URL, Store: st, DBURL: url, Svc: svc, Tokens: map[string]string{}, Users: map[string]store.User{}, Server: srv, Echo: e}
	ctx := t.Context()
	unit, err := st.UpsertUnit(ctx, store.Unit{Code: "TEST", Name: "测试单位", Kind: string(vocab.Department)})
	if err != nil {
		t.Fatal(err)
	}
	a.UnitID = unit.ID
	for _, role := range Roles {
		code := ""
		if vocab.Role(role) == vocab.UnitStaff {
			code = "TEST"
		}
		u, err := svc.AddUser(ctx, role+"1", role, code, Password)
		if err != nil {
			t.Fatal(err)
		}
		a.Users[role] = u
		a.Tokens[role] = a.Login(role+"1", Password)
	}
	return a
}

// Login signs a user in and returns the token.
func (a *App) Login(user, pw string) string {
	a.T.Helper()
	res := a.Do("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	if res.Status != 200 {
		a.T.Fatalf("login %s: %d %s", user, res.Status, res.Body)
	}
	return res.JSON()["token"].(string)
}

// Response is an HTTP answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object (failing the test otherwise).
func (r Response) JSON() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		panic(fmt.Sprintf("body is not a JSON object: %v: %s", err, r.Body))
	}
	return m
}

// Decode decodes the body into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request as role ("" = anonymous). body may be nil, []byte/string (sent as is, JSON content
// type) or any value (JSON-encoded).
func (a *App) Do(role, method, path string, body any, headers ...string) Response {
	a.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := a.Tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// MustStatus fails the test unless the response has the wanted status.
func (r Response) MustStatus(t testing.TB, want int) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}
