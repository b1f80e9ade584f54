package handlers_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"everymeter/internal/testapp"
)

// feature builds a GeoJSON Feature body.
func feature(geom string, props map[string]any) string {
	p, _ := json.Marshal(props)
	return fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":%s}`, geom, p)
}

const (
	roadGeom   = `{"type":"LineString","coordinates":[[114.300000001,35.750000001],[114.3051234567,35.7503456789],[114.31,35.751]]}`
	parkGeom   = `{"type":"Polygon","coordinates":[[[114.30,35.75],[114.301,35.75],[114.301,35.751],[114.30,35.751],[114.30,35.75]]]}`
	marketGeom = `{"type":"MultiPolygon","coordinates":[[[[114.302,35.752],[114.303,35.752],[114.303,35.7531234567],[114.302,35.752]]]]}`
	zoneGeom   = `{"type":"Polygon","coordinates":[[[114.299,35.749],[114.305,35.749],[114.305,35.752],[114.299,35.752],[114.299,35.749]]]}`
)

// coords flattens every number of a decoded GeoJSON geometry.
func coords(v any) []float64 {
	switch x := v.(type) {
	case float64:
		return []float64{x}
	case []any:
		var out []float64
		for _, e := range x {
			out = append(out, coords(e)...)
		}
		return out
	}
	return nil
}

func sameGeometry(t *testing.T, want string, got any) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	g := got.(map[string]any)
	if w["type"] != g["type"] {
		t.Fatalf("geometry type %v, want %v", g["type"], w["type"])
	}
	wc, gc := coords(w["coordinates"]), coords(g["coordinates"])
	if len(wc) != len(gc) {
		t.Fatalf("%d coordinates, want %d", len(gc), len(wc))
	}
	for i := range wc {
		if math.Abs(wc[i]-gc[i]) > 1e-9 {
			t.Fatalf("coordinate %d is %.12f, want %.12f", i, gc[i], wc[i])
		}
	}
}

