package hostile

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"everymeter/demo"
	"everymeter/internal/testapp"
)

// payloads are classic injection and breakage attempts.
var payloads = []string{
	`' OR '1'='1`,
	`1; DROP TABLE units; --`,
	`1) OR (1=1`,
	`%' UNION SELECT password_hash FROM users --`,
	`'; SELECT pg_sleep(10); --`,
	`1'||(SELECT password_hash FROM users LIMIT 1)||'`,
	"\x00",
	`NaN`,
	`1e309`,
	`-1`,
	`../../etc/passwd`,
	`<script>alert(1)</script>`,
	strings.Repeat("9", 5000),
	`114.3,35.7,114.4,35.8'--`,
	`2026-01-01T00:00:00Z'; DELETE FROM reports; --`,
}

// fingerprint hashes the tables an injection would damage.
func fingerprint(t *testing.T, a *testapp.App) string {
	t.Helper()
	var s string
	err := a.Store.Pool.QueryRow(t.Context(), `SELECT concat_ws('|',
		(SELECT count(*) FROM units), (SELECT count(*) FROM users), (SELECT md5(string_agg(password_hash, ',' ORDER BY id)) FROM users),
		(SELECT count(*) FROM assets), (SELECT count(*) FROM zones), (SELECT count(*) FROM assignments),
		(SELECT count(*) FROM reports), (SELECT count(*) FROM categories))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type operation struct {
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
		Ref  string `json:"$ref"`
	} `json:"parameters"`
}

// documentedGets lists every GET path of the live OpenAPI document with its query parameter names.
func documentedGets(t *testing.T, a *testapp.App) map[string][]string {
	t.Helper()
	res := a.Do("", "GET", "/api/v1/openapi.json", nil).MustStatus(t, 200)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"components"`
	}
	res.Decode(t, &doc)
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		raw, ok := ops["get"]
		if !ok {
			continue
		}
		var op operation
		_ = json.Unmarshal(raw, &op)
		var names []string
		for _, p := range op.Parameters {
			name, in := p.Name, p.In
			if p.Ref != "" {
				c := doc.Components.Parameters[p.Ref[strings.LastIndex(p.Ref, "/")+1:]]
				name, in = c.Name, c.In
			}
			if in == "query" {
				names = append(names, name)
			}
		}
		out["/api/v1"+path] = names
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestInjectionThroughEveryParameter sends every payload through every documented query parameter and
// every path parameter, as the most privileged role, and checks that no request fails with a 5xx, no
// password hash leaks and nothing in the database changes.
func TestInjectionThroughEveryParameter(t *testing.T) {
	a := testapp.New(t)
	if _, err := demo.Load(t.Context(), a.Svc, io.Discard); err != nil {
		t.Fatal(err)
	}
	_ = slog.Default()
	before := fingerprint(t, a)
	gets := documentedGets(t, a)
	// Parameters of the other standards' endpoints, which the /api/v1 document does not describe.
	gets["/ogc/collections/road/items"] = []string{"bbox", "bbox-crs", "crs", "datetime", "limit", "after", "before", "name", "kind"}
	gets["/ogc/collections/{cid}/items"] = []string{"limit"}
	gets["/ogc/collections/road/items/{fid}"] = nil
	gets["/tiles/{layer}/{z}/{x}/{y}"] = nil
	gets["/open311/v2/requests.json"] = []string{"service_request_id", "service_code", "start_date", "end_date", "status"}
	gets["/open311/v2/requests/{id}.json"] = nil
	gets["/open311/v2/services/{code}.json"] = nil
	var paths []string
	for p := range gets {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	requests := 0
	check := func(path string) {
		res := a.Do("admin", "GET", path, nil)
		requests++
		if res.Status >= 500 {
			t.Errorf("GET %s: %d %.200s", path, res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "$argon2id$") {
			t.Errorf("GET %s leaked a password hash", path)
		}
	}
	for _, path := range paths {
		base := pathParam.ReplaceAllString(path, "1")
		// Path parameters.
		if strings.Contains(path, "{") {
			for _, p := range payloads {
				check(pathParam.ReplaceAllString(path, url.PathEscape(p)))
			}
		}
		// Query parameters, one at a time.
		for _, name := range gets[path] {
			for _, p := range payloads {
				check(fmt.Sprintf("%s?%s=%s", base, url.QueryEscape(name), url.QueryEscape(p)))
			}
		}
	}
	if after := fingerprint(t, a); after != before {
		t.Fatalf("injection attempts changed the database:\n before %s\n after  %s", before, after)
	}
	if requests < 300 {
		t.Fatalf("only %d hostile requests sent; is the OpenAPI document empty?", requests)
	}
	t.Logf("%d hostile requests over %d paths", requests, len(paths))
}
