package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/internal/testapp"
	"everymeter/store"
	"everymeter/workflow"
)

// The report routes' rows of the permission table (roles_test.go walks them).
var _ = addPolicy(map[string]string{
	"GET /api/v1/categories":               "signed-in",
	"POST /api/v1/categories":              "admin",
	"GET /api/v1/categories/:code":         "signed-in",
	"PATCH /api/v1/categories/:code":       "admin",
	"GET /api/v1/reports":                  "signed-in",
	"POST /api/v1/reports":                 "inspector,admin",
	"GET /api/v1/reports/:id":              "signed-in",
	"GET /api/v1/reports/:id/history":      "signed-in",
	"POST /api/v1/reports/:id/transitions": "signed-in",
	"POST /api/v1/reports/:id/photos":      "inspector,admin,unit_staff",
	"GET /api/v1/reports/:id/photos":       "signed-in",
	"GET /api/v1/photos/:id":               "signed-in",
	"GET /api/v1/photos/:id/thumb":         "signed-in",
})

func addPolicy(rows map[string]string) bool {
	for k, v := range rows {
		policyFeatures[k] = v
	}
	return true
}

// loop is a test app with a category routed by default to the unit_staff's unit, and a second unit with its own
// staff member ("other").
type loop struct {
	*testapp.App
	t       *testing.T
	otherID int64
	n       int
}

func newLoop(t *testing.T) *loop {
	a := testapp.New(t)
	l := &loop{App: a, t: t}
	a.Do("admin", "PATCH", "/api/v1/categories/JMZX-01", map[string]any{"default_unit_id": a.UnitID}).MustStatus(t, 200)
	other := a.Do("admin", "POST", "/api/v1/units", map[string]any{"code": "OTHER", "name": "别的单位", "kind": "department"}).MustStatus(t, 201).JSON()
	l.otherID = int64(other["id"].(float64))
	if _, err := a.Svc.AddUser(t.Context(), "other1", "unit_staff", "OTHER", testapp.Password); err != nil {
		t.Fatal(err)
	}
	a.Tokens["other"] = a.Login("other1", testapp.Password)
	if _, err := a.Svc.AddUser(t.Context(), "inspector2", "inspector", "", testapp.Password); err != nil {
		t.Fatal(err)
	}
	a.Tokens["inspector2"] = a.Login("inspector2", testapp.Password)
	return l
}

// file files a report of JMZX-01 at a fresh spot far from anything (so no two are duplicates) and returns it.
func (l *loop) file() map[string]any {
	l.t.Helper()
	return l.fileAs("JMZX-01")
}

// fileAs files a report of a category at a fresh spot.
func (l *loop) fileAs(category string) map[string]any {
	l.t.Helper()
	l.n++
	body := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{100 + float64(l.n)*0.01, 30}},
		"category": category, "description": "占道经营 test"}
	return l.Do("inspector", "POST", "/api/v1/reports", body).MustStatus(l.t, 201).JSON()["report"].(map[string]any)
}

func idOf(m map[string]any) int64 { return int64(m["id"].(float64)) }

// move posts a transition as role and returns the response.
func (l *loop) move(role string, id int64, body map[string]any) testapp.Response {
	l.t.Helper()
	return l.Do(role, "POST", fmt.Sprintf("/api/v1/reports/%d/transitions", id), body, "Accept-Language", "en")
}

// mustMove posts a transition that must succeed and returns the report after it.
func (l *loop) mustMove(role string, id int64, body map[string]any) map[string]any {
	l.t.Helper()
	return l.move(role, id, body).MustStatus(l.t, 200).JSON()["report"].(map[string]any)
}