func TestRoundTrips(t *testing.T) {
	a := testapp.New(t)
	// Unit.
	u := a.Do("admin", "POST", "/api/v1/units", map[string]any{"code": "ZHZFJ", "name": "县综合执法局", "kind": "department", "contact_person": "李强", "phone": "0393-1234567"}).MustStatus(t, 201).JSON()
	uid := int64(u["id"].(float64))
	got := a.Do("leader", "GET", fmt.Sprintf("/api/v1/units/%d", uid), nil).MustStatus(t, 200).JSON()
	if got["name"] != "县综合执法局" || got["contact_person"] != "李强" {
		t.Fatalf("unit read back as %v", got)
	}
	got = a.Do("planner", "PATCH", fmt.Sprintf("/api/v1/units/%d", uid), map[string]any{"phone": "0393-7654321"}).MustStatus(t, 200).JSON()
	if got["phone"] != "0393-7654321" || got["name"] != "县综合执法局" {
		t.Fatalf("patched unit %v", got)
	}

	// One asset of each kind: create, read (geometry exact to 1e-9°), update, delete.
	for _, tc := range []struct{ kind, geom, geom2 string }{
		{"road", roadGeom, `{"type":"LineString","coordinates":[[114.3,35.75],[114.302,35.75]]}`},
		{"alley", `{"type":"MultiLineString","coordinates":[[[114.3,35.75],[114.3001,35.7502]],[[114.3002,35.7503],[114.3004,35.7507]]]}`, roadGeom},
		{"park", parkGeom, marketGeom},
		{"market", marketGeom, parkGeom},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := a.Do("planner", "POST", "/api/v1/assets", feature(tc.geom, map[string]any{"kind": tc.kind, "name": "测试" + tc.kind, "attributes": map[string]any{"note": "x"}})).MustStatus(t, 201).JSON()
			id := int64(f["id"].(float64))
			r := a.Do("inspector", "GET", fmt.Sprintf("/api/v1/assets/%d", id), nil).MustStatus(t, 200)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
				t.Fatalf("content type %q", ct)
			}
			rf := r.JSON()
			sameGeometry(t, tc.geom, rf["geometry"])
			props := rf["properties"].(map[string]any)
			if props["kind"] != tc.kind || props["name"] != "测试"+tc.kind {
				t.Fatalf("properties %v", props)
			}
			if tc.kind == "road" || tc.kind == "alley" {
				if props["length_m"].(float64) <= 0 {
					t.Fatalf("length_m %v", props["length_m"])
				}
			} else if props["area_m"].(float64) <= 0 {
				t.Fatalf("area_m %v", props["area_m"])
			}
			up := a.Do("planner", "PATCH", fmt.Sprintf("/api/v1/assets/%d", id), map[string]any{"geometry": json.RawMessage(tc.geom2), "properties": map[string]any{"name": "改名"}}).MustStatus(t, 200).JSON()
			sameGeometry(t, tc.geom2, up["geometry"])
			if up["properties"].(map[string]any)["name"] != "改名" || up["properties"].(map[string]any)["kind"] != tc.kind {
				t.Fatalf("patched properties %v", up["properties"])
			}
			a.Do("planner", "DELETE", fmt.Sprintf("/api/v1/assets/%d", id), nil).MustStatus(t, 204)
			a.Do("planner", "GET", fmt.Sprintf("/api/v1/assets/%d", id), nil).MustStatus(t, 404)
		})
	}

	// Zone.
	z := a.Do("planner", "POST", "/api/v1/zones", feature(zoneGeom, map[string]any{"name": "一号网格", "unit_id": uid, "role": "lead", "kind": "网格"})).MustStatus(t, 201).JSON()
	zid := int64(z["id"].(float64))
	zg := a.Do("leader", "GET", fmt.Sprintf("/api/v1/zones/%d", zid), nil).MustStatus(t, 200).JSON()
	if zg["geometry"].(map[string]any)["type"] != "MultiPolygon" {
		t.Fatalf("zones are stored as MultiPolygon, got %v", zg["geometry"])
	}
	if n := len(coords(zg["geometry"].(map[string]any)["coordinates"])); n != 10 {
		t.Fatalf("zone has %d numbers, want 10", n)
	}
	zp := a.Do("planner", "PATCH", fmt.Sprintf("/api/v1/zones/%d", zid), map[string]any{"properties": map[string]any{"role": "support"}}).MustStatus(t, 200).JSON()
	if zp["properties"].(map[string]any)["role"] != "support" || zp["properties"].(map[string]any)["name"] != "一号网格" {
		t.Fatalf("patched zone %v", zp["properties"])
	}
	fc := a.Do("leader", "GET", "/api/v1/zones?bbox=114.2,35.7,114.4,35.8", nil).MustStatus(t, 200).JSON()
	if len(fc["features"].([]any)) != 1 {
		t.Fatalf("zones in bbox: %v", fc)
	}
	a.Do("planner", "DELETE", fmt.Sprintf("/api/v1/zones/%d", zid), nil).MustStatus(t, 204)
	a.Do("planner", "GET", fmt.Sprintf("/api/v1/zones/%d", zid), nil).MustStatus(t, 404)

	// Assignment on a road.
	road := a.Do("planner", "POST", "/api/v1/assets", feature(roadGeom, map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201).JSON()
	rid := int64(road["id"].(float64))
	asg := a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", rid), map[string]any{"unit_id": uid, "from_m": 0, "to_m": 250.5, "role": "lead", "person": "王芳", "phone": "13800000000"}).MustStatus(t, 201).JSON()
	aid := int64(asg["id"].(float64))
	if asg["to_m"].(float64) != 250.5 || asg["person"] != "王芳" {
		t.Fatalf("assignment %v", asg)
	}
	list := a.Do("inspector", "GET", fmt.Sprintf("/api/v1/assets/%d/assignments", rid), nil).MustStatus(t, 200).JSON()
	if len(list["items"].([]any)) != 1 {
		t.Fatalf("assignments %v", list)
	}
	p := a.Do("planner", "PATCH", fmt.Sprintf("/api/v1/assignments/%d", aid), map[string]any{"to_m": 300}).MustStatus(t, 200).JSON()
	if p["to_m"].(float64) != 300 || p["from_m"].(float64) != 0 || p["person"] != "王芳" {
		t.Fatalf("patched assignment %v", p)
	}
	a.Do("planner", "DELETE", fmt.Sprintf("/api/v1/assignments/%d", aid), nil).MustStatus(t, 204)
	a.Do("planner", "GET", fmt.Sprintf("/api/v1/assignments/%d", aid), nil).MustStatus(t, 404)

	// The unit is free again and can be deleted; its audit trail remains.
	a.Do("admin", "DELETE", fmt.Sprintf("/api/v1/units/%d", uid), nil).MustStatus(t, 204)
	var audits int
	if err := a.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE entity IN ('unit','asset','zone','assignment')`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits < 20 {
		t.Fatalf("only %d audit entries for the writes above", audits)
	}
}

func TestAssetListPaging(t *testing.T) {
	a := testapp.New(t)
	var feats []string
	for i := 0; i < 25; i++ {
		feats = append(feats, feature(fmt.Sprintf(`{"type":"LineString","coordinates":[[114.3,%f],[114.301,%f]]}`, 35.75+float64(i)*0.001, 35.75+float64(i)*0.001), map[string]any{"kind": "alley", "name": fmt.Sprintf("建设路%d巷", i)}))
	}
	a.Do("planner", "POST", "/api/v1/assets", `{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`).MustStatus(t, 201)
	seen := map[float64]bool{}
	next := "/api/v1/assets?kind=alley&limit=10"
	pages := 0
	for next != "" {
		fc := a.Do("leader", "GET", next, nil).MustStatus(t, 200).JSON()
		pages++
		for _, f := range fc["features"].([]any) {
			id := f.(map[string]any)["id"].(float64)
			if seen[id] {
				t.Fatalf("asset %v on two pages", id)
			}
			seen[id] = true
		}
		next = ""
		if links, ok := fc["links"].([]any); ok {
			for _, l := range links {
				if l.(map[string]any)["rel"] == "next" {
					next = l.(map[string]any)["href"].(string)
				}
			}
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("paged %d assets in %d pages, want 25 in 3", len(seen), pages)
	}
	q := a.Do("leader", "GET", "/api/v1/assets?q=建设路1", nil).MustStatus(t, 200).JSON()
	if n := len(q["features"].([]any)); n != 11 { // 1, 10–19
		t.Fatalf("name search found %d, want 11", n)
	}
	b := a.Do("leader", "GET", "/api/v1/assets?bbox=114.29,35.7495,114.31,35.7515", nil).MustStatus(t, 200).JSON()
	if n := len(b["features"].([]any)); n != 2 {
		t.Fatalf("bbox found %d, want 2", n)
	}
	_ = http.StatusOK
}
