package ogctest

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/geo"
	"everymeter/store"
)

type page struct {
	Type           string `json:"type"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	Links          []struct {
		Href, Rel, Type string
	} `json:"links"`
	Features []struct {
		ID         any            `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func (p page) link(rel string) string {
	for _, l := range p.Links {
		if l.Rel == rel {
			u, _ := url.Parse(l.Href)
			return u.RequestURI()
		}
	}
	return ""
}

func (w *world) page(t *testing.T, path string) page {
	t.Helper()
	r := w.get(t, path).MustStatus(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Fatalf("%s: content type %q", path, ct)
	}
	var p page
	r.Decode(t, &p)
	return p
}

func idString(v any) string { return fmt.Sprint(v) }

// TestItemsPaging pages through every collection forward with next links and back with prev links and
// must see exactly the database's features, each once, in both directions.
func TestItemsPaging(t *testing.T) {
	w := newWorld(t)
	for _, col := range store.OGCCollections {
		t.Run(col.ID, func(t *testing.T) {
			want := w.count(t, collectionCounts[col.ID])
			var fwd []string
			var pages []page
			next := "/ogc/collections/" + col.ID + "/items?limit=7"
			for next != "" {
				p := w.page(t, next)
				if p.NumberMatched != want || p.NumberReturned != len(p.Features) {
					t.Fatalf("numberMatched %d (want %d), numberReturned %d for %d features", p.NumberMatched, want, p.NumberReturned, len(p.Features))
				}
				for _, f := range p.Features {
					fwd = append(fwd, idString(f.ID))
					if f.Properties == nil || f.Geometry["type"] != col.GeometryType {
						t.Fatalf("feature %v: geometry %v, want %s", f.ID, f.Geometry["type"], col.GeometryType)
					}
				}
				pages = append(pages, p)
				next = p.link("next")
				if len(pages) > want {
					t.Fatal("next links never end")
				}
			}
			if len(fwd) != want || len(uniq(fwd)) != want {
				t.Fatalf("paged %d features (%d distinct), the database has %d", len(fwd), len(uniq(fwd)), want)
			}
			// back from the last page with prev links
			var back []string
			prev := pages[len(pages)-1].link("prev")
			for prev != "" {
				p := w.page(t, prev)
				ids := make([]string, len(p.Features))
				for i, f := range p.Features {
					ids[i] = idString(f.ID)
				}
				back = append(ids, back...)
				prev = p.link("prev")
			}
			last := pages[len(pages)-1]
			if got := len(back) + len(last.Features); got != want {
				t.Errorf("prev links reach %d features, want %d", got, want)
			}
		})
	}
}

func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func TestItemsQueries(t *testing.T) {
	w := newWorld(t)
	// bbox: the roads meeting a box equal PostGIS's answer
	bbox := [4]float64{lon0 + 0.003, lat0 + 0.002, lon0 + 0.009, lat0 + 0.006}
	want := w.count(t, `SELECT count(*) FROM assets WHERE kind = 'road' AND geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)`, bbox[0], bbox[1], bbox[2], bbox[3])
	p := w.page(t, fmt.Sprintf("/ogc/collections/road/items?limit=1000&bbox=%g,%g,%g,%g", bbox[0], bbox[1], bbox[2], bbox[3]))
	if p.NumberMatched != want || len(p.Features) != want || want == 0 {
		t.Errorf("bbox: %d matched, %d returned, PostGIS says %d", p.NumberMatched, len(p.Features), want)
	}
	// the same box in EPSG:4326 axis order (lat,lon) and in EPSG:3857
	p2 := w.page(t, fmt.Sprintf("/ogc/collections/road/items?limit=1000&bbox=%g,%g,%g,%g&bbox-crs=%s", bbox[1], bbox[0], bbox[3], bbox[2],
		url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326")))
	if len(p2.Features) != want {
		t.Errorf("bbox in EPSG:4326: %d features, want %d", len(p2.Features), want)
	}

	// property filters, and unknown properties refused
	p = w.page(t, "/ogc/collections/road/items?name="+url.QueryEscape("路3-4"))
	if len(p.Features) != 1 || p.Features[0].Properties["name"] != "路3-4" {
		t.Errorf("name filter: %+v", p.Features)
	}
	unit := w.Units[1]
	want = w.count(t, `SELECT count(*) FROM zones WHERE unit_id = $1`, unit)
	if p = w.page(t, fmt.Sprintf("/ogc/collections/zones/items?unit_id=%d", unit)); len(p.Features) != want {
		t.Errorf("unit_id filter: %d features, want %d", len(p.Features), want)
	}
	for _, bad := range []string{"?colour=red", "?unit_id=x", "?limit=0", "?bbox=1,2,3", "?crs=EPSG:9999", "?datetime=yesterday", "?after=abc", "?f=xml"} {
		path := "/ogc/collections/zones/items" + bad
		r := w.get(t, path)
		if r.Status != 400 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s: %d %s, want a 400 problem", path, r.Status, r.Body)
		}
	}
	if r := w.get(t, "/ogc/collections/gaps/items?datetime=2024-01-01T00:00:00Z/.."); r.Status != 400 {
		t.Errorf("datetime on a collection without time: %d", r.Status)
	}
	if r := w.get(t, "/ogc/collections/nothing/items"); r.Status != 404 {
		t.Errorf("unknown collection: %d", r.Status)
	}
	// limit above the maximum is clamped, not refused
	if p = w.page(t, "/ogc/collections/road/items?limit=50000"); len(p.Features) != 120 {
		t.Errorf("limit=50000 returned %d", len(p.Features))
	}

	// datetime: everything was created just now
	if p = w.page(t, "/ogc/collections/road/items?datetime=2000-01-01T00:00:00Z/.."); p.NumberMatched != 120 {
		t.Errorf("open interval since 2000: %d", p.NumberMatched)
	}
	if p = w.page(t, "/ogc/collections/road/items?datetime=../2000-01-01T00:00:00Z"); p.NumberMatched != 0 {
		t.Errorf("interval ending in 2000: %d", p.NumberMatched)
	}

	// crs: Web Mercator coordinates with Content-Crs, and EPSG:4326 in lat,lon order
	r := w.get(t, "/ogc/collections/road/items/1?crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857")).MustStatus(t, 200)
	if r.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/3857>" {
		t.Errorf("Content-Crs %q", r.Header.Get("Content-Crs"))
	}
	var f struct {
		ID       any `json:"id"`
		Geometry struct {
			Coordinates [][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	r.Decode(t, &f)
	if x := f.Geometry.Coordinates[0][0]; math.Abs(x-6378137*lon0*math.Pi/180) > 0.01 {
		t.Errorf("3857 x = %v", x)
	}
	r = w.get(t, "/ogc/collections/road/items/1?crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326")).MustStatus(t, 200)
	r.Decode(t, &f)
	if c := f.Geometry.Coordinates[0]; c != [2]float64{lat0, lon0} || f.ID != float64(1) {
		t.Errorf("EPSG:4326 first point %v (want lat,lon), id %v", c, f.ID)
	}
	// string feature ids of coverage pieces round-trip
	p = w.page(t, "/ogc/collections/gaps/items?limit=1")
	fid := p.Features[0].ID.(string)
	w.get(t, "/ogc/collections/gaps/items/"+url.PathEscape(fid)).MustStatus(t, 200)
	if r := w.get(t, "/ogc/collections/road/items/999999"); r.Status != 404 {
		t.Errorf("unknown feature: %d", r.Status)
	}
}

func TestLandingAndCollections(t *testing.T) {
	w := newWorld(t)
	var landing struct {
		Links []struct{ Href, Rel, Type string }
	}
	w.get(t, "/ogc/").MustStatus(t, 200).Decode(t, &landing)
	rels := map[string]string{}
	for _, l := range landing.Links {
		rels[l.Rel] = l.Type
	}
	for rel, typ := range map[string]string{"self": "application/json", "service-desc": "application/vnd.oai.openapi+json;version=3.0",
		"service-doc": "text/html", "conformance": "application/json", "data": "application/json"} {
		if rels[rel] != typ {
			t.Errorf("landing link %s has type %q, want %q", rel, rels[rel], typ)
		}
	}
	if r := w.get(t, "/ogc/", "Accept", "text/html"); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML landing page: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var conf struct{ ConformsTo []string }
	w.get(t, "/ogc/conformance").MustStatus(t, 200).Decode(t, &conf)
	for _, c := range []string{"conf/core", "conf/geojson", "conf/oas30", "conf/html", "conf/crs"} {
		if !strings.Contains(strings.Join(conf.ConformsTo, " "), c) {
			t.Errorf("conformance lacks %s", c)
		}
	}
	var api map[string]any
	w.get(t, "/ogc/api").MustStatus(t, 200).Decode(t, &api)
	if api["openapi"] != "3.0.3" {
		t.Errorf("/ogc/api is not OpenAPI 3.0: %v", api["openapi"])
	}
	var col struct {
		ID     string
		Crs    []string
		Extent struct{ Spatial struct{ Bbox [][]float64 } }
	}
	w.get(t, "/ogc/collections/road").MustStatus(t, 200).Decode(t, &col)
	var b [4]float64
	if err := w.Store.Pool.QueryRow(t.Context(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM assets WHERE kind = 'road') q`).Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		t.Fatal(err)
	}
	if len(col.Extent.Spatial.Bbox) != 1 || [4]float64(col.Extent.Spatial.Bbox[0]) != b || len(col.Crs) != 4 {
		t.Errorf("collection: %+v, want bbox %v", col, b)
	}
	var qs struct{ Properties map[string]any }
	w.get(t, "/ogc/collections/zones/queryables").MustStatus(t, 200).Decode(t, &qs)
	if qs.Properties["unit_id"] == nil || qs.Properties["geometry"] == nil {
		t.Errorf("queryables: %v", qs.Properties)
	}
	// the HTML items page renders
	if r := w.get(t, "/ogc/collections/road/items?f=html&limit=3"); r.Status != 200 || !strings.Contains(string(r.Body), "路0-0") {
		t.Errorf("HTML items: %d", r.Status)
	}
}

func TestAPIKeys(t *testing.T) {
	w := newWorld(t)
	w.Do("", "GET", "/ogc/collections?api_key="+url.QueryEscape(w.Key), nil).MustStatus(t, 200)
	w.Do("", "GET", "/ogc/collections", nil).MustStatus(t, 401)
	w.Do("", "GET", "/ogc/collections", nil, "X-API-Key", "emk_wrong").MustStatus(t, 401)
	// read-only: a key cannot write, even to routes its user may use
	w.Do("", "POST", "/api/v1/auth/apikeys", map[string]any{}, "X-API-Key", w.Key).MustStatus(t, 403)
	// links carry the key of a key-in-URL request (QGIS follows them)
	r := w.Do("", "GET", "/ogc/collections/road/items?limit=5&api_key="+url.QueryEscape(w.Key), nil).MustStatus(t, 200)
	var p page
	r.Decode(t, &p)
	if !strings.Contains(p.link("next"), "api_key=") {
		t.Errorf("next link lost the api_key: %s", p.link("next"))
	}
	var list struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	w.Do("inspector", "GET", "/api/v1/auth/apikeys", nil).MustStatus(t, 200).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("keys: %+v", list)
	}
	w.Do("leader", "DELETE", fmt.Sprintf("/api/v1/auth/apikeys/%d", list.Items[0].ID), nil).MustStatus(t, 404) // not theirs
	w.Do("inspector", "DELETE", fmt.Sprintf("/api/v1/auth/apikeys/%d", list.Items[0].ID), nil).MustStatus(t, 204)
	w.get(t, "/ogc/collections").MustStatus(t, 401)
}

// TestAssignmentGeometry checks em_line_sub, which draws assignments, against geo.Line.Sub, which the
// coverage engine measures with.
func TestAssignmentGeometry(t *testing.T) {
	w := newWorld(t)
	rows, err := w.Store.Pool.Query(t.Context(), `SELECT ST_AsBinary(a.geom), t.from_m, t.to_m, ST_AsBinary(em_line_sub(a.geom, t.from_m, t.to_m))
		FROM assignments t JOIN assets a ON a.id = t.asset_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var g, sub []byte
		var from, to float64
		if err := rows.Scan(&g, &from, &to, &sub); err != nil {
			t.Fatal(err)
		}
		line, _ := wkb.Unmarshal(g)
		got, _ := wkb.Unmarshal(sub)
		l, err := geo.NewLine(line)
		if err != nil {
			t.Fatal(err)
		}
		want := l.Sub(from, to).(orb.LineString)
		gl := got.(orb.LineString)
		if len(gl) != len(want) {
			t.Fatalf("[%g, %g]: %v, want %v", from, to, gl, want)
		}
		for i := range gl {
			if geo.Distance(gl[i], want[i]) > 0.001 {
				t.Errorf("[%g, %g] point %d: %v, want %v (%.4f m apart)", from, to, i, gl[i], want[i], geo.Distance(gl[i], want[i]))
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no assignments")
	}
	// a MultiLineString, measured through its parts
	ml := orb.MultiLineString{{{9.5, 47.1}, {9.501, 47.1}}, {{9.502, 47.1}, {9.503, 47.101}}}
	var sub []byte
	if err := w.Store.Pool.QueryRow(t.Context(), `SELECT ST_AsBinary(em_line_sub(ST_GeomFromWKB($1, 4326), 30, 120))`, store.WKB(ml)).Scan(&sub); err != nil {
		t.Fatal(err)
	}
	got, _ := wkb.Unmarshal(sub)
	l, _ := geo.NewLine(ml)
	wantML := l.Sub(30, 120).(orb.MultiLineString)
	gotML, ok := got.(orb.MultiLineString)
	if !ok || len(gotML) != 2 || geo.Distance(gotML[1][1], wantML[1][1]) > 0.001 || geo.Distance(gotML[0][0], wantML[0][0]) > 0.001 {
		t.Errorf("multi: %v, want %v", got, wantML)
	}
}
