package coverage_test

import (
	"fmt"
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
	eng := coverage.New(nil)
	svc := service.New(st, eng, nil)
	if _, err := st.DB().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		// Naive SQL: per asset, the length of its intersection with the union of the lead zones (best of 3).
		var naive time.Duration
		var naiveM float64
		for i := 0; i < 3; i++ {
			err := st.WithTx(ctx, func(tx *store.Store) error {
				if err := tx.SetLocalTimeout(ctx, 30*time.Minute); err != nil {
					return err
				}
				naiveM = 0
				start := time.Now()
				rows, err := tx.DB().Query(ctx, `SELECT a.id, ST_Length(ST_Intersection(a.geom,
						(SELECT ST_Union(geom) FROM zones WHERE role = 'lead'))::geography)
					FROM assets a WHERE a.kind IN ('road', 'alley')`)
				if err != nil {
					return err
				}
				for rows.Next() {
					var id int64
					var m float64
					if err := rows.Scan(&id, &m); err != nil {
						return err
					}
					naiveM += m
				}
				rows.Close()
				if d := time.Since(start); i == 0 || d < naive {
					naive = d
				}
				return rows.Err()
			})
			if err != nil {
				b.Fatal(err)
			}
		}

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
		fmt.Fprintf(w, "  %-44s %10s\n", "measure", "ms")
		fmt.Fprintf(w, "  %-44s %10.1f\n", "naive SQL (ST_Intersection with ST_Union)", ms(naive))
		fmt.Fprintf(w, "  %-44s %10.1f\n", "engine, compute all pieces (no write)", ms(compute))
		fmt.Fprintf(w, "  %-44s %9.1fx\n", "  speed-up (naive / engine compute)", float64(naive)/float64(compute))
		fmt.Fprintf(w, "  %-44s %10.1f\n", fmt.Sprintf("engine full recompute + write (%d pieces)", stats.Pieces), ms(full))
		fmt.Fprintf(w, "  %-44s %9.1fx\n", "  speed-up (naive / engine full)", float64(naive)/float64(full))
		fmt.Fprintf(w, "  %-44s %10.2f\n", "one zone edit, median (50 moves)", ms(pct(edits, 50)))
		fmt.Fprintf(w, "  %-44s %10.2f\n", "one zone edit, p95", ms(pct(edits, 95)))
		fmt.Fprintf(w, "  %-44s %10.3f\n", "owner lookup, p50 (10,000 points)", ms(pct(owners, 50)))
		fmt.Fprintf(w, "  %-44s %10.3f\n", "owner lookup, p99", ms(pct(owners, 99)))
		fmt.Fprintf(w, "  covered %.1f km by the engine vs %.1f km by the naive SQL; owner answers %v\n\n",
			sum.CoveredM/1000, naiveM/1000, decided)
		b.ReportMetric(float64(naive)/float64(full), "speedup-full")
		b.ReportMetric(float64(naive)/float64(compute), "speedup-compute")
		b.ReportMetric(ms(full), "full-ms")
		b.ReportMetric(ms(pct(edits, 95)), "edit-p95-ms")
		b.ReportMetric(ms(pct(owners, 99)), "owner-p99-ms")
	}
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