// photo uploads a small PNG to a report as role and returns the photo id.
func (l *loop) photo(role string, id int64) int64 {
	l.t.Helper()
	res := l.upload(role, id, "after.png", pngBytes(l.t, 40, 30, uint8(l.n)))
	if res.Status != 201 && res.Status != 200 {
		l.t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	return idOf(res.JSON())
}

// reach files a report and drives it to status s through the loop's normal steps.
func (l *loop) reach(s workflow.Status) int64 {
	l.t.Helper()
	if s == workflow.Reported {
		// JTZX-01 defaults to 县公安交警 (GAJJ), which the test app does not have: the report waits for dispatch.
		return idOf(l.fileAs("JTZX-01"))
	}
	r := l.file()
	id := idOf(r)
	if r["status"] != "dispatched" {
		l.t.Fatalf("new report is %v, want dispatched", r["status"])
	}
	steps := map[workflow.Status][]func(){
		workflow.Dispatched: nil,
		workflow.Returned:   {func() { l.mustMove("unit_staff", id, map[string]any{"action": "return"}) }},
		workflow.Accepted:   {func() { l.mustMove("unit_staff", id, map[string]any{"action": "accept"}) }},
	}
	resolve := []func(){
		func() { l.mustMove("unit_staff", id, map[string]any{"action": "accept"}) },
		func() {
			l.mustMove("unit_staff", id, map[string]any{"action": "resolve", "photo_id": l.photo("unit_staff", id)})
		},
	}
	steps[workflow.Resolved] = resolve
	steps[workflow.Closed] = append(resolve, func() { l.mustMove("inspector", id, map[string]any{"action": "verify"}) })
	steps[workflow.Rework] = append(resolve, func() { l.mustMove("inspector", id, map[string]any{"action": "rework"}) })
	steps[workflow.Voided] = []func(){func() { l.mustMove("admin", id, map[string]any{"action": "void"}) }}
	steps[workflow.Duplicate] = []func(){func() {
		orig := idOf(l.file())
		l.mustMove("admin", id, map[string]any{"action": "duplicate", "duplicate_of": orig})
	}}
	for _, f := range steps[s] {
		f()
	}
	got := l.Do("admin", "GET", fmt.Sprintf("/api/v1/reports/%d", id), nil).MustStatus(l.t, 200).JSON()["status"]
	if got != string(s) {
		l.t.Fatalf("reach %s: report is %v", s, got)
	}
	return id
}

func TestFullLoop(t *testing.T) {
	l := newLoop(t)
	r := l.file()
	id := idOf(r)
	if r["status"] != "dispatched" || int64(r["unit_id"].(float64)) != l.UnitID || r["light"] != "green" || r["deadline"] == nil {
		t.Fatalf("new report = %v; want dispatched to the category's default unit with a green light", r)
	}
	routing := r["routing"].(map[string]any)
	if routing["decided_by"] != "category_default" || !strings.Contains(routing["reason"].(string), "类别的默认单位 测试单位") {
		t.Fatalf("routing = %v", routing)
	}
	// The limit of JMZX-01 is 4 h.
	dl, _ := time.Parse(time.RFC3339, r["deadline"].(string))
	if d := time.Until(dl); d < 3*time.Hour+50*time.Minute || d > 4*time.Hour+time.Minute {
		t.Fatalf("deadline in %v, want 4 h", d)
	}
	l.mustMove("unit_staff", id, map[string]any{"action": "accept", "note": "收到"})
	// resolve needs an after photo attached to this report
	l.move("unit_staff", id, map[string]any{"action": "resolve"}).MustStatus(t, 400)
	otherReport := idOf(l.file())
	foreign := l.photo("inspector", otherReport)
	l.move("unit_staff", id, map[string]any{"action": "resolve", "photo_id": foreign}).MustStatus(t, 400)
	pid := l.photo("unit_staff", id)
	r = l.mustMove("unit_staff", id, map[string]any{"action": "resolve", "photo_id": pid, "note": "已清理"})
	if r["status"] != "resolved" || int64(r["resolver_id"].(float64)) != l.Users["unit_staff"].ID {
		t.Fatalf("after resolve: %v", r)
	}
	// The resolver's unit cannot verify its own work.
	l.move("unit_staff", id, map[string]any{"action": "verify"}).MustStatus(t, 403)
	r = l.mustMove("inspector", id, map[string]any{"action": "rework", "note": "还有垃圾"})
	if r["status"] != "rework" || r["rework_count"].(float64) != 1 {
		t.Fatalf("after rework: %v", r)
	}
	r = l.mustMove("unit_staff", id, map[string]any{"action": "resolve", "photo_id": pid})
	r = l.mustMove("inspector2", id, map[string]any{"action": "verify", "note": "核查通过"})
	insp2, _ := l.Store.UserByName(t.Context(), "inspector2")
	if r["status"] != "closed" || r["closed_at"] == nil || int64(r["verifier_id"].(float64)) != insp2.ID {
		t.Fatalf("after verify: %v", r)
	}
	// 反弹: reopened, dispatched again with a new deadline.
	r = l.mustMove("inspector", id, map[string]any{"action": "reopen", "note": "又摆摊了"})
	if r["status"] != "dispatched" || r["reopen_count"].(float64) != 1 || r["closed_at"] != nil {
		t.Fatalf("after reopen: %v", r)
	}
	// 延时: the deadline moves by the category's limit.
	before, _ := time.Parse(time.RFC3339, r["deadline"].(string))
	r = l.mustMove("unit_staff", id, map[string]any{"action": "extend", "note": "需要协调"})
	after, _ := time.Parse(time.RFC3339, r["deadline"].(string))
	if r["extension_count"].(float64) != 1 || after.Sub(before) != 4*time.Hour {
		t.Fatalf("extend moved the deadline by %v: %v", after.Sub(before), r)
	}
	r = l.mustMove("unit_staff", id, map[string]any{"action": "extend", "hours": 2})
	after2, _ := time.Parse(time.RFC3339, r["deadline"].(string))
	if after2.Sub(after) != 2*time.Hour || r["extension_count"].(float64) != 2 {
		t.Fatalf("extend by 2 h moved the deadline by %v", after2.Sub(after))
	}
	// 回退: not ours → back to the dispatch queue; the unit no longer sees it.
	r = l.mustMove("unit_staff", id, map[string]any{"action": "return", "note": "不归我们管"})
	if r["status"] != "returned" || r["unit_id"] != nil || r["return_count"].(float64) != 1 || r["light"] != nil {
		t.Fatalf("after return: %v", r)
	}
	l.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/reports/%d", id), nil).MustStatus(t, 404)
	// The dispatcher (admin) sends it to the other unit, then re-routes it back.
	r = l.mustMove("admin", id, map[string]any{"action": "dispatch", "unit_id": l.otherID})
	if r["status"] != "dispatched" || int64(r["unit_id"].(float64)) != l.otherID || r["routing"].(map[string]any)["decided_by"] != "manual" {
		t.Fatalf("after dispatch: %v", r)
	}
	l.move("unit_staff", id, map[string]any{"action": "accept"}).MustStatus(t, 403)
	l.mustMove("other", id, map[string]any{"action": "accept"})
	l.mustMove("admin", id, map[string]any{"action": "dispatch", "unit_id": l.UnitID, "note": "改派"})
	// 作废
	r = l.mustMove("admin", id, map[string]any{"action": "void", "note": "重复上报"})
	if r["status"] != "voided" || len(r["actions"].([]any)) != 0 {
		t.Fatalf("after void: %v", r)
	}
	res := l.move("admin", id, map[string]any{"action": "dispatch", "unit_id": l.UnitID}).MustStatus(t, 409)
	if p := res.JSON(); p["current_status"] != "voided" || len(p["allowed_actions"].([]any)) != 0 ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("409 = %s", res.Body)
	}

	hist := l.Do("inspector", "GET", fmt.Sprintf("/api/v1/reports/%d/history", id), nil).MustStatus(t, 200).JSON()["items"].([]any)
	var actions []string
	for _, e := range hist {
		ev := e.(map[string]any)
		if ev["action"] == "photo" {
			continue
		}
		actions = append(actions, ev["action"].(string)+">"+ev["to_status"].(string))
		if ev["actor"] == "" || ev["at"] == nil {
			t.Errorf("event without actor or time: %v", ev)
		}
	}
	want := "create>reported dispatch>dispatched accept>accepted resolve>resolved rework>rework resolve>resolved verify>closed " +
		"reopen>dispatched extend>dispatched extend>dispatched return>returned dispatch>dispatched accept>accepted dispatch>dispatched void>voided"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("history:\n got %s\nwant %s", got, want)
	}
}

