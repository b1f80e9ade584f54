package ogctest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"everymeter/handlers"
)

func loadDoc(t *testing.T, serverURL string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(handlers.OpenAPIDoc)
	if err != nil {
		t.Fatalf("handlers/openapi.json does not load: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("handlers/openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	if serverURL != "" {
		doc.Servers = openapi3.Servers{{URL: serverURL + "/api/v1"}}
	}
	return doc
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIDocumentsEveryRoute fails, naming them, when /api/v1 routes are missing from handlers/openapi.json.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	w := newWorld(t)
	doc := loadDoc(t, "")
	e := w.Server.Config.Handler.(*echo.Echo)
	var missing []string
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == echo.RouteNotFound {
			continue
		}
		p := echoParam.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		item := doc.Paths.Find(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			missing = append(missing, r.Method+" /api/v1"+p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes not documented in handlers/openapi.json (add them there and to docs/API.md):\n  %s", strings.Join(missing, "\n  "))
	}
}

type apiCall struct {
	role, method, path string
	body               any
}

// TestOpenAPIResponses validates real answers against the document: a fixed set of calls with bodies and
// ids, plus every documented GET without path parameters (so new list routes are checked as they land).
func TestOpenAPIResponses(t *testing.T) {
	// The briefing is a document for people (HTML, CSS): its body is text, checked for its type only.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.PlainBodyDecoder)
	w := newWorld(t)
	doc := loadDoc(t, w.URL)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	assetID := w.ids(t, `SELECT id FROM assets WHERE kind = 'road' ORDER BY id LIMIT 1`)[0]
	zoneID := w.ids(t, `SELECT id FROM zones ORDER BY id LIMIT 1`)[0]
	asgID := w.ids(t, `SELECT id FROM assignments ORDER BY id LIMIT 1`)[0]
	asgAsset := w.ids(t, `SELECT asset_id FROM assignments ORDER BY id LIMIT 1`)[0]
	reportID := w.ids(t, `SELECT id FROM reports ORDER BY id LIMIT 1`)[0]
	calls := []apiCall{
		{"admin", "POST", "/api/v1/units", map[string]any{"code": "NEW", "name": "新单位", "kind": "team"}},
		{"admin", "GET", fmt.Sprintf("/api/v1/units/%d", w.Units[1]), nil},
		{"planner", "POST", "/api/v1/assets", feature(line([2]float64{lon0, lat0 - 0.001}, [2]float64{lon0 + 0.001, lat0 - 0.001}), map[string]any{"kind": "road", "name": "南路"})},
		{"admin", "GET", fmt.Sprintf("/api/v1/assets/%d", assetID), nil},
		{"admin", "GET", "/api/v1/assets?kind=road&limit=5", nil},
		{"admin", "GET", fmt.Sprintf("/api/v1/zones/%d", zoneID), nil},
		{"planner", "POST", "/api/v1/zones", feature(square(lon0-0.01, lat0-0.01, 0.001), map[string]any{"name": "新", "unit_id": w.Units[0], "role": "lead"})},
		{"admin", "GET", fmt.Sprintf("/api/v1/assets/%d/assignments", asgAsset), nil},
		{"planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", assetID), map[string]any{"unit_id": w.Units[0], "from_m": 1, "to_m": 2, "role": "support"}},
		{"admin", "GET", fmt.Sprintf("/api/v1/assignments/%d", asgID), nil},
		{"admin", "GET", fmt.Sprintf("/api/v1/assets/%d/coverage", assetID), nil},
		{"admin", "GET", fmt.Sprintf("/api/v1/owner?lon=%g&lat=%g", lon0+0.001, lat0), nil},
		{"admin", "GET", "/api/v1/coverage/gaps?kind=road", nil},
		{"admin", "GET", "/api/v1/coverage/segments", nil},
		{"admin", "GET", "/api/v1/categories/SRHJ-01", nil},
		{"admin", "GET", fmt.Sprintf("/api/v1/reports/%d", reportID), nil},
		{"admin", "GET", fmt.Sprintf("/api/v1/reports/%d/history", reportID), nil},
		{"leader", "POST", "/api/v1/auth/apikeys", map[string]any{"name": "x"}},
		{"", "POST", "/api/v1/auth/login", map[string]any{"username": "admin1", "password": "wrong-password"}},
		{"admin", "GET", "/api/v1/units/999999", nil},
		{"admin", "DELETE", "/api/v1/admin/throttles/999999", nil},
	}
	fixed := len(calls)
	for path, item := range doc.Paths.Map() {
		if item.Get != nil && !strings.Contains(path, "{") && path != "/coverage/export" {
			calls = append(calls, apiCall{"admin", "GET", "/api/v1" + path, nil})
		}
	}
	if len(calls)-fixed < 10 {
		t.Fatalf("only %d documented GETs without path parameters; the document lost its paths", len(calls)-fixed)
	}
	checked := 0
	for _, c := range calls {
		res := w.Do(c.role, c.method, c.path, c.body)
		if res.Status == http.StatusNotFound && res.JSON()["detail"] == "no such resource" {
			t.Errorf("%s %s: documented but not served", c.method, c.path)
			continue
		}
		var body io.Reader
		if c.body != nil {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(c.method, w.URL+c.path, body)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: not in the document: %v", c.method, c.path, err)
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status: res.Status, Header: res.Header, Body: io.NopCloser(bytes.NewReader(res.Body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
			t.Errorf("%s %s → %d does not match the document: %v\nbody: %.400s", c.method, c.path, res.Status, err, res.Body)
		}
		checked++
	}
	// Every call must have been validated: a check that silently validates fewer answers proves less.
	if checked != len(calls) {
		t.Errorf("validated %d of %d responses", checked, len(calls))
	}
	t.Logf("validated %d responses (%d fixed calls, %d documented GETs)", checked, fixed, len(calls)-fixed)
}
