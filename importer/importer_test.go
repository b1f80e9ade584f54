package importer

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"

	"everymeter/coverage"
	"everymeter/geo"
	"everymeter/internal/shared"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// sharedData returns the shared data directory (skipping the test where it is absent, outside CI).
func sharedData(t *testing.T) string {
	t.Helper()
	return filepath.Dir(shared.Path(t, "osm"))
}

func newService(t *testing.T) *service.Service {
	t.Helper()
	st, _ := testdb.New(t)
	return serviceOver(st)
}

// serviceOver builds the domain layer over st as server.Service does (server imports this package for the web
// uploads, so its tests cannot import server).
func serviceOver(st *store.Store) *service.Service {
	log := slog.New(slog.DiscardHandler)
	return service.New(st, coverage.New(log), log)
}

// assetsOf lists every asset of a kind whose name matches q ("" for all).
func assetsOf(t *testing.T, st *store.Store, kind, q string) []store.Asset {
	t.Helper()
	var out []store.Asset
	f := store.AssetFilter{Kind: kind, Q: q, Limit: 1000}
	for {
		page, err := st.Assets(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < f.Limit {
			return out
		}
		f.After = page[len(page)-1].ID
	}
}

// independentStreetCount scans a .osm.pbf on its own and counts the highway ways the package doc's rule
// admits, written out longhand so that a slip in Classify shows up as a difference.
func independentStreetCount(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := osmpbf.New(context.Background(), f, 1)
	sc.SkipNodes, sc.SkipRelations = true, true
	defer sc.Close()
	roads := strings.Fields("motorway trunk primary secondary tertiary motorway_link trunk_link primary_link " +
		"secondary_link tertiary_link residential unclassified living_street pedestrian road")
	n := 0
	for sc.Scan() {
		w := sc.Object().(*osm.Way)
		m := w.TagMap()
		hw, ok := m["highway"]
		if !ok || m["area"] == "yes" {
			continue
		}
		switch {
		case contains(roads, hw), hw == "alley":
			n++
		case hw == "service":
			if m["service"] != "parking_aisle" && m["service"] != "drive-through" {
				n++
			}
		case hw == "footway" || hw == "path" || hw == "steps":
			if m["footway"] != "sidewalk" && m["footway"] != "crossing" && (m["name"] != "" || m["name:zh"] != "" || m["lit"] == "yes") {
				n++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// geometrySkips counts the road and alley ways the rule admitted but whose geometry was unusable.
func geometrySkips(r Result) int {
	n := 0
	for _, s := range r.Skipped {
		if strings.HasPrefix(s.Reason, "road: ") || strings.HasPrefix(s.Reason, "alley: ") {
			n += s.Count
		}
	}
	return n
}

func TestOSMRealFiles(t *testing.T) {
	data := sharedData(t)
	cases := []struct {
		file          string
		minRoads      int
		minAlleys     int
		parks         int
		markets       int
		independentOK bool // the file is a .pbf the independent scan reads
		check         func(t *testing.T, st *store.Store)
	}{
		{file: "liechtenstein-2015-07-27.osm.pbf", minRoads: 1500, minAlleys: 500, parks: 6, markets: 0, independentOK: true},
		{file: "monaco-2016-03-05.osm.pbf", minRoads: 1200, minAlleys: 400, parks: 16, markets: 1, independentOK: true,
			check: func(t *testing.T, st *store.Store) {
				parks := assetsOf(t, st, "park", "Jardin Exotique")
				if len(parks) == 0 {
					t.Fatal("no park named Jardin Exotique imported from Monaco")
				}
				for _, p := range parks {
					if err := geo.ValidateGeometry(p.Geom); err != nil || geo.ClassOf(p.Geom) != geo.Polygonal {
						t.Errorf("park %s %q: geometry %s invalid: %v", p.SourceID, p.Name, p.Geom.GeoJSONType(), err)
					}
					if p.AreaM <= 0 {
						t.Errorf("park %s %q has area %g m², want > 0", p.SourceID, p.Name, p.AreaM)
					}
				}
			}},
		{file: "beijing-haidian-cau-2026.osm", minRoads: 50, minAlleys: 50, parks: 9, markets: 2,
			check: func(t *testing.T, st *store.Store) {
				roads := assetsOf(t, st, "road", "学清路")
				if len(roads) == 0 {
					t.Fatal("no road named 学清路 imported from Beijing")
				}
				for _, r := range roads {
					if r.Attributes["name:zh"] != "学清路" {
						t.Errorf("road %s: name:zh = %v, want 学清路", r.SourceID, r.Attributes["name:zh"])
					}
					if r.Attributes["highway"] == nil || r.Attributes["osm_id"] != r.SourceID {
						t.Errorf("road %s: attributes %v lack highway or osm_id", r.SourceID, r.Attributes)
					}
					if r.LengthM <= 0 {
						t.Errorf("road %s has length %g m", r.SourceID, r.LengthM)
					}
				}
				for _, m := range assetsOf(t, st, "market", "") {
					if !strings.HasPrefix(m.SourceID, "node/") || m.AreaM < 1000 || m.AreaM > 1300 {
						t.Errorf("market %s: area %.0f m², want a node's 20 m circle (~1250 m²)", m.SourceID, m.AreaM)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			ctx := context.Background()
			svc := newService(t)
			path := filepath.Join(data, "osm", c.file)
			res, err := OSM(ctx, svc, path, Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			t.Logf("%s: %+v in %s", c.file, res.Kinds, res.Duration)
			roads, alleys := res.Kind("road"), res.Kind("alley")
			if roads.Inserted < c.minRoads || alleys.Inserted < c.minAlleys {
				t.Errorf("roads %d, alleys %d; want at least %d and %d", roads.Inserted, alleys.Inserted, c.minRoads, c.minAlleys)
			}
			if got := res.Kind("park").Inserted; got != c.parks {
				t.Errorf("parks = %d, want %d", got, c.parks)
			}
			if got := res.Kind("market").Inserted; got != c.markets {
				t.Errorf("markets = %d, want %d", got, c.markets)
			}
			if c.independentOK {
				want := independentStreetCount(t, path)
				got := roads.Total() + alleys.Total() + geometrySkips(res)
				if got != want {
					t.Errorf("roads+alleys+geometry skips = %d, independent scan counts %d highway ways under the rule", got, want)
				}
				if g := geometrySkips(res); g*100 > want {
					t.Errorf("%d of %d street ways skipped for their geometry: more than 1%%", g, want)
				}
			}
			n, err := svc.Store.CountAssetsBySource(ctx, SourceOSM)
			if err != nil {
				t.Fatal(err)
			}
			all := assetsOf(t, svc.Store, "", "")
			for _, a := range all {
				if a.Attributes["attribution"] != Attribution {
					t.Fatalf("asset %s lacks the OSM attribution: %v", a.SourceID, a.Attributes)
				}
			}

			again, err := OSM(ctx, svc, path, Options{})
			if err != nil {
				t.Fatalf("re-import: %v", err)
			}
			for _, k := range again.Kinds {
				if k.Inserted != 0 || k.Updated != 0 || k.Total() != res.Kind(k.Kind).Total() {
					t.Errorf("re-import of %s: %+v, want everything unchanged", k.Kind, k)
				}
			}
			n2, err := svc.Store.CountAssetsBySource(ctx, SourceOSM)
			if err != nil {
				t.Fatal(err)
			}
			if n2 != n || int(n) != len(all) {
				t.Errorf("asset rows %d after import, %d after re-import (listed %d)", n, n2, len(all))
			}
			if c.check != nil {
				c.check(t, svc.Store)
			}
		})
	}
}

// smallOSM exercises every rule on a hand-made extract.
const smallOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="40.0000" lon="116.0000"/>
 <node id="2" lat="40.0000" lon="116.0010"/>
 <node id="3" lat="40.0010" lon="116.0010"/>
 <node id="4" lat="40.0010" lon="116.0000"/>
 <node id="5" lat="40.0003" lon="116.0003"/>
 <node id="6" lat="40.0003" lon="116.0006"/>
 <node id="7" lat="40.0006" lon="116.0006"/>
 <node id="8" lat="40.0006" lon="116.0003"/>
 <node id="9" lat="40.0020" lon="116.0020"><tag k="amenity" v="marketplace"/><tag k="name" v="绿园菜市场"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="朝阳路"/><tag k="name:zh" v="朝阳路"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/><tag k="footway" v="sidewalk"/><tag k="name" v="朝阳路"/></way>
 <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/><tag k="lit" v="yes"/></way>
 <way id="13"><nd ref="4"/><nd ref="1"/><tag k="highway" v="path"/></way>
 <way id="14"><nd ref="1"/><nd ref="99"/><tag k="highway" v="service"/></way>
 <way id="15"><nd ref="1"/><nd ref="1"/><tag k="highway" v="service"/></way>
 <way id="16"><nd ref="1"/><nd ref="3"/><nd ref="2"/><nd ref="4"/><nd ref="1"/><tag k="leisure" v="park"/><tag k="name" v="bow tie"/></way>
 <way id="17"><nd ref="1"/><nd ref="2"/><nd ref="3"/></way>
 <way id="18"><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
 <way id="19"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/></way>
 <way id="20"><nd ref="1"/><nd ref="2"/><tag k="highway" v="track"/></way>
 <relation id="30"><member type="way" ref="17" role="outer"/><member type="way" ref="18" role="outer"/><member type="way" ref="19" role="inner"/><tag k="type" v="multipolygon"/><tag k="leisure" v="park"/><tag k="name" v="小游园"/></relation>
 <relation id="31"><member type="way" ref="17" role="outer"/><member type="way" ref="404" role="outer"/><tag k="type" v="multipolygon"/><tag k="leisure" v="park"/></relation>
 <relation id="32"><member type="way" ref="17" role="outer"/><tag k="type" v="multipolygon"/><tag k="amenity" v="marketplace"/></relation>
</osm>`

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOSMRules(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	res, err := OSM(ctx, svc, writeFile(t, "small.osm", smallOSM), Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]int{"road": 1, "alley": 1, "park": 1, "market": 1} {
		if got := res.Kind(kind).Inserted; got != want {
			t.Errorf("%s inserted = %d, want %d", kind, got, want)
		}
	}
	for _, reason := range []string{
		"footway=sidewalk: part of the road beside it",
		"highway=path neither named nor lit: not a built-up lane",
		"alley: nodes missing from the extract",
		"alley: fewer than 2 distinct nodes",
		"park: invalid geometry",
		"park: relation members missing from the extract",
		"market: a ring does not close (open at node 3)",
		"highway=track: a field or forest track",
	} {
		if res.SkippedFor(reason) != 1 {
			t.Errorf("skipped for %q = %d, want 1 (skips: %+v)", reason, res.SkippedFor(reason), res.Skipped)
		}
	}
	parks := assetsOf(t, svc.Store, "park", "小游园")
	if len(parks) != 1 {
		t.Fatalf("found %d parks named 小游园, want 1", len(parks))
	}
	if p, ok := parks[0].Geom.(orb.Polygon); !ok || len(p) != 2 || parks[0].SourceID != "relation/30" {
		t.Errorf("park 小游园 = %s %T with %d rings, want relation/30 as a polygon with one hole", parks[0].SourceID, parks[0].Geom, len(parks[0].Geom.(orb.Polygon)))
	}
	roads := assetsOf(t, svc.Store, "road", "")
	if len(roads) != 1 || roads[0].Name != "朝阳路" || roads[0].Attributes["name:zh"] != "朝阳路" || roads[0].SourceID != "way/10" {
		t.Errorf("roads = %+v, want way/10 朝阳路 with name:zh", roads)
	}

	// A renamed road is updated in place, not duplicated.
	res2, err := OSM(ctx, svc, writeFile(t, "small.osm", strings.Replace(smallOSM, `v="朝阳路"/></way>`, `v="朝阳北路"/></way>`, 1)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := res2.Kind("road"); k.Updated != 1 || k.Inserted != 0 {
		t.Errorf("after renaming, roads = %+v, want 1 updated", k)
	}
	if k := res2.Kind("alley"); k.Unchanged != 1 || k.Inserted+k.Updated != 0 {
		t.Errorf("after renaming a road, alleys = %+v, want 1 unchanged", k)
	}
	if n, _ := svc.Store.CountAssets(ctx); n != 4 {
		t.Errorf("%d assets after re-import, want 4", n)
	}
	// One audit entry per batch that changed something: two batches of 2, then the rename.
	var audits int
	if err := svc.Store.DB().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'asset'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 3 {
		t.Errorf("%d import audit entries, want 3", audits)
	}
}

// cancelAfter is the real no-op coverage with a fault: on its nth call it cancels the import's context,
// as Ctrl-C would in the middle of a batch.
type cancelAfter struct {
	service.NoCoverage
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) RefreshAssets(ctx context.Context, tx *store.Store, ids []int64) error {
	if c.n--; c.n == 0 {
		c.cancel()
		return ctx.Err()
	}
	return nil
}

func TestOSMInterruptedImportResumes(t *testing.T) {
	data := sharedData(t)
	path := filepath.Join(data, "osm", "beijing-haidian-cau-2026.osm")
	base := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := service.New(base.Store, &cancelAfter{n: 3, cancel: cancel}, base.Log)
	_, err := OSM(ctx, svc, path, Options{BatchSize: 50})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import returned %v, want context.Canceled", err)
	}
	n, err := base.Store.CountAssets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Errorf("%d assets after an import interrupted in its third batch of 50, want the first two batches (100)", n)
	}
	res, err := OSM(context.Background(), base, path, Options{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ins, same int
	for _, k := range res.Kinds {
		ins, same = ins+k.Inserted, same+k.Unchanged
	}
	if same != 100 || ins+same < 150 {
		t.Errorf("resumed import inserted %d and left %d unchanged; want the 100 already written unchanged", ins, same)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		tags map[string]string
		kind string
	}{
		{"primary road", map[string]string{"highway": "primary"}, "road"},
		{"link road", map[string]string{"highway": "motorway_link"}, "road"},
		{"pedestrian street", map[string]string{"highway": "pedestrian"}, "road"},
		{"pedestrian square", map[string]string{"highway": "pedestrian", "area": "yes"}, ""},
		{"service road", map[string]string{"highway": "service", "service": "alley"}, "alley"},
		{"parking aisle", map[string]string{"highway": "service", "service": "parking_aisle"}, ""},
		{"named footway", map[string]string{"highway": "footway", "name": "Escalier"}, "alley"},
		{"lit steps", map[string]string{"highway": "steps", "lit": "yes"}, "alley"},
		{"bare path", map[string]string{"highway": "path"}, ""},
		{"named sidewalk", map[string]string{"highway": "footway", "footway": "sidewalk", "name": "x"}, ""},
		{"track", map[string]string{"highway": "track", "name": "x"}, ""},
		{"cycleway", map[string]string{"highway": "cycleway"}, ""},
		{"bus stop", map[string]string{"highway": "bus_stop"}, ""},
		{"not a highway", map[string]string{"building": "yes"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tags osm.Tags
			for k, v := range c.tags {
				tags = append(tags, osm.Tag{Key: k, Value: v})
			}
			kind, reason := Classify(tags)
			if kind != c.kind {
				t.Errorf("Classify(%v) = %q (%s), want %q", c.tags, kind, reason, c.kind)
			}
			if kind == "" && c.tags["highway"] != "" && reason == "" {
				t.Errorf("Classify(%v) skipped a highway without a reason", c.tags)
			}
		})
	}
}

func TestGeoJSON(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	fc := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"a1","properties":{"名称":"金桥商业街","width":12},"geometry":{"type":"LineString","coordinates":[[116.0,40.0],[116.001,40.0]]}},
	 {"type":"Feature","properties":{"NAME":"Back Lane"},"geometry":{"type":"MultiLineString","coordinates":[[[116.0,40.001],[116.001,40.001]]]}},
	 {"type":"Feature","id":7,"properties":{},"geometry":{"type":"Point","coordinates":[116.0,40.0]}},
	 {"type":"Feature","id":8,"properties":{},"geometry":{"type":"LineString","coordinates":[[116.0,40.0],[116.0,40.0]]}}
	]}`
	path := writeFile(t, "lanes.geojson", fc)
	res, err := GeoJSON(ctx, svc, path, "alley", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := res.Kind("alley"); k.Inserted != 2 {
		t.Errorf("alleys = %+v, want 2 inserted", k)
	}
	if res.SkippedFor("point where kind alley needs lineal geometry") != 1 || res.SkippedFor("invalid geometry") != 1 {
		t.Errorf("skipped = %+v, want the point and the degenerate line", res.Skipped)
	}
	got := assetsOf(t, svc.Store, "alley", "")
	names := map[string]string{}
	for _, a := range got {
		names[a.SourceID] = a.Name
		if a.Source != "geojson:lanes.geojson" {
			t.Errorf("source = %q", a.Source)
		}
	}
	if names["a1"] != "金桥商业街" || names["feature/1"] != "Back Lane" {
		t.Errorf("names by source id = %v", names)
	}
	again, err := GeoJSON(ctx, svc, path, "alley", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := again.Kind("alley"); k.Unchanged != 2 || k.Inserted+k.Updated != 0 {
		t.Errorf("re-import = %+v, want 2 unchanged", k)
	}
	if _, err := GeoJSON(ctx, svc, path, "lake", Options{}); err == nil || !strings.Contains(err.Error(), "not one of") {
		t.Errorf("kind lake: err = %v, want a list of kinds", err)
	}

	t.Run("real polygons", func(t *testing.T) {
		data := sharedData(t)
		res, err := GeoJSON(ctx, svc, filepath.Join(data, "boundaries", "liechtenstein-gemeinden-admin8.geojson"), "park", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if k := res.Kind("park"); k.Inserted != 11 {
			t.Errorf("Liechtenstein Gemeinden as parks: %+v, skipped %+v; want 11 inserted", k, res.Skipped)
		}
		if len(assetsOf(t, svc.Store, "park", "Vaduz")) != 1 {
			t.Error("no Vaduz polygon")
		}
	})
}

// FuzzOSMXML feeds arbitrary bytes through the XML reader and the rule that turns objects into assets:
// whatever a file holds, the importer must report an error or skips, never panic.
func FuzzOSMXML(f *testing.F) {
	f.Add([]byte(smallOSM))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := readOSMXML(context.Background(), strings.NewReader(string(b)))
		if err != nil {
			return
		}
		sk := skips{}
		for _, a := range x.assets(sk) {
			if err := checkGeometry(a); err != nil {
				t.Fatalf("asset %s passed the importer with invalid geometry: %v", a.SourceID, err)
			}
		}
	})
}

// BenchmarkOSMLiechtenstein measures a first import of Liechtenstein into an empty database and a
// re-import of the same file (everything unchanged).
func BenchmarkOSMLiechtenstein(b *testing.B) {
	path := shared.Path(b, "osm/liechtenstein-2015-07-27.osm.pbf")
	if path == "" {
		return
	}
	ctx := context.Background()
	b.Run("first", func(b *testing.B) {
		assets := 0
		for b.Loop() {
			b.StopTimer()
			st, _ := testdb.New(b)
			svc := serviceOver(st)
			b.StartTimer()
			res, err := OSM(ctx, svc, path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			assets = 0
			for _, k := range res.Kinds {
				assets += k.Total()
			}
		}
		b.ReportMetric(float64(assets), "assets")
		b.ReportMetric(float64(assets)*float64(b.N)/b.Elapsed().Seconds(), "assets/s")
	})
	b.Run("reimport", func(b *testing.B) {
		st, _ := testdb.New(b)
		svc := serviceOver(st)
		if _, err := OSM(ctx, svc, path, Options{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := OSM(ctx, svc, path, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
