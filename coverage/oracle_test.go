package coverage_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"everymeter/demo"
	"everymeter/geo"
	"everymeter/store"
)

// The per-meter oracle: PostGIS, independently of the engine, says which lead zones and assignments contain
// each meter of an asset, and the engine's pieces must agree.
//
// For each sampled asset, points at the middle of every meter are generated along the line; PostGIS answers
// for each point with a strict set (zones covering the point, in UTM 32N, which holds both Liechtenstein and
// Monaco, plus lead assignments over that measure) and a tolerant set (zones within the 0.5 m tolerance).
// Inside the tolerance band either answer is right, so the engine's owners E must satisfy strict ⊆ E ⊆
// tolerant. A sample that fails must lie within 1 m of both an engine piece boundary and a change in the
// oracle's answer (a boundary off by less than 1 m), and failures must stay under 0.1% of the meters.

type oracleCase struct {
	name     string
	osm      string
	zones    string
	sample   int
	shrink   float64
	shift    float64
	minRoads int
}

func TestOracleRealNetworks(t *testing.T) {
	cases := []oracleCase{
		{"liechtenstein", "osm/liechtenstein-2015-07-27.osm.pbf", "boundaries/liechtenstein-gemeinden-admin8.geojson", 300, 50, 80, 4000},
		{"monaco", "osm/monaco-2016-03-05.osm.pbf", "boundaries/monaco-quartiers-admin10.geojson", 300, 50, 80, 2500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			osmPath, zonePath := sharedData(t, c.osm), sharedData(t, c.zones)
			f := newFixture(t)
			n := loadOSMHighways(t, f.ctx, f.st, osmPath)
			if n < c.minRoads {
				t.Fatalf("loaded %d highway ways, want at least %d", n, c.minRoads)
			}
			units := loadZones(t, f.ctx, f.st, zonePath, c.shrink, c.shift)
			assets := sampleAssets(t, f, c.sample)
			// Lead and support assignments on a tenth of the sample, so explicit ranges meet zones.
			for i, a := range assets {
				if i%10 != 0 || a.LengthM < 20 {
					continue
				}
				role := "lead"
				if i%20 == 0 {
					role = "support"
				}
				if _, err := f.st.CreateAssignment(f.ctx, store.Assignment{AssetID: a.ID, UnitID: units[i%len(units)], FromM: a.LengthM * 0.25, ToM: a.LengthM * 0.6, Role: role}); err != nil {
					t.Fatal(err)
				}
			}
			stats, err := f.eng.Full(f.ctx, f.st, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d ways, %d zones, full recompute %d pieces in %s", c.name, n, len(units), stats.Pieces, stats.Took)
			runOracle(t, f, c.name, assets, true)
		})
	}
}

// The demo town, loaded through the service, so what is checked is what the incremental refreshes kept;
// a full recompute afterwards must then change nothing.
func TestOracleDemoTown(t *testing.T) {
	f := newFixture(t)
	if _, err := demo.Load(f.ctx, f.svc, io.Discard); err != nil {
		t.Fatal(err)
	}
	assets := sampleAssets(t, f, 0)
	runOracle(t, f, "demo town", assets, false)
	before, err := f.st.CoveragePiecesOf(f.ctx, ids(assets))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := f.eng.Full(f.ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Written != 0 {
		t.Errorf("a full recompute after the incremental refreshes rewrote %d assets; their results should not change", stats.Written)
	}
	after, err := f.st.CoveragePiecesOf(f.ctx, ids(assets))
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(after) {
		t.Fatalf("incremental results have %d pieces, a full recompute %d", len(before), len(after))
	}
	for i := range before {
		b, a := before[i], after[i]
		if b.AssetID != a.AssetID || b.FromM != a.FromM || b.ToM != a.ToM || !slices.Equal(b.UnitIDs, a.UnitIDs) {
			t.Fatalf("incremental %+v, full %+v", b, a)
		}
	}
}

func ids(as []store.CoverageAsset) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// sampleAssets returns n linear assets picked at random (all when n is 0).
func sampleAssets(t *testing.T, f *fixture, n int) []store.CoverageAsset {
	t.Helper()
	assets, err := f.st.CoverageAssets(f.ctx, nil, []string{"alley", "road"})
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) == 0 {
		t.Fatal("no linear assets loaded")
	}
	if n == 0 || n >= len(assets) {
		return assets
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(assets))))
	rng.Shuffle(len(assets), func(i, j int) { assets[i], assets[j] = assets[j], assets[i] })
	return assets[:n]
}

