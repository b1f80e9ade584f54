package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"everymeter/internal/testapp"
)

// snapshot fingerprints every table a bad request could touch.
func snapshot(t *testing.T, a *testapp.App) string {
	t.Helper()
	var s string
	err := a.Store.Pool.QueryRow(t.Context(), `SELECT concat_ws('|',
		(SELECT count(*) FROM units), (SELECT md5(coalesce(string_agg(u::text, ',' ORDER BY id), '')) FROM units u),
		(SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY id), '')) FROM assets x),
		(SELECT md5(coalesce(string_agg(z::text, ',' ORDER BY id), '')) FROM zones z),
		(SELECT md5(coalesce(string_agg(g::text, ',' ORDER BY id), '')) FROM assignments g),
		(SELECT count(*) FROM coverage_pieces), (SELECT count(*) FROM audit_log))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMalformedInputs(t *testing.T) {
	a := testapp.New(t)
	road := a.Do("planner", "POST", "/api/v1/assets", feature(roadGeom, map[string]any{"kind": "road", "name": "人民路"})).MustStatus(t, 201).JSON()
	rid := int64(road["id"].(float64))
	unit := a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": "CGZ", "name": "城关镇", "kind": "town"}).MustStatus(t, 201).JSON()
	uid := int64(unit["id"].(float64))
	park := a.Do("planner", "POST", "/api/v1/assets", feature(parkGeom, map[string]any{"kind": "park", "name": "小游园"})).MustStatus(t, 201).JSON()
	pid := int64(park["id"].(float64))
	zone := a.Do("planner", "POST", "/api/v1/zones", feature(zoneGeom, map[string]any{"unit_id": uid, "role": "lead"})).MustStatus(t, 201).JSON()
	zid := int64(zone["id"].(float64))

	line := func(coords string) string {
		return feature(`{"type":"LineString","coordinates":`+coords+`}`, map[string]any{"kind": "road", "name": "x"})
	}
	poly := func(coords string) string {
		return feature(`{"type":"Polygon","coordinates":`+coords+`}`, map[string]any{"kind": "park", "name": "x"})
	}
	var huge strings.Builder
	huge.WriteString("[")
	for i := 0; i < 200001; i++ {
		if i > 0 {
			huge.WriteString(",")
		}
		fmt.Fprintf(&huge, "[%.6f,35.75]", 114.0+float64(i)*1e-6)
	}
	huge.WriteString("]")
	big := `{"type":"Feature","properties":{"kind":"road","name":"` + strings.Repeat("长", 17<<20/3) + `"},"geometry":null}`

	asg := fmt.Sprintf("/api/v1/assets/%d/assignments", rid)
	cases := []struct {
		name, method, path, body, ctype string
		status                          int
	}{
		{"malformed JSON", "POST", "/api/v1/assets", `{"type":"Feature",`, "", 400},
		{"not JSON at all", "POST", "/api/v1/units", `code=x`, "", 400},
		{"empty body", "POST", "/api/v1/units", ` `, "", 400},
		{"trailing garbage", "POST", "/api/v1/units", `{"code":"A","name":"a","kind":"team"} {}`, "", 400},
		{"wrong GeoJSON type", "POST", "/api/v1/assets", `{"type":"Point","coordinates":[1,2]}`, "", 400},
		{"GeometryCollection", "POST", "/api/v1/assets", feature(`{"type":"GeometryCollection","geometries":[]}`, map[string]any{"kind": "road"}), "", 400},
		{"unknown kind", "POST", "/api/v1/assets", feature(roadGeom, map[string]any{"kind": "river", "name": "x"}), "", 400},
		{"polygon for a road", "POST", "/api/v1/assets", feature(parkGeom, map[string]any{"kind": "road", "name": "x"}), "", 400},
		{"line for a park", "POST", "/api/v1/assets", feature(roadGeom, map[string]any{"kind": "park", "name": "x"}), "", 400},
		{"point for a market", "POST", "/api/v1/assets", feature(`{"type":"Point","coordinates":[114.3,35.75]}`, map[string]any{"kind": "market", "name": "x"}), "", 400},
		{"longitude out of range", "POST", "/api/v1/assets", line(`[[181,35],[114,35]]`), "", 400},
		{"latitude out of range", "POST", "/api/v1/assets", line(`[[114,-91],[114,35]]`), "", 400},
		{"NaN via overflow", "POST", "/api/v1/assets", line(`[[1e999,35],[114,35]]`), "", 400},
		{"string coordinate", "POST", "/api/v1/assets", line(`[["114",35],[114,35.1]]`), "", 400},
		{"one-point line", "POST", "/api/v1/assets", line(`[[114,35]]`), "", 400},
		{"repeated-point line", "POST", "/api/v1/assets", line(`[[114,35],[114,35]]`), "", 400},
		{"unclosed ring", "POST", "/api/v1/assets", poly(`[[[114,35],[114.1,35],[114.1,35.1],[114,35.1]]]`), "", 400},
		{"self-intersecting ring", "POST", "/api/v1/assets", poly(`[[[114,35],[114.1,35.1],[114.1,35],[114,35.1],[114,35]]]`), "", 400},
		{"empty geometry", "POST", "/api/v1/assets", line(`[]`), "", 400},
		{"empty polygon", "POST", "/api/v1/assets", poly(`[]`), "", 400},
		{"null geometry", "POST", "/api/v1/assets", `{"type":"Feature","geometry":null,"properties":{"kind":"road"}}`, "", 400},
		{"absurd vertex count", "POST", "/api/v1/assets", line(huge.String()), "", 400},
		{"bulk with one bad feature is all-or-nothing", "POST", "/api/v1/assets", `{"type":"FeatureCollection","features":[` + feature(roadGeom, map[string]any{"kind": "road", "name": "ok"}) + `,` + line(`[[114,35]]`) + `]}`, "", 400},
		{"empty FeatureCollection", "POST", "/api/v1/assets", `{"type":"FeatureCollection","features":[]}`, "", 400},
		{"zone with unknown unit", "POST", "/api/v1/zones", feature(zoneGeom, map[string]any{"unit_id": 424242, "role": "lead"}), "", 400},
		{"zone with bad role", "POST", "/api/v1/zones", feature(zoneGeom, map[string]any{"unit_id": uid, "role": "boss"}), "", 400},
		{"zone as a line", "POST", "/api/v1/zones", feature(roadGeom, map[string]any{"unit_id": uid, "role": "lead"}), "", 400},
		{"zone valid_to before valid_from", "POST", "/api/v1/zones", feature(zoneGeom, map[string]any{"unit_id": uid, "role": "lead", "valid_from": "2026-01-02T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"}), "", 400},
		{"assignment with unknown unit", "POST", asg, `{"unit_id":424242,"from_m":0,"to_m":10}`, "", 400},
		{"assignment from_m >= to_m", "POST", asg, fmt.Sprintf(`{"unit_id":%d,"from_m":50,"to_m":50}`, uid), "", 400},
		{"assignment negative from_m", "POST", asg, fmt.Sprintf(`{"unit_id":%d,"from_m":-5,"to_m":50}`, uid), "", 400},
		{"assignment beyond the asset's length", "POST", asg, fmt.Sprintf(`{"unit_id":%d,"from_m":0,"to_m":99999}`, uid), "", 400},
		{"assignment missing to_m", "POST", asg, fmt.Sprintf(`{"unit_id":%d,"from_m":0}`, uid), "", 400},
		{"assignment string meters", "POST", asg, fmt.Sprintf(`{"unit_id":%d,"from_m":"0","to_m":10}`, uid), "", 400},
		{"assignment on unknown asset", "POST", "/api/v1/assets/999999/assignments", fmt.Sprintf(`{"unit_id":%d,"from_m":0,"to_m":10}`, uid), "", 404},
		{"body over the size limit", "POST", "/api/v1/assets", big, "", 413},
		{"wrong content type", "POST", "/api/v1/units", `{"code":"A","name":"a","kind":"team"}`, "text/plain", 415},
		{"form content type", "POST", "/api/v1/assets", `kind=road`, "application/x-www-form-urlencoded", 415},
		{"unknown unit id", "GET", "/api/v1/units/999999", "", "", 404},
		{"non-numeric id", "GET", "/api/v1/assets/abc", "", "", 404},
		{"negative id", "DELETE", "/api/v1/zones/-1", "", "", 404},
		{"unknown asset patch", "PATCH", "/api/v1/assets/999999", `{"properties":{"name":"x"}}`, "", 404},
		{"unknown assignment delete", "DELETE", "/api/v1/assignments/999999", "", "", 404},
		{"duplicate unit code", "POST", "/api/v1/units", `{"code":"CGZ","name":"again","kind":"town"}`, "", 409},
		{"bad unit kind", "POST", "/api/v1/units", `{"code":"NEW","name":"x","kind":"ministry"}`, "", 400},
		{"bad unit code", "POST", "/api/v1/units", `{"code":"a b; DROP TABLE units","name":"x","kind":"team"}`, "", 400},
		{"unit with unknown parent", "POST", "/api/v1/units", `{"code":"NEW","name":"x","kind":"team","parent_id":999999}`, "", 400},
		{"unit its own parent", "PATCH", fmt.Sprintf("/api/v1/units/%d", uid), fmt.Sprintf(`{"parent_id":%d}`, uid), "", 400},
		{"delete a unit still in use", "DELETE", fmt.Sprintf("/api/v1/units/%d", uid), "", "", 409},
		{"patch not an object", "PATCH", fmt.Sprintf("/api/v1/zones/%d", zid), `[1,2]`, "", 400},
		{"patch zone to a line", "PATCH", fmt.Sprintf("/api/v1/zones/%d", zid), `{"geometry":` + roadGeom + `}`, "", 400},
		{"patch park to a line", "PATCH", fmt.Sprintf("/api/v1/assets/%d", pid), `{"geometry":` + roadGeom + `}`, "", 400},
		{"bad bbox", "GET", "/api/v1/assets?bbox=1,2,3", "", "", 400},
		{"inverted bbox", "GET", "/api/v1/assets?bbox=3,2,1,1", "", "", 400},
		{"bad limit", "GET", "/api/v1/assets?limit=0", "", "", 400},
		{"bad cursor", "GET", "/api/v1/assets?cursor=zz", "", "", 400},
		{"bad kind filter", "GET", "/api/v1/assets?kind=%27%3B--", "", "", 400},
		{"unknown route", "GET", "/api/v1/nothing-here", "", "", 404},
	}
	before := snapshot(t, a)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			var hdr []string
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			res := a.Do("admin", tc.method, tc.path, body, hdr...)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", res.Status, tc.status, res.Body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q, want application/problem+json", ct)
			}
			p := res.JSON()
			if p["status"].(float64) != float64(tc.status) || p["title"] == "" || (tc.status != 404 && p["detail"] == "") {
				t.Fatalf("problem document %v", p)
			}
		})
	}
	if after := snapshot(t, a); after != before {
		t.Fatalf("bad requests changed the database:\n before %s\n after  %s", before, after)
	}
}
