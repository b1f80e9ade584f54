package coverage_test

// Loading real data for the oracle tests and the benchmark: highways from the shared OSM extracts (a small
// loader of its own, so these tests do not depend on the importer's choices) and zones from the shared
// administrative boundaries.

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"

	"everymeter/internal/shared"
	"everymeter/store"
)

// sharedData returns a path under the shared data directory (internal/shared: skips outside CI when absent).
func sharedData(tb testing.TB, rel string) string {
	tb.Helper()
	return shared.Path(tb, rel)
}

// roadClasses are the OSM highway values loaded as roads; every other highway way becomes an alley.
var roadClasses = map[string]bool{
	"motorway": true, "trunk": true, "primary": true, "secondary": true, "tertiary": true, "motorway_link": true,
	"trunk_link": true, "primary_link": true, "secondary_link": true, "tertiary_link": true, "residential": true,
	"unclassified": true, "living_street": true, "pedestrian": true,
}

// loadOSMHighways inserts every highway way of a .osm.pbf file as a road or alley and returns how many.
func loadOSMHighways(tb testing.TB, ctx context.Context, st *store.Store, path string) int {
	tb.Helper()
	read := func(fn func(osm.Object)) {
		f, err := os.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		sc := osmpbf.New(ctx, f, 2)
		defer sc.Close()
		for sc.Scan() {
			fn(sc.Object())
		}
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	type way struct {
		id    osm.WayID
		kind  string
		name  string
		nodes []osm.NodeID
	}
	var ways []way
	need := map[osm.NodeID]orb.Point{}
	read(func(o osm.Object) {
		w, ok := o.(*osm.Way)
		if !ok {
			return
		}
		hw := w.Tags.Find("highway")
		if hw == "" || len(w.Nodes) < 2 {
			return
		}
		kind := "alley"
		if roadClasses[hw] {
			kind = "road"
		}
		ids := w.Nodes.NodeIDs()
		for _, n := range ids {
			need[n] = orb.Point{math.NaN(), 0}
		}
		ways = append(ways, way{w.ID, kind, w.Tags.Find("name"), ids})
	})
	read(func(o osm.Object) {
		if n, ok := o.(*osm.Node); ok {
			if _, want := need[n.ID]; want {
				need[n.ID] = orb.Point{n.Lon, n.Lat}
			}
		}
	})
	var kinds, names, sids []string
	var geoms [][]byte
	for _, w := range ways {
		var ls orb.LineString
		for _, n := range w.nodes {
			p := need[n]
			if math.IsNaN(p[0]) {
				continue
			}
			if len(ls) == 0 || ls[len(ls)-1] != p {
				ls = append(ls, p)
			}
		}
		if len(ls) < 2 {
			continue
		}
		kinds, names, sids = append(kinds, w.kind), append(names, w.name), append(sids, fmt.Sprint(w.id))
		geoms = append(geoms, store.WKB(ls))
	}
	_, err := st.DB().Exec(ctx, `INSERT INTO assets (kind, name, geom, length_m, source, source_id)
		SELECT k, n, ST_GeomFromWKB(g, 4326), ST_Length(ST_GeomFromWKB(g, 4326)::geography), 'osm-test', s
		FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[]) AS t(k, n, g, s)`, kinds, names, geoms, sids)
	if err != nil {
		tb.Fatal(err)
	}
	return len(kinds)
}

// loadZones inserts one unit and one lead zone per boundary polygon. With shrink > 0 each polygon is
// shrunk by that many meters and shifted by shift meters east or west in turn, so that real gaps (from
// the shrinking) and overlaps (where neighbours move towards each other) exist.
func loadZones(tb testing.TB, ctx context.Context, st *store.Store, path string, shrink, shift float64) []int64 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		tb.Fatal(err)
	}
	var units []int64
	for i, f := range fc.Features {
		name, _ := f.Properties["name"].(string)
		u, err := st.CreateUnit(ctx, store.Unit{Code: fmt.Sprintf("Z%02d", i), Name: name, Kind: "town"})
		if err != nil {
			tb.Fatal(err)
		}
		units = append(units, u.ID)
		dir := 1.0
		if i%2 == 1 {
			dir = -1
		}
		lat := f.Geometry.Bound().Center()[1]
		dx := dir * shift / (111320 * math.Cos(lat*math.Pi/180))
		_, err = st.DB().Exec(ctx, `INSERT INTO zones (name, unit_id, role, geom)
			SELECT $1, $2, 'lead', ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Translate(
				CASE WHEN $4 > 0 THEN ST_Buffer(g::geography, -$4)::geometry ELSE g END, $5, 0)), 3))
			FROM (SELECT ST_SetSRID(ST_GeomFromWKB($3), 4326) AS g) x
			WHERE $4 <= 0 OR NOT ST_IsEmpty(ST_Buffer(g::geography, -$4)::geometry)`, name, u.ID, store.WKB(f.Geometry), shrink, dx)
		if err != nil {
			tb.Fatal(err)
		}
	}
	return units
}
