package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"everymeter/internal/testapp"
)

// TestRouting builds a hand-made street: 朝阳路 runs 0.01° east (≈ 898 m at 36°N); 综合执法局 (ZHZFJ) owns
// 0–400 m by assignment, the rest is a gap; 城关镇 (CGZ) has a lead zone away from the street; 市政园林局 (SZYLJ)
// exists for 部件 defaults.
func TestRouting(t *testing.T) {
	a := testapp.New(t)
	unit := func(code, name string) int64 {
		return idOf(a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": code, "name": name, "kind": "department"}).MustStatus(t, 201).JSON())
	}
	zhzfj, cgz, szylj := unit("ZHZFJ", "综合执法局"), unit("CGZ", "城关镇"), unit("SZYLJ", "市政园林局")
	road := idOf(a.Do("planner", "POST", "/api/v1/assets", feature(`{"type":"LineString","coordinates":[[117.0,36.0],[117.01,36.0]]}`,
		map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201).JSON())
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": zhzfj, "from_m": 0, "to_m": 400, "role": "lead"}).MustStatus(t, 201)
	a.Do("planner", "POST", "/api/v1/zones", feature(`{"type":"Polygon","coordinates":[[[117.02,36.01],[117.03,36.01],[117.03,36.02],[117.02,36.02],[117.02,36.01]]]}`,
		map[string]any{"unit_id": cgz, "role": "lead", "name": "城关一网格"})).MustStatus(t, 201)

	file := func(category string, p []float64, asset int64) map[string]any {
		body := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": p}, "category": category}
		if asset != 0 {
			body["asset_id"] = asset
		}
		return a.Do("inspector", "POST", "/api/v1/reports", body, "Accept-Language", "en").MustStatus(t, 201).JSON()["report"].(map[string]any)
	}
	cases := []struct {
		name      string
		category  string
		at        []float64
		asset     int64
		unit      int64 // 0: dispatch queue
		decidedBy string
		reason    []string
	}{
		// 事件 next to A's stretch (≈180 m along, 3.3 m north) → A, reason names the meter, the road, the distance.
		{"event on owned stretch", "JMZX-01", []float64{117.002, 36.00003}, 0, zhzfj, "nearest_meter",
			[]string{"nearest meter 180 m along 朝阳路", "综合执法局", "3.3 m away"}},
		// 事件 on the gap (≈631 m) → the category's default (JMZX-04 → GAJJ, which does not exist: queue).
		{"event on a gap without default unit", "JMZX-04", []float64{117.007, 36.00002}, 0, 0, "none",
			[]string{"631 m along 朝阳路", "gap", "no default unit"}},
		// JMZX-05 defaults to 城关镇 (CGZ).
		{"event on a gap falls back to the default unit", "JMZX-05", []float64{117.007, 36.00002}, 0, cgz, "category_default",
			[]string{"631 m along 朝阳路", "gap", "default unit of the category 城关镇"}},
		// Inside the lead zone, far from the street → the zone's unit.
		{"event in a lead zone", "SRHJ-06", []float64{117.025, 36.015}, 0, cgz, "zone", []string{"城关一网格", "城关镇"}},
		// Nothing near, no zone → default unit (JMZX-01 → ZHZFJ).
		{"event in the middle of nowhere", "JMZX-01", []float64{118, 37}, 0, zhzfj, "category_default",
			[]string{"no street within", "default unit of the category 综合执法局"}},
		// 部件 on the road inside A's stretch → the asset's owner.
		{"part on an owned asset", "BJ-01", []float64{117.001, 36.00001}, road, zhzfj, "asset", []string{"部件 on 朝阳路 at 90 m", "综合执法局"}},
		// 部件 on the gap → territory finds the gap too → the category's default (市政园林局).
		{"part on a gap", "BJ-02", []float64{117.008, 36.0}, road, szylj, "category_default",
			[]string{"部件 on 朝阳路 at 721 m: the asset has no owner there", "default unit of the category 市政园林局"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := file(c.category, c.at, c.asset)
			routing := r["routing"].(map[string]any)
			got := int64(0)
			if r["unit_id"] != nil {
				got = int64(r["unit_id"].(float64))
			}
			if got != c.unit || routing["decided_by"] != c.decidedBy {
				t.Fatalf("routed to %d by %v (%v), want %d by %s", got, routing["decided_by"], routing["reason"], c.unit, c.decidedBy)
			}
			for _, w := range c.reason {
				if !strings.Contains(routing["reason"].(string), w) {
					t.Errorf("reason %q lacks %q", routing["reason"], w)
				}
			}
			wantStatus := "dispatched"
			if c.unit == 0 {
				wantStatus = "reported"
			}
			if r["status"] != wantStatus || (c.unit != 0) != (r["deadline"] != nil) {
				t.Fatalf("status %v deadline %v", r["status"], r["deadline"])
			}
		})
	}

	// A pin far from the named asset is refused; an asset alone gets a point on it.
	bad := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{117.005, 36.01}}, "category": "BJ-01", "asset_id": road}
	a.Do("inspector", "POST", "/api/v1/reports", bad).MustStatus(t, 400)
	r := a.Do("inspector", "POST", "/api/v1/reports", map[string]any{"category": "BJ-03", "asset_id": road}).MustStatus(t, 201).JSON()["report"].(map[string]any)
	if m := r["measure_m"].(float64); m < 440 || m > 460 {
		t.Fatalf("asset-only report at %v m, want the middle (≈449 m)", m)
	}

	// Possible duplicates: an open JMZX-01 report 20 m away is offered; another category or 80 m away is not.
	res := a.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{117.00222, 36.00003}},
		"category": "JMZX-01"}).MustStatus(t, 201).JSON()
	dups := res["duplicates"].([]any)
	if len(dups) != 1 || dups[0].(map[string]any)["distance_m"].(float64) > 25 {
		t.Fatalf("duplicates = %v, want the report ≈20 m away", dups)
	}
	res = a.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{117.0029, 36.00003}},
		"category": "JMZX-01"}).MustStatus(t, 201).JSON()
	if n := len(res["duplicates"].([]any)); n != 0 {
		t.Fatalf("%d duplicates 60+ m away", n)
	}
}
