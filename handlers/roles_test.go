package handlers_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"everymeter/handlers"
	"everymeter/internal/testapp"
)

// policy is the permission table as the product promises it, written independently of the code: every
// route of the server must appear here with the same rule, and the server must enforce it. A new route
// without a row, a row without a route, or a changed rule fails the test.
var policy = map[string]string{
	"GET /healthz":             "public",
	"GET /readyz":              "public",
	"POST /api/v1/auth/login":  "public",
	"POST /api/v1/auth/logout": "account",
	"GET /api/v1/auth/me":      "account",
	"GET /api/v1/config":       "public",

	"GET /api/v1/admin/throttles":        "admin",
	"DELETE /api/v1/admin/throttles/:id": "admin",

	"GET /api/v1/units":        "signed-in",
	"POST /api/v1/units":       "admin,planner",
	"GET /api/v1/units/:id":    "signed-in",
	"PATCH /api/v1/units/:id":  "admin,planner",
	"DELETE /api/v1/units/:id": "admin,planner",

	"GET /api/v1/assets":        "signed-in",
	"POST /api/v1/assets":       "admin,planner",
	"GET /api/v1/assets/:id":    "signed-in",
	"PATCH /api/v1/assets/:id":  "admin,planner",
	"DELETE /api/v1/assets/:id": "admin,planner",

	"GET /api/v1/zones":        "signed-in",
	"POST /api/v1/zones":       "admin,planner",
	"GET /api/v1/zones/:id":    "signed-in",
	"PATCH /api/v1/zones/:id":  "admin,planner",
	"DELETE /api/v1/zones/:id": "admin,planner",

	"POST /api/v1/imports":             "admin,planner",
	"GET /api/v1/imports/:id":          "admin,planner",
	"GET /api/v1/imports/:id/preview":  "admin,planner",
	"POST /api/v1/imports/:id/confirm": "admin,planner",

	"GET /api/v1/assets/:id/assignments":  "signed-in",
	"POST /api/v1/assets/:id/assignments": "admin,planner",
	"GET /api/v1/assignments/:id":         "signed-in",
	"PATCH /api/v1/assignments/:id":       "admin,planner",
	"DELETE /api/v1/assignments/:id":      "admin,planner",
}

// policyFeatures holds the rows of the feature areas (coverage, OGC API, tiles, Open311, API keys); the
// reports and leaders' rows are added by their test files.
var policyFeatures = map[string]string{
	"DELETE /api/v1/auth/apikeys/:id":      "signed-in",
	"GET /api/v1/assets/:id/coverage":      "signed-in",
	"GET /api/v1/assets/:id/patrols":       "signed-in",
	"POST /api/v1/patrols":                 "inspector,admin,volunteer",
	"GET /api/v1/patrols/coverage":         "signed-in",
	"GET /api/v1/patrols/stale":            "signed-in",
	"GET /api/v1/patrols/layer":            "signed-in",
	"GET /api/v1/patrols/:id/track":        "account",
	"POST /api/v1/patrols/checkins":        "inspector,admin,volunteer",
	"GET /api/v1/patrols/presence":         "signed-in",
	"GET /api/v1/patrols/targets":          "signed-in",
	"PUT /api/v1/patrols/targets/:kind":    "admin,planner",
	"GET /api/v1/patrols/compliance":       "signed-in",
	"GET /api/v1/patrols/inspectors":       "signed-in",
	"GET /api/v1/patrols/today":            "inspector,admin,volunteer",
	"GET /api/v1/auth/apikeys":             "signed-in",
	"GET /api/v1/coverage":                 "signed-in",
	"GET /api/v1/coverage/export":          "signed-in",
	"GET /api/v1/coverage/gaps":            "signed-in",
	"GET /api/v1/coverage/overlaps":        "signed-in",
	"GET /api/v1/coverage/segments":        "signed-in",
	"GET /api/v1/openapi.json":             "public",
	"GET /api/v1/owner":                    "signed-in",
	"GET /ogc":                             "signed-in",
	"GET /ogc/":                            "signed-in",
	"GET /ogc/api":                         "signed-in",
	"GET /ogc/collections":                 "signed-in",
	"GET /ogc/collections/:cid":            "signed-in",
	"GET /ogc/collections/:cid/items":      "signed-in",
	"GET /ogc/collections/:cid/items/:fid": "signed-in",
	"GET /ogc/collections/:cid/queryables": "signed-in",
	"GET /ogc/conformance":                 "signed-in",
	"GET /open311/v2/discovery.json":       "public",
	"GET /open311/v2/discovery.xml":        "public",
	"GET /open311/v2/requests.json":        "public",
	"GET /open311/v2/requests.xml":         "public",
	"GET /open311/v2/requests/:file":       "public",
	"GET /open311/v2/services.json":        "public",
	"GET /open311/v2/services.xml":         "public",
	"GET /open311/v2/services/:file":       "public",
	"GET /open311/v2/tokens/:file":         "public",
	"GET /tiles":                           "signed-in",
	"GET /tiles/:layer":                    "signed-in",
	"GET /tiles/:layer/:z/:x/:y":           "account",
	"HEAD /tiles/:layer":                   "signed-in",
	"HEAD /tiles/:layer/:z/:x/:y":          "account",
	"POST /api/v1/auth/apikeys":            "signed-in",
	"POST /open311/v2/requests.json":       "public",
	"POST /open311/v2/requests.xml":        "public",

	"GET /api/v1/eval/items":                "signed-in",
	"POST /api/v1/eval/items":               "admin",
	"POST /api/v1/eval/items/:id/revisions": "admin",
	"GET /api/v1/eval/sites":                "signed-in",
	"POST /api/v1/eval/sites":               "admin",
	"GET /api/v1/eval/rounds":               "signed-in",
	"POST /api/v1/eval/rounds":              "admin",
	"GET /api/v1/eval/rounds/:id":           "signed-in",
	"GET /api/v1/eval/rounds/:id/results":   "signed-in",
	"POST /api/v1/eval/rounds/:id/results":  "inspector,admin",
	"GET /api/v1/eval/rounds/:id/scores":    "signed-in",
	"GET /api/v1/eval/rounds/:id/ledger":    "signed-in",
	"GET /api/v1/eval/feedback/ledger":      "signed-in",
	"GET /api/v1/eval/feedback/rows":        "signed-in",
	"POST /api/v1/eval/feedback":            "admin",
	"GET /api/v1/eval/readiness":            "signed-in",
	"GET /api/v1/eval/evaluators":           "admin",
}

