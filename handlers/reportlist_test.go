package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestReportLists(t *testing.T) {
	l := newLoop(t)
	var ids []int64
	for range 5 {
		ids = append(ids, idOf(l.file()))
	}
	queued := idOf(l.fileAs("JTZX-01")) // no GAJJ unit: waits in the queue
	l.mustMove("unit_staff", ids[0], map[string]any{"action": "accept"})
	// ids[1] is overdue: its deadline passed an hour ago.
	if _, err := l.Store.Pool.Exec(t.Context(), `UPDATE reports SET dispatched_at = now() - interval '5 hours',
		deadline = now() - interval '1 hour' WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	// ids[2] is yellow: 3.5 of its 4 hours gone.
	if _, err := l.Store.Pool.Exec(t.Context(), `UPDATE reports SET dispatched_at = now() - interval '210 minutes',
		deadline = now() + interval '30 minutes' WHERE id = $1`, ids[2]); err != nil {
		t.Fatal(err)
	}
	list := func(role, query string) []map[string]any {
		t.Helper()
		res := l.Do(role, "GET", "/api/v1/reports?"+query, nil).MustStatus(t, 200)
		if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Fatalf("content type %q", ct)
		}
		var out []map[string]any
		for _, f := range res.JSON()["features"].([]any) {
			out = append(out, f.(map[string]any)["properties"].(map[string]any))
		}
		return out
	}
	idsOf := func(ps []map[string]any) []int64 {
		var out []int64
		for _, p := range ps {
			out = append(out, idOf(p))
		}
		return out
	}
	cases := []struct {
		name, role, query string
		want              []int64
	}{
		{"all, newest first", "admin", "", []int64{queued, ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"status list", "admin", "status=accepted,reported", []int64{queued, ids[0]}},
		{"overdue", "leader", "overdue=1", []int64{ids[1]}},
		{"category", "admin", "category=JTZX-01", []int64{queued}},
		{"unit", "admin", fmt.Sprintf("unit_id=%d", l.UnitID), []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"bbox", "admin", "bbox=100.005,29.9,100.025,30.1", []int64{ids[1], ids[0]}},
		{"q", "admin", "q=" + url.QueryEscape("占道"), []int64{queued, ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"q without match", "admin", "q=nothing%25", nil},
		{"since the future", "admin", "since=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
		{"until a date", "admin", "until=2000-01-01", nil},
		{"mine", "inspector", "mine=1", []int64{queued, ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"mine of another", "inspector2", "mine=1", nil},
		{"unit staff see their unit's only", "unit_staff", "", []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"unit staff asking for another unit", "unit_staff", fmt.Sprintf("unit_id=%d", l.otherID), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := idsOf(list(c.role, c.query))
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	lights := map[int64]any{}
	for _, p := range list("admin", "") {
		lights[idOf(p)] = p["light"]
	}
	if lights[ids[0]] != "green" || lights[ids[1]] != "red" || lights[ids[2]] != "yellow" || lights[queued] != nil {
		t.Fatalf("lights = %v", lights)
	}
	if p := l.Do("admin", "GET", fmt.Sprintf("/api/v1/reports/%d", ids[1]), nil).MustStatus(t, 200).JSON(); p["overdue"] != true {
		t.Fatalf("report %d not overdue: %v", ids[1], p)
	}

	// Paging: 2 at a time through the next links, with nothing lost or repeated.
	var seen []int64
	next := "/api/v1/reports?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		fc := l.Do("admin", "GET", next, nil).MustStatus(t, 200).JSON()
		for _, f := range fc["features"].([]any) {
			seen = append(seen, int64(f.(map[string]any)["id"].(float64)))
		}
		next = ""
		if links, ok := fc["links"].([]any); ok {
			for _, lk := range links {
				if lk.(map[string]any)["rel"] == "next" {
					next = lk.(map[string]any)["href"].(string)
				}
			}
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{queued, ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("paged through %v", seen)
	}

	for _, q := range []string{"status=open", "status=closed,,", "unit_id=x", "unit_id=-1", "bbox=1,2,3", "overdue=maybe",
		"since=yesterday", "since=2024-05-02&until=2024-05-01", "limit=0", "limit=100000", "cursor=abc", "q=" + strings.Repeat("x", 201)} {
		res := l.Do("admin", "GET", "/api/v1/reports?"+q, nil)
		if res.Status != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s, want a 400 problem", q, res.Status, res.Body)
		}
	}
	l.Do("admin", "GET", "/api/v1/reports/999999", nil).MustStatus(t, 404)
	l.Do("admin", "GET", "/api/v1/reports/abc", nil).MustStatus(t, 404)
	l.Do("admin", "GET", "/api/v1/reports/999999/history", nil).MustStatus(t, 404)
	l.move("admin", 999999, map[string]any{"action": "void"}).MustStatus(t, 404)
}

func TestReportMalformedInputs(t *testing.T) {
	l := newLoop(t)
	pt := map[string]any{"type": "Point", "coordinates": []float64{100, 30}}
	cases := []struct {
		name string
		body any
	}{
		{"not JSON", `{"geometry":`},
		{"array", `[]`},
		{"no geometry, no asset", map[string]any{"category": "JMZX-01"}},
		{"no category", map[string]any{"geometry": pt}},
		{"unknown category", map[string]any{"geometry": pt, "category": "NOPE-99"}},
		{"line instead of point", map[string]any{"geometry": map[string]any{"type": "LineString", "coordinates": [][]float64{{100, 30}, {100.1, 30}}}, "category": "JMZX-01"}},
		{"latitude out of range", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{100, 95}}, "category": "JMZX-01"}},
		{"string coordinates", `{"geometry":{"type":"Point","coordinates":["100","30"]},"category":"JMZX-01"}`},
		{"bad urgency", map[string]any{"geometry": pt, "category": "JMZX-01", "urgency": "now"}},
		{"description too long", map[string]any{"geometry": pt, "category": "JMZX-01", "description": strings.Repeat("长", 4001)}},
		{"unknown asset", map[string]any{"geometry": pt, "category": "BJ-01", "asset_id": 999999}},
		{"asset id as string", `{"geometry":{"type":"Point","coordinates":[100,30]},"category":"BJ-01","asset_id":"7"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := l.Do("inspector", "POST", "/api/v1/reports", c.body)
			if res.Status != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s, want a 400 problem", res.Status, res.Body)
			}
		})
	}
	l.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": pt, "category": "JMZX-01"}, "Idempotency-Key", strings.Repeat("k", 201)).MustStatus(t, 400)
	res := l.Do("inspector", "POST", "/api/v1/reports", "category=JMZX-01", "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 415 {
		t.Fatalf("form body: %d", res.Status)
	}
	// Transitions.
	id := idOf(l.file())
	for _, body := range []any{`{"action":`, `{}`, `{"action":"accept","unit_id":"x"}`, `{"action":"accept","note":` + fmt.Sprintf("%q", strings.Repeat("x", 4001)) + `}`} {
		if res := l.Do("unit_staff", "POST", fmt.Sprintf("/api/v1/reports/%d/transitions", id), body); res.Status != 400 {
			t.Errorf("%.40s: %d %s", body, res.Status, res.Body)
		}
	}
	if n, _ := l.Store.CountReports(t.Context()); n != 1 {
		t.Fatalf("%d reports after malformed requests, want 1", n)
	}
}