func TestDuplicateAction(t *testing.T) {
	l := newLoop(t)
	orig := idOf(l.file())
	id := idOf(l.file())
	l.move("inspector", id, map[string]any{"action": "duplicate"}).MustStatus(t, 400)
	l.move("inspector", id, map[string]any{"action": "duplicate", "duplicate_of": id}).MustStatus(t, 400)
	l.move("inspector", id, map[string]any{"action": "duplicate", "duplicate_of": 999999}).MustStatus(t, 400)
	l.move("unit_staff", id, map[string]any{"action": "duplicate", "duplicate_of": orig}).MustStatus(t, 403)
	r := l.mustMove("inspector", id, map[string]any{"action": "duplicate", "duplicate_of": orig})
	if r["status"] != "duplicate" || int64(r["duplicate_of"].(float64)) != orig {
		t.Fatalf("after duplicate: %v", r)
	}
	third := idOf(l.file())
	l.move("inspector", third, map[string]any{"action": "duplicate", "duplicate_of": id}).MustStatus(t, 400) // a duplicate itself
}

// TestEveryIllegalTransition drives a report into every status and tries every action the status does not allow,
// as a role that could take it elsewhere: each must be a 409 naming the status and what is allowed.
func TestEveryIllegalTransition(t *testing.T) {
	l := newLoop(t)
	roleFor := map[workflow.Action]string{"dispatch": "admin", "accept": "unit_staff", "resolve": "unit_staff", "verify": "inspector",
		"rework": "inspector", "reopen": "inspector", "return": "unit_staff", "extend": "unit_staff", "void": "admin", "duplicate": "admin"}
	for _, s := range workflow.Statuses {
		id := l.reach(s)
		for _, a := range workflow.Actions {
			if contains(workflow.Allowed(s), a) {
				continue
			}
			body := map[string]any{"action": a, "unit_id": l.UnitID, "duplicate_of": id, "photo_id": 1}
			res := l.move(roleFor[a], id, body)
			if res.Status == 403 && (s == workflow.Returned || s == workflow.Reported) && roleFor[a] == "unit_staff" {
				continue // a report in the dispatch queue is no unit's: unit staff may not touch it at all
			}
			if res.Status != 409 {
				t.Errorf("%s on %s as %s: %d %s, want 409", a, s, roleFor[a], res.Status, res.Body)
				continue
			}
			p := res.JSON()
			if p["current_status"] != string(s) || !strings.Contains(p["detail"].(string), string(s)) {
				t.Errorf("%s on %s: problem %s does not name the status", a, s, res.Body)
			}
			if len(p["allowed_actions"].([]any)) != len(workflow.Allowed(s)) {
				t.Errorf("%s on %s: allowed_actions %v, want %v", a, s, p["allowed_actions"], workflow.Allowed(s))
			}
		}
	}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestSeparationOfDuties(t *testing.T) {
	l := newLoop(t)
	id := l.reach(workflow.Resolved)
	// The staff member who resolved it becomes an inspector: still may not verify or send back their own work.
	if _, err := l.Svc.AddUser(t.Context(), "unit_staff1", "inspector", "", testapp.Password); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"verify", "rework"} {
		res := l.move("unit_staff", id, map[string]any{"action": a}).MustStatus(t, 403)
		if !strings.Contains(string(res.Body), "separation of duties") {
			t.Fatalf("%s by the resolver: %s", a, res.Body)
		}
	}
	l.mustMove("inspector", id, map[string]any{"action": "verify"})
}