// runOracle checks the stored pieces of the assets against PostGIS, meter by meter; wantMix demands
// that both gaps and overlaps occur.
func runOracle(t *testing.T, f *fixture, name string, sample []store.CoverageAsset, wantMix bool) {
	ctx := f.ctx
	// Zones in the UTM zone of the data (meters, so the tolerance is exact), cut small for the index.
	var lon float64
	for _, a := range sample {
		lon += a.Geom.Bound().Center()[0]
	}
	srid := 32600 + int(math.Floor((lon/float64(len(sample))+180)/6)) + 1
	owner, err := pgx.Connect(ctx, f.url) // the server's role creates no tables; the owner's default grants let it read this one
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, fmt.Sprintf(`CREATE TABLE oracle_zones AS
		SELECT unit_id, ST_Subdivide(ST_Transform(geom, %d), 32) AS g FROM zones WHERE role = 'lead'
			AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now());
		CREATE INDEX ON oracle_zones USING gist (g); ANALYZE oracle_zones`, srid)); err != nil {
		t.Fatal(err)
	}

	var meters, bad, unexplained int
	var gaps, overlaps float64
	for _, a := range sample {
		line, err := geo.NewLine(a.Geom)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(line.Length() - a.LengthM); d > 0.001*a.LengthM+0.001 {
			t.Errorf("asset %d: engine length %.3f m, PostGIS %.3f m", a.ID, line.Length(), a.LengthM)
		}
		pieces, err := f.st.CoveragePiecesOf(ctx, []int64{a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(pieces) == 0 {
			t.Fatalf("asset %d has no pieces", a.ID)
		}
		if !near(pieces[0].FromM, 0, 1e-9) || !near(pieces[len(pieces)-1].ToM, line.Length(), 1e-6) {
			t.Fatalf("asset %d: pieces do not span [0, %.3f]: %+v", a.ID, line.Length(), pieces)
		}
		for i := 1; i < len(pieces); i++ {
			if pieces[i].FromM != pieces[i-1].ToM {
				t.Fatalf("asset %d: pieces not contiguous: %+v", a.ID, pieces)
			}
		}
		for _, p := range pieces {
			switch p.Status {
			case "gap":
				gaps += p.ToM - p.FromM
			case "overlap":
				overlaps += p.ToM - p.FromM
			}
		}
		k := int(math.Floor(line.Length()))
		if k == 0 {
			continue
		}
		xs, ys, ms := make([]float64, k), make([]float64, k), make([]float64, k)
		for i := range k {
			ms[i] = float64(i) + 0.5
			p := line.PointAt(ms[i])
			xs[i], ys[i] = p[0], p[1]
		}
		strict, tolerant := oracleSets(t, ctx, f.st, srid, a.ID, xs, ys, ms)
		meters += k
		for i := range k {
			e := ownersAt(pieces, ms[i])
			if subset(strict[i], e) && subset(e, tolerant[i]) {
				continue
			}
			bad++
			// The line's ends count as boundaries: a sliver there is absorbed into its neighbour.
			engineEdge := ms[i] <= 1 || line.Length()-ms[i] <= 1
			for _, p := range pieces[1:] {
				if math.Abs(p.FromM-ms[i]) <= 1 {
					engineEdge = true
				}
			}
			oracleEdge := (i > 0 && !slices.Equal(strict[i-1], strict[i])) || (i+1 < k && !slices.Equal(strict[i+1], strict[i])) ||
				!slices.Equal(strict[i], tolerant[i])
			if !engineEdge || !oracleEdge {
				unexplained++
				if unexplained <= 10 {
					t.Errorf("asset %d (%s) meter %.1f of %.1f: engine %v, PostGIS strict %v tolerant %v; pieces %+v",
						a.ID, a.Name, ms[i], line.Length(), e, strict[i], tolerant[i], pieces)
				}
			}
		}
	}
	t.Logf("%s: %d sampled ways, %d meters checked, %d disagree at boundaries (%.4f%%), %.0f m gap and %.0f m overlap among them",
		name, len(sample), meters, bad, 100*float64(bad)/float64(meters), gaps, overlaps)
	if len(sample) == 0 || meters == 0 {
		t.Fatalf("%s: %d meters checked over %d ways; an oracle that checks nothing proves nothing", name, meters, len(sample))
	}
	if float64(bad) > 0.001*float64(meters) {
		t.Errorf("%d of %d meters disagree with PostGIS: more than 0.1%%", bad, meters)
	}
	if wantMix && (gaps == 0 || overlaps == 0) {
		t.Errorf("the shrunk and shifted zones should make gaps and overlaps; got %.0f m gap, %.0f m overlap", gaps, overlaps)
	}
}

// oracleSets asks PostGIS, for every point, which units' lead zones cover it (strict, plus lead assignments
// over its measure) and which are within the tolerance of it (tolerant, plus the same assignments).
func oracleSets(t *testing.T, ctx context.Context, st *store.Store, srid int, assetID int64, xs, ys, ms []float64) (strict, tolerant [][]int64) {
	t.Helper()
	rows, err := st.DB().Query(ctx, `WITH p AS (
			SELECT i, m, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4326), $5::int) AS g
			FROM unnest($1::float8[], $2::float8[], $3::float8[]) WITH ORDINALITY AS u(x, y, m, i)),
		asg AS (SELECT unit_id, from_m, to_m FROM assignments WHERE asset_id = $4 AND role = 'lead'
			AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now()))
		SELECT p.i,
			ARRAY(SELECT u FROM (SELECT z.unit_id AS u FROM oracle_zones z WHERE ST_Covers(z.g, p.g)
				UNION SELECT unit_id FROM asg WHERE from_m <= p.m AND p.m <= to_m) s ORDER BY u),
			ARRAY(SELECT u FROM (SELECT z.unit_id AS u FROM oracle_zones z WHERE ST_DWithin(z.g, p.g, 0.5)
				UNION SELECT unit_id FROM asg WHERE from_m <= p.m AND p.m <= to_m) s ORDER BY u)
		FROM p ORDER BY p.i`, xs, ys, ms, assetID, srid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var s, tol []int64
		if err := rows.Scan(&i, &s, &tol); err != nil {
			t.Fatal(err)
		}
		strict, tolerant = append(strict, s), append(tolerant, tol)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strict, tolerant
}

// ownersAt is the owner set of the piece containing m.
func ownersAt(ps []store.CoveragePiece, m float64) []int64 {
	for _, p := range ps {
		if m >= p.FromM && m < p.ToM {
			return p.UnitIDs
		}
	}
	return ps[len(ps)-1].UnitIDs
}

// subset reports whether every element of sorted a is in sorted b.
func subset(a, b []int64) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