func TestIdempotencyKeySequential(t *testing.T) {
	l := newLoop(t)
	body := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{100, 30}}, "category": "JMZX-01"}
	first := l.Do("inspector", "POST", "/api/v1/reports", body, "Idempotency-Key", "abc").MustStatus(t, 201).JSON()["report"].(map[string]any)
	again := l.Do("inspector", "POST", "/api/v1/reports", body, "Idempotency-Key", "abc").MustStatus(t, 200).JSON()["report"].(map[string]any)
	if idOf(first) != idOf(again) {
		t.Fatalf("retry made report %v, want %v", again["id"], first["id"])
	}
	// The same key from another user is another report; no key is a new report each time.
	l.Do("admin", "POST", "/api/v1/reports", body, "Idempotency-Key", "abc").MustStatus(t, 201)
	l.Do("inspector", "POST", "/api/v1/reports", body).MustStatus(t, 201)
	res := l.Do("inspector", "POST", "/api/v1/reports", body).MustStatus(t, 201).JSON()
	if n := len(res["duplicates"].([]any)); n != 3 {
		t.Fatalf("%d possible duplicates at the same spot, want 3", n)
	}
	hist := l.Do("inspector", "GET", fmt.Sprintf("/api/v1/reports/%d/history", idOf(first)), nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(hist) != 2 { // create, dispatch — the retry recorded nothing
		t.Fatalf("history after a retry: %v", hist)
	}
}

