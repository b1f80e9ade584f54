package ogctest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"everymeter/store"
)

func (w *world) tile(t *testing.T, layer string, tl maptile.Tile, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return w.request(t, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y), headers...)
}

// request sends method to path with the inspector's API key and the given header name/value pairs.
func (w *world) request(t *testing.T, method, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, w.URL+path, nil)
	req.Header.Set("X-API-Key", w.Key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// decode returns the feature ids (or asset_id for coverage layers) of one layer of an MVT, sorted.
func decode(t *testing.T, b []byte, layer string) []int64 {
	t.Helper()
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("not an MVT: %v", err)
	}
	var ids []int64
	for _, l := range layers {
		if l.Name != layer {
			t.Fatalf("unexpected layer %q", l.Name)
		}
		if l.Extent != store.TileExtent {
			t.Errorf("extent %d", l.Extent)
		}
		for _, f := range l.Features {
			switch id := f.ID.(type) {
			case float64: // orb's decoder gives feature ids as numbers
				ids = append(ids, int64(id))
			default:
				ids = append(ids, int64(f.Properties["asset_id"].(float64)))
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (w *world) ids(t *testing.T, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := w.Store.Pool.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// inTile is the oracle: features whose geometry meets the buffered tile, by PostGIS.
const inTile = ` AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) ORDER BY 1`

func TestTilesMatchTheDatabase(t *testing.T) {
	w := newWorld(t)
	center := orb.Point{lon0 + 0.008, lat0 + 0.006}
	for _, z := range []maptile.Zoom{14, 15, 16} {
		tl := maptile.At(center, z)
		args := []any{int(tl.Z), int(tl.X), int(tl.Y)}
		cases := map[string]string{
			"road":     `SELECT id FROM assets WHERE kind = 'road'`,
			"alley":    `SELECT id FROM assets WHERE kind = 'alley'`,
			"market":   `SELECT id FROM assets WHERE kind = 'market'`,
			"park":     `SELECT id FROM assets WHERE kind = 'park'`,
			"reports":  `SELECT id FROM reports WHERE status NOT IN ('closed', 'voided', 'duplicate')`,
			"gaps":     `SELECT asset_id FROM coverage_pieces WHERE status = 'gap'`,
			"overlaps": `SELECT asset_id FROM coverage_pieces WHERE status = 'overlap'`,
			// nobody patrolled the fixture: every road and alley is one stale stretch
			"patrol_stale": `SELECT id FROM assets WHERE kind IN ('road', 'alley') AND length_m >= 1`,
		}
		for layer, sql := range cases {
			t.Run(fmt.Sprintf("%s/z%d", layer, z), func(t *testing.T) {
				res, b := w.tile(t, layer, tl)
				if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
					t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
				}
				got, want := decode(t, b, layer), w.ids(t, sql+inTile, args...)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("tile has %v, PostGIS says %v", got, want)
				}
				if z == 14 && len(want) == 0 {
					t.Errorf("the fixture puts nothing in this tile; the test proves nothing")
				}
			})
		}
	}
	// below zoom 13 short alleys are left out
	tl := maptile.At(center, 12)
	got := decode(t, mustTile(t, w, "alley", tl), "alley")
	want := w.ids(t, `SELECT id FROM assets WHERE kind = 'alley' AND length_m >= 100`+inTile, int(tl.Z), int(tl.X), int(tl.Y))
	all := w.count(t, `SELECT count(*) FROM assets WHERE kind = 'alley'`)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == all {
		t.Errorf("z12 alleys %v, want the %d of %d that are 100 m or longer", got, len(want), all)
	}
}

func mustTile(t *testing.T, w *world, layer string, tl maptile.Tile) []byte {
	t.Helper()
	res, b := w.tile(t, layer, tl)
	if res.StatusCode != 200 {
		t.Fatalf("%s %v: %d %s", layer, tl, res.StatusCode, b)
	}
	return b
}

func TestTileHTTP(t *testing.T) {
	w := newWorld(t)
	tl := maptile.At(orb.Point{lon0 + 0.008, lat0 + 0.006}, 15)
	plain := mustTile(t, w, "road", tl)

	res, gz := w.tile(t, "road", tl, "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, plain) {
		t.Error("gzip body differs from the plain tile")
	}
	etag := res.Header.Get("ETag")
	if res, _ := w.tile(t, "road", tl, "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	if res, _ := w.tile(t, "road", tl, "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent though refused")
	}

	// A write inside the tile changes it (the cached copy is forgotten); the ETag changes with it.
	x, y := lon0+0.0081, lat0+0.0061
	created := w.Do("planner", "POST", "/api/v1/assets", feature(line([2]float64{x, y}, [2]float64{x + 0.0003, y + 0.0001}),
		map[string]any{"kind": "road", "name": "新路"})).MustStatus(t, 201)
	id := int64(created.JSON()["id"].(float64))
	res, b := w.tile(t, "road", tl, "If-None-Match", etag)
	if res.StatusCode != 200 || res.Header.Get("ETag") == etag {
		t.Fatalf("after a write inside the tile: %d, ETag %s", res.StatusCode, res.Header.Get("ETag"))
	}
	if ids := decode(t, b, "road"); !containsID(ids, id) {
		t.Errorf("new road %d not in the tile %v", id, ids)
	}
	// and a delete takes it out again
	w.Do("planner", "DELETE", fmt.Sprintf("/api/v1/assets/%d", id), nil).MustStatus(t, 204)
	if ids := decode(t, mustTile(t, w, "road", tl), "road"); containsID(ids, id) {
		t.Errorf("deleted road %d still in the tile", id)
	}

	for _, bad := range []string{"/tiles/road/15/1/2.png", "/tiles/river/1/0/0.mvt", "/tiles/road/3/8/0.mvt", "/tiles/road/x/0/0.mvt"} {
		r := w.get(t, bad)
		if r.Status != 404 && r.Status != 400 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
	var tj struct {
		Tilejson     string
		Tiles        []string
		VectorLayers []struct{ ID string } `json:"vector_layers"`
	}
	w.get(t, "/tiles/gaps.json").MustStatus(t, 200).Decode(t, &tj)
	if tj.Tilejson != "3.0.0" || len(tj.Tiles) != 1 || len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "gaps" {
		t.Errorf("TileJSON %+v", tj)
	}
}

// TestTileHEAD asks for tiles with HEAD, as caches and map clients do: the headers of the GET, no body.
func TestTileHEAD(t *testing.T) {
	w := newWorld(t)
	tl := maptile.At(orb.Point{lon0 + 0.008, lat0 + 0.006}, 15)
	path := fmt.Sprintf("/tiles/road/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	for _, enc := range []string{"", "gzip"} {
		get, body := w.request(t, "GET", path, "Accept-Encoding", enc)
		head, empty := w.request(t, "HEAD", path, "Accept-Encoding", enc)
		if get.StatusCode != 200 || head.StatusCode != 200 || len(body) == 0 || len(empty) != 0 {
			t.Fatalf("encoding %q: GET %d with %d bytes, HEAD %d with %d bytes", enc, get.StatusCode, len(body), head.StatusCode, len(empty))
		}
		for _, h := range []string{"ETag", "Content-Type", "Content-Encoding", "Content-Length"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("encoding %q: HEAD %s %q, GET %q", enc, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
		if get.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Errorf("encoding %q: Content-Length %s for %d bytes", enc, get.Header.Get("Content-Length"), len(body))
		}
		if res, _ := w.request(t, "HEAD", path, "If-None-Match", get.Header.Get("ETag")); res.StatusCode != 304 {
			t.Errorf("HEAD with If-None-Match: %d, want 304", res.StatusCode)
		}
	}
	if res, _ := w.request(t, "HEAD", "/tiles/road.json"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD TileJSON: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := w.request(t, "HEAD", "/tiles/river/1/0/0.mvt"); res.StatusCode != 404 {
		t.Errorf("HEAD of an unknown layer: %d, want 404", res.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "HEAD", w.URL+path, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("HEAD without a key: %d, want 401", res.StatusCode)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