func expectedRule(key string) (string, bool) {
	if r, ok := policy[key]; ok {
		return r, true
	}
	r, ok := policyFeatures[key]
	return r, ok
}

func allows(rule, role string) bool {
	switch rule {
	case "public":
		return true
	case "account":
		return role != ""
	case "signed-in":
		// every signed-in role but the volunteers, who only record walks and check in
		return role != "" && role != "volunteer"
	}
	for _, r := range strings.Split(rule, ",") {
		if r == role {
			return true
		}
	}
	return false
}

// TestRouteRoleTable walks every route × every role (anonymous and a disabled user included) from the
// server's own route table.
func TestRouteRoleTable(t *testing.T) {
	a := testapp.New(t)
	// A disabled user: signed in first, then disabled — the token must stop working at once.
	if _, err := a.Svc.AddUser(t.Context(), "gone", "planner", "", testapp.Password); err != nil {
		t.Fatal(err)
	}
	a.Tokens["disabled"] = a.Login("gone", testapp.Password)
	u, _ := a.Store.UserByName(t.Context(), "gone")
	if err := a.Store.SetUserDisabled(t.Context(), u.ID, true); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	var routes []string
	for _, rt := range a.Echo.Routes() {
		if rt.Method == "echo_route_not_found" || strings.HasPrefix(rt.Method, "echo_") {
			continue
		}
		key := rt.Method + " " + rt.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		routes = append(routes, key)
		rule, ok := handlers.RuleOf(rt)
		if !ok {
			t.Errorf("%s has no access rule: register it through handlers.Router.Add", key)
			continue
		}
		want, ok := expectedRule(key)
		if !ok {
			if strings.HasPrefix(rt.Path, "/app/") || strings.HasPrefix(rt.Path, "/vendor/") || rt.Path == "/" || rt.Path == "/favicon.ico" {
				want = "public"
			} else {
				t.Errorf("%s (rule %q) is missing from the policy table in roles_test.go", key, rule.Name)
				continue
			}
		}
		got := "public"
		if !rule.Public {
			got = "signed-in"
			if rule.Any {
				got = "account"
			}
			if len(rule.Roles) > 0 {
				got = strings.Join(rule.Roles, ",")
			}
		}
		if got != want {
			t.Errorf("%s: rule %q, policy says %q", key, got, want)
		}
	}
	for _, table := range []map[string]string{policy, policyFeatures} {
		for key := range table {
			if !seen[key] {
				t.Errorf("policy row %q has no route", key)
			}
		}
	}
	sort.Strings(routes)

	roles := append([]string{"", "disabled"}, testapp.Roles...)
	for _, key := range routes {
		want, ok := expectedRule(key)
		if !ok || want == "public" {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = strings.ReplaceAll(path, "*", "x")
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "999999", 1)
			}
		}
		for _, role := range roles {
			var body any
			if method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut {
				body = `{}`
			}
			res := a.Do(role, method, path, body)
			effective := role
			if role == "disabled" {
				effective = ""
			}
			switch {
			case allows(want, effective) && (res.Status == 401 || res.Status == 403):
				t.Errorf("%s as %q: %d, but the policy allows it: %s", key, role, res.Status, res.Body)
			case !allows(want, effective) && effective == "" && res.Status != 401:
				t.Errorf("%s as %q: %d, want 401", key, role, res.Status)
			case !allows(want, effective) && effective != "" && res.Status != 403:
				t.Errorf("%s as %q: %d, want 403", key, role, res.Status)
			}
			if strings.HasSuffix(path, "/auth/logout") && res.Status == 204 {
				a.Tokens[role] = a.Login(role+"1", testapp.Password) // logging out ended the session
			}
			if res.Status >= 500 {
				t.Errorf("%s as %q: server error %d: %s", key, role, res.Status, res.Body)
			}
			if res.Status >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s as %q: error %d without problem+json", key, role, res.Status)
			}
		}
	}
}