func TestCategories(t *testing.T) {
	l := newLoop(t)
	items := l.Do("leader", "GET", "/api/v1/categories", nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(items) < 30 {
		t.Fatalf("%d categories seeded", len(items))
	}
	first := items[0].(map[string]any)
	for _, k := range []string{"code", "name_zh", "name_en", "group", "type", "default_unit_id", "time_limit_hours", "active"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("category lacks %q: %v", k, first)
		}
	}
	c := l.Do("admin", "POST", "/api/v1/categories", map[string]any{"code": "XX-01", "name_zh": "测试", "name_en": "Test", "group": "其他",
		"type": "part", "default_unit_code": "OTHER", "time_limit_hours": 2, "urgent_time_limit_hours": 0.5}).MustStatus(t, 201).JSON()
	if int64(c["default_unit_id"].(float64)) != l.otherID || c["active"] != true {
		t.Fatalf("created %v", c)
	}
	l.Do("admin", "POST", "/api/v1/categories", map[string]any{"code": "XX-01", "name_zh": "again", "type": "event", "time_limit_hours": 2}).MustStatus(t, 409)
	c = l.Do("admin", "PATCH", "/api/v1/categories/XX-01", map[string]any{"active": false, "default_unit_id": nil}).MustStatus(t, 200).JSON()
	if c["active"] != false || c["default_unit_id"] != nil || c["name_en"] != "Test" {
		t.Fatalf("patched %v", c)
	}
	// An inactive category takes no new reports.
	l.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{100, 30}}, "category": "XX-01"}).MustStatus(t, 400)
	active := l.Do("inspector", "GET", "/api/v1/categories?active=1", nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(active) != len(items) {
		t.Fatalf("%d active categories, want %d", len(active), len(items))
	}
	l.Do("admin", "PATCH", "/api/v1/categories/NOPE", map[string]any{"active": false}).MustStatus(t, 404)
	l.Do("planner", "POST", "/api/v1/categories", map[string]any{"code": "YY-01"}).MustStatus(t, 403)
	for _, bad := range []map[string]any{
		{"code": "bad code", "name_zh": "x", "type": "event", "time_limit_hours": 1},
		{"code": "ZZ-01", "name_zh": "", "type": "event", "time_limit_hours": 1},
		{"code": "ZZ-01", "name_zh": "x", "type": "thing", "time_limit_hours": 1},
		{"code": "ZZ-01", "name_zh": "x", "type": "event", "time_limit_hours": 0},
		{"code": "ZZ-01", "name_zh": "x", "type": "event", "time_limit_hours": 1, "urgent_time_limit_hours": -1},
		{"code": "ZZ-01", "name_zh": "x", "type": "event", "time_limit_hours": 1, "default_unit_id": 999999},
	} {
		if res := l.Do("admin", "POST", "/api/v1/categories", bad); res.Status != 400 {
			t.Errorf("%v: %d %s", bad, res.Status, res.Body)
		}
	}
	// Urgent reports get the urgent limit (JMZX-01: 1 h).
	r := l.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{100, 30}},
		"category": "JMZX-01", "urgency": "urgent"}).MustStatus(t, 201).JSON()["report"].(map[string]any)
	if r["time_limit_hours"].(float64) != 1 {
		t.Fatalf("urgent report limit %v h", r["time_limit_hours"])
	}
}
