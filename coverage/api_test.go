package coverage_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/internal/testapp"
)

func feature(g orb.Geometry, props map[string]any) map[string]any {
	b, _ := geojson.NewGeometry(g).MarshalJSON()
	return map[string]any{"type": "Feature", "geometry": json.RawMessage(b), "properties": props}
}

// Zone create, update and delete through the HTTP API update /coverage before the write returns.
func TestAPIZoneEditsUpdateCoverage(t *testing.T) {
	a := testapp.New(t)
	ls, line := straight(116.0, 40.0, 1000)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	res := a.Do("planner", "POST", "/api/v1/assets", feature(ls, map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201)
	assetID := int64(res.JSON()["id"].(float64))

	summary := func() map[string]any {
		return a.Do("leader", "GET", "/api/v1/coverage", nil).MustStatus(t, 200).JSON()
	}
	covered := func() float64 { return summary()["covered_m"].(float64) }
	if s := summary(); !near(s["total_m"].(float64), 1000, 0.1) || s["covered_m"].(float64) != 0 {
		t.Fatalf("before any zone: %v", s)
	}

	res = a.Do("planner", "POST", "/api/v1/zones", feature(box(x(0)-0.001, x(400), 40, 0.001), map[string]any{"unit_id": a.UnitID, "role": "lead", "name": "一号网格"})).MustStatus(t, 201)
	zoneID := int64(res.JSON()["id"].(float64))
	if c := covered(); !near(c, 400, 0.1) {
		t.Fatalf("after create: covered %.2f, want 400", c)
	}
	a.Do("planner", "PATCH", fmt.Sprintf("/api/v1/zones/%d", zoneID), feature(box(x(0)-0.001, x(650), 40, 0.001), map[string]any{})).MustStatus(t, 200)
	if c := covered(); !near(c, 650, 0.1) {
		t.Fatalf("after update: covered %.2f, want 650", c)
	}
	// Gaps and overlaps as GeoJSON Leaflet can draw.
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string `json:"type"`
			Geometry struct {
				Type        string      `json:"type"`
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	res = a.Do("inspector", "GET", "/api/v1/coverage/gaps?bbox=115.9,39.9,116.1,40.1&min_length_m=10", nil).MustStatus(t, 200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Fatalf("content type %q", ct)
	}
	res.Decode(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 || fc.Features[0].Geometry.Type != "LineString" ||
		!near(fc.Features[0].Properties["length_m"].(float64), 350, 0.1) || fc.Features[0].Properties["asset_name"] != "朝阳路" {
		t.Fatalf("gaps = %s", res.Body)
	}
	if got := fc.Features[0].Geometry.Coordinates[0][0]; !near(got, x(650), 1e-6) {
		t.Fatalf("gap starts at lon %v, want %v", got, x(650))
	}
	a.Do("inspector", "GET", "/api/v1/coverage/overlaps", nil).MustStatus(t, 200).Decode(t, &fc)
	if len(fc.Features) != 0 {
		t.Fatalf("overlaps with one zone: %d", len(fc.Features))
	}
	a.Do("inspector", "GET", "/api/v1/coverage/segments?kind=road", nil).MustStatus(t, 200).Decode(t, &fc)
	if len(fc.Features) != 2 || fc.Features[0].Properties["status"] != "covered" {
		t.Fatalf("segments = %+v", fc)
	}
	ac := a.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/assets/%d/coverage", assetID), nil).MustStatus(t, 200).JSON()
	pieces := ac["pieces"].([]any)
	units := pieces[0].(map[string]any)["units"].([]any)
	if len(pieces) != 2 || units[0].(map[string]any)["source"] != "zone" || units[0].(map[string]any)["name"] != "测试单位" {
		t.Fatalf("asset coverage = %v", ac)
	}
	csv := a.Do("leader", "GET", "/api/v1/coverage/export?format=csv", nil).MustStatus(t, 200)
	if lines := strings.Split(strings.TrimSpace(string(csv.Body)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "asset_id,asset_name") || !strings.Contains(lines[1], "朝阳路") {
		t.Fatalf("csv = %s", csv.Body)
	}
	a.Do("leader", "GET", "/api/v1/coverage/export?format=geojson", nil).MustStatus(t, 200).Decode(t, &fc)
	if len(fc.Features) != 1 {
		t.Fatalf("geojson export has %d gaps", len(fc.Features))
	}

	// Owner lookup over HTTP: found, and 404 with candidates.
	p := line.PointAt(100)
	own := a.Do("inspector", "GET", fmt.Sprintf("/api/v1/owner?lon=%v&lat=%v", p[0], p[1]+0.00003), nil).MustStatus(t, 200).JSON()
	if own["decided_by"] != "nearest_meter" || own["units"].([]any)[0].(map[string]any)["code"] != "TEST" || own["reason"] == "" {
		t.Fatalf("owner = %v", own)
	}
	nf := a.Do("inspector", "GET", "/api/v1/owner?lon=116.2&lat=40.2", nil).MustStatus(t, http.StatusNotFound)
	if ct := nf.Header.Get("Content-Type"); ct != "application/problem+json" || len(nf.JSON()["candidates"].([]any)) == 0 {
		t.Fatalf("404 = %s %s", ct, nf.Body)
	}

	a.Do("planner", "DELETE", fmt.Sprintf("/api/v1/zones/%d", zoneID), nil).MustStatus(t, 204)
	if c := covered(); c != 0 {
		t.Fatalf("after delete: covered %.2f, want 0", c)
	}
}

// Bad parameters are 400 problems that say what to fix; the routes need sign-in.
func TestAPIBadInput(t *testing.T) {
	a := testapp.New(t)
	cases := []struct{ path, field string }{
		{"/api/v1/owner?lat=40", "lon"},
		{"/api/v1/owner?lon=200&lat=40", "lon"},
		{"/api/v1/owner?lon=116&lat=NaN", "lat"},
		{"/api/v1/owner?lon=116&lat=40&at=yesterday", "at"},
		{"/api/v1/coverage/gaps?kind=market", "kind"},
		{"/api/v1/coverage/gaps?bbox=1,2,3", "bbox"},
		{"/api/v1/coverage/gaps?min_length_m=-1", "min_length_m"},
		{"/api/v1/coverage/segments?status=purple", "status"},
		{"/api/v1/coverage/export?format=shp", "format"},
		{"/api/v1/coverage?at=2024-13-01", "at"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := a.Do("leader", "GET", c.path, nil).MustStatus(t, 400)
			errs, _ := res.JSON()["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
				t.Fatalf("body %s, want an error on %s", res.Body, c.field)
			}
		})
	}
	a.Do("", "GET", "/api/v1/coverage", nil).MustStatus(t, 401)
	a.Do("leader", "GET", "/api/v1/assets/999999/coverage", nil).MustStatus(t, 404)
}