func TestRoleChecks(t *testing.T) {
	l := newLoop(t)
	body := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{101, 31}}, "category": "JMZX-01"}
	for role, want := range map[string]int{"unit_staff": 403, "leader": 403, "planner": 403, "": 401, "admin": 201} {
		if res := l.Do(role, "POST", "/api/v1/reports", body); res.Status != want {
			t.Errorf("file as %q: %d, want %d", role, res.Status, want)
		}
	}
	id := idOf(l.file())
	cases := []struct {
		role   string
		action map[string]any
		want   int
	}{
		{"inspector", map[string]any{"action": "accept"}, 403},
		{"admin", map[string]any{"action": "accept"}, 403},
		{"other", map[string]any{"action": "accept"}, 403},
		{"other", map[string]any{"action": "return"}, 403},
		{"leader", map[string]any{"action": "void"}, 403},
		{"planner", map[string]any{"action": "dispatch", "unit_id": l.otherID}, 403},
		{"inspector", map[string]any{"action": "dispatch", "unit_id": l.otherID}, 403},
		{"unit_staff", map[string]any{"action": "void"}, 403},
		{"admin", map[string]any{"action": "fly"}, 400},
		{"admin", map[string]any{"action": "dispatch"}, 400},
		{"admin", map[string]any{"action": "dispatch", "unit_id": 999999}, 400},
		{"unit_staff", map[string]any{"action": "extend", "hours": -1}, 400},
		{"unit_staff", map[string]any{"action": "extend", "hours": 100000}, 400},
	}
	for _, c := range cases {
		if res := l.move(c.role, id, c.action); res.Status != c.want {
			t.Errorf("%v as %s: %d %s, want %d", c.action, c.role, res.Status, res.Body, c.want)
		}
	}
	// Unit staff see only their unit's reports.
	l.Do("other", "GET", fmt.Sprintf("/api/v1/reports/%d", id), nil).MustStatus(t, 404)
	l.Do("other", "GET", fmt.Sprintf("/api/v1/reports/%d/history", id), nil).MustStatus(t, 404)
	l.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/reports/%d", id), nil).MustStatus(t, 200)
	l.Do("leader", "GET", fmt.Sprintf("/api/v1/reports/%d", id), nil).MustStatus(t, 200)
	fc := l.Do("other", "GET", "/api/v1/reports", nil).MustStatus(t, 200).JSON()
	if n := len(fc["features"].([]any)); n != 0 {
		t.Fatalf("other unit's staff sees %d reports", n)
	}
	fc = l.Do("unit_staff", "GET", "/api/v1/reports", nil).MustStatus(t, 200).JSON()
	if n := len(fc["features"].([]any)); n != 2 { // the admin's and the inspector's
		t.Fatalf("unit staff sees %d reports, want 2", n)
	}
}

