package coverage_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// BenchmarkCoverageLiechtenstein measures, side by side in one run on the Liechtenstein network with its
// 11 municipalities as lead zones: a full recompute against the naive SQL a GIS analyst would write, the
// incremental recompute after moving one zone, and the owner lookup. It prints a table (run with
// `make bench`, or `go test -run '^$' -bench Liechtenstein -benchtime 1x ./coverage/`).
func BenchmarkCoverageLiechtenstein(b *testing.B) {
	osmPath := sharedData(b, "osm/liechtenstein-2015-07-27.osm.pbf")
	zonePath := sharedData(b, "boundaries/liechtenstein-gemeinden-admin8.geojson")
	st, _ := testdb.New(b)
	ctx := b.Context()
	ways := loadOSMHighways(b, ctx, st, osmPath)
	loadZones(b, ctx, st, zonePath, 0, 0)
	// COVERAGE_BENCH_DEBUG=1 logs where each refresh spends its time (load, compute, write).
	var log *slog.Logger
	if os.Getenv("COVERAGE_BENCH_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	eng := coverage.New(log)
	svc := service.New(st, eng, log)
	if _, err := st.DB().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		// Naive SQL, as the issue states it: per asset, the length of its intersection with the union of
		// the lead zones that meet it (assets meeting none count 0). Run once when it takes long.
		perAsset, perAssetM, perAssetRows := naiveSQL(b, st, naivePerAsset)
		// A second baseline, kinder to SQL: one uncorrelated ST_Union of all lead zones, which PostgreSQL
		// computes once (an InitPlan) and intersects with each asset.
		oneUnion, oneUnionM, oneUnionRows := naiveSQL(b, st, naiveOneUnion)

		// The engine computing every asset's pieces without writing (what GET /coverage?at= does), best of 3.
		var compute time.Duration
		for i := 0; i < 3; i++ {
			now := time.Now()
			start := time.Now()
			if _, err := eng.Summary(ctx, st, &now); err != nil {
				b.Fatal(err)
			}
			if d := time.Since(start); i == 0 || d < compute {
				compute = d
			}
		}

		// Full recompute with the write (TRUNCATE and COPY in one transaction), best of 3.
		// Full recompute. First by a fresh engine on empty tables: it loads and prepares every geometry
		// and writes every piece (TRUNCATE and COPY). Then best of 3 by the engine used above, whose
		// prepared geometries are cached, and which compares with the stored results and writes only
		// what changed (nothing, here).
		if _, err := st.DB().Exec(ctx, `TRUNCATE coverage_pieces, coverage_support`); err != nil {
			b.Fatal(err)
		}
		firstStats, err := coverage.New(log).Full(ctx, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		first := firstStats.Took
		var full time.Duration
		var stats coverage.Stats
		for i := 0; i < 3; i++ {
			s, err := eng.Full(ctx, st, nil)
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 || s.Took < full {
				full, stats = s.Took, s
			}
		}
		sum, err := eng.Summary(ctx, st, nil)
		if err != nil {
			b.Fatal(err)
		}

		// Incremental: move one zone back and forth by 20 m through the service (write, audit, refresh, commit).
		zones, err := st.Zones(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var edits []time.Duration
		for i := 0; i < 50; i++ {
			z := zones[i%len(zones)]
			dx := 0.00026 // about 20 m
			if (i/len(zones))%2 == 1 {
				dx = -dx
			}
			z.Geom = shift(z.Geom, dx)
			zones[i%len(zones)] = z
			start := time.Now()
			if _, err := svc.UpdateZone(ctx, store.Actor{Name: "bench"}, z); err != nil {
				b.Fatal(err)
			}
			edits = append(edits, time.Since(start))
		}

		// Owner lookup: 10,000 random points in the country's bounding box.
		rng := rand.New(rand.NewPCG(1, 2))
		bb := orb.Bound{Min: orb.Point{9.4717, 47.0484}, Max: orb.Point{9.6356, 47.2706}}
		var owners []time.Duration
		decided := map[string]int{}
		for i := 0; i < 10000; i++ {
			p := orb.Point{bb.Min[0] + rng.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + rng.Float64()*(bb.Max[1]-bb.Min[1])}
			start := time.Now()
			res, err := eng.Owner(ctx, st, p, nil)
			owners = append(owners, time.Since(start))
			if err != nil && err != coverage.ErrNoOwner {
				b.Fatal(err)
			}
			decided[res.DecidedBy]++
		}

		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		w := os.Stdout
		fmt.Fprintf(w, "\nCoverage on Liechtenstein: %d highway ways, %.0f km, 11 municipalities as lead zones; %d CPUs, load average %s\n",
			ways, sum.TotalM/1000, runtime.NumCPU(), loadAvg())
		fmt.Fprintf(w, "  %-52s %10s\n", "measure", "ms")
		fmt.Fprintf(w, "  %-52s %10.1f\n", "naive SQL per asset (ST_Union of the zones it meets)", ms(perAsset))
		fmt.Fprintf(w, "  %-52s %10.1f\n", "naive SQL, one ST_Union of all zones (InitPlan)", ms(oneUnion))
		fmt.Fprintf(w, "  %-52s %10.1f\n", "engine, compute all pieces (no write)", ms(compute))
		fmt.Fprintf(w, "  %-52s %10.1f\n", fmt.Sprintf("engine full, cold, empty tables (writes %d assets)", firstStats.Written), ms(first))
		fmt.Fprintf(w, "  %-52s %10.1f\n", fmt.Sprintf("engine full, warm, best of 3 (writes %d assets)", stats.Written), ms(full))
		fmt.Fprintf(w, "  %-52s %9.1fx\n", "  speed-up full (cold), vs naive per asset", float64(perAsset)/float64(first))
		fmt.Fprintf(w, "  %-52s %9.1fx\n", "  speed-up full (warm), vs naive per asset", float64(perAsset)/float64(full))
		fmt.Fprintf(w, "  %-52s %9.1fx\n", "  speed-up full (warm), vs one-union SQL", float64(oneUnion)/float64(full))
		fmt.Fprintf(w, "  %-52s %9.1fx\n", "  speed-up compute, vs naive per asset", float64(perAsset)/float64(compute))
		fmt.Fprintf(w, "  %-52s %9.1fx\n", "  speed-up compute, vs one-union SQL", float64(oneUnion)/float64(compute))
		fmt.Fprintf(w, "  %-52s %10.2f\n", "one zone edit, median (50 moves)", ms(pct(edits, 50)))
		fmt.Fprintf(w, "  %-52s %10.2f\n", "one zone edit, p95", ms(pct(edits, 95)))
		fmt.Fprintf(w, "  %-52s %10.3f\n", "owner lookup, p50 (10,000 points)", ms(pct(owners, 50)))
		fmt.Fprintf(w, "  %-52s %10.3f\n", "owner lookup, p99", ms(pct(owners, 99)))
		fmt.Fprintf(w, "  covered km: engine %.1f, naive per asset %.1f (%d rows), one-union SQL %.1f (%d rows)\n",
			sum.CoveredM/1000, perAssetM/1000, perAssetRows, oneUnionM/1000, oneUnionRows)
		fmt.Fprintf(w, "  owner answers %v; load average now %s\n\n", decided, loadAvg())
		b.ReportMetric(float64(perAsset)/float64(full), "speedup-full")
		b.ReportMetric(float64(oneUnion)/float64(full), "speedup-full-1union")
		b.ReportMetric(float64(perAsset)/float64(compute), "speedup-compute")
		b.ReportMetric(ms(full), "full-ms")
		b.ReportMetric(ms(first), "full-first-ms")
		b.ReportMetric(ms(pct(edits, 95)), "edit-p95-ms")
		b.ReportMetric(ms(pct(owners, 99)), "owner-p99-ms")
	}
}

// The naive baselines: what a GIS analyst writes. Both return one row per linear asset with its covered meters.
const (
	naivePerAsset = `SELECT a.id, COALESCE(c.m, 0) FROM assets a LEFT JOIN (
			SELECT a.id, ST_Length(ST_Intersection(a.geom, ST_Union(z.geom))::geography) AS m
			FROM assets a JOIN zones z ON z.role = 'lead' AND ST_Intersects(a.geom, z.geom)
			WHERE a.kind IN ('road', 'alley') GROUP BY a.id, a.geom) c ON c.id = a.id
		WHERE a.kind IN ('road', 'alley')`
	naiveOneUnion = `SELECT a.id, ST_Length(ST_Intersection(a.geom,
			(SELECT ST_Union(geom) FROM zones WHERE role = 'lead'))::geography)
		FROM assets a WHERE a.kind IN ('road', 'alley')`
)

// naiveSQL runs a baseline query (best of 3, or once when a run takes over 10 s) and returns its time,
// the covered meters it sums and its row count.
func naiveSQL(b *testing.B, st *store.Store, q string) (best time.Duration, meters float64, n int) {
	ctx := b.Context()
	for i := 0; i < 3; i++ {
		err := st.WithTx(ctx, func(tx *store.Store) error {
			if err := tx.SetLocalTimeout(ctx, 30*time.Minute); err != nil {
				return err
			}
			meters, n = 0, 0
			start := time.Now()
			rows, err := tx.DB().Query(ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var m float64
				if err := rows.Scan(&id, &m); err != nil {
					return err
				}
				meters += m
				n++
			}
			rows.Close()
			if d := time.Since(start); i == 0 || d < best {
				best = d
			}
			return rows.Err()
		})
		if err != nil {
			b.Fatal(err)
		}
		if best > 10*time.Second {
			break
		}
	}
	return best, meters, n
}

// loadAvg reads the 1-minute load average (other processes skew the figures; the table says so).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// shift moves a polygonal geometry east by dx degrees.
func shift(g orb.Geometry, dx float64) orb.Geometry {
	move := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = make(orb.Ring, len(r))
			for j, pt := range r {
				out[i][j] = orb.Point{pt[0] + dx, pt[1]}
			}
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		return move(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = move(p)
		}
		return out
	}
	return g
}

// pct returns the p-th percentile (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}