// TestImportedReports: reports written by an importer (no unit, no deadline) are idempotent per source id and
// still run through the loop.
func TestImportedReports(t *testing.T) {
	l := newLoop(t)
	ctx := t.Context()
	closed := time.Date(2018, 1, 2, 3, 4, 5, 0, time.UTC)
	r := store.Report{CategoryCode: "SRHJ-01", Status: "closed", Geom: orb.Point{-118.25, 34.05}, Source: "import311",
		SourceID: "1-123", CreatedAt: closed.Add(-48 * time.Hour), ClosedAt: &closed, DecidedBy: "import", Description: "Bulky Items"}
	first, inserted, err := l.Store.UpsertReportBySource(ctx, r)
	if err != nil || !inserted {
		t.Fatalf("import: %v %v", inserted, err)
	}
	r.Description = "Bulky Items (updated)"
	again, inserted, err := l.Store.UpsertReportBySource(ctx, r)
	if err != nil || inserted || again.ID != first.ID || again.Description != r.Description || !again.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("re-import: %+v %v %v", again, inserted, err)
	}
	got := l.mustMove("inspector", first.ID, map[string]any{"action": "reopen"})
	if got["status"] != "reported" || got["reopen_count"].(float64) != 1 {
		t.Fatalf("reopened import: %v", got)
	}
	got = l.mustMove("admin", first.ID, map[string]any{"action": "dispatch", "unit_id": l.UnitID})
	if got["status"] != "dispatched" || got["deadline"] == nil {
		t.Fatalf("dispatched import: %v", got)
	}
	if _, err := l.Store.Pool.Exec(ctx, `UPDATE reports SET deadline = NULL WHERE id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	if got = l.mustMove("unit_staff", first.ID, map[string]any{"action": "extend"}); got["deadline"] == nil {
		t.Fatalf("extend without a deadline: %v", got)
	}
}
