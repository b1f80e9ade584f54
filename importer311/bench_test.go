package importer311_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	bench "everymeter/bench/row"
	"everymeter/importer"
	"everymeter/importer311"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// BenchmarkHeatmapScale loads the real LA reports, replicates them with jitter in space (±~200 m) and time
// (spread over two years) to 10k, 100k and 1M stored reports, and at each size times the pre-aggregated heat
// map against the naive GROUP BY over the raw table, for the whole city and one district at three zooms, plus
// the unit statistics. It prints a table (run with `make bench`, or go test -run '^$' -bench HeatmapScale
// -benchtime 1x ./importer311/).
func BenchmarkHeatmapScale(b *testing.B) {
	nc := sharedData(b, "boundaries/la-neighborhood-councils-2019.geojson")
	dir := sharedData(b, "civic311")
	for range b.N {
		st, _ := testdb.New(b)
		ctx := b.Context()
		svc := service.New(st, nil, nil)
		if _, err := importer311.UnitsFromZones(ctx, svc, nc, store.Actor{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
		for _, f := range LAFiles {
			if _, err := importer311.Import(ctx, st, filepath.Join(dir, f), importer.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		// Generation runs on one connection without the pool's 30 s statement timeout.
		conn, err := st.Pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Release()
		exec := func(sql string, args ...any) {
			if _, err := conn.Exec(ctx, sql, args...); err != nil {
				b.Fatalf("%s: %v", sql[:min(60, len(sql))], err)
			}
		}
		// Generation creates scratch tables and rebuilds indexes, the owner's work: this connection leaves the
		// app role for the login role that ran the migrations, and takes it again before it goes back to the pool.
		exec(`SET ROLE NONE`)
		defer conn.Exec(ctx, `SET ROLE `+pgx.Identifier{store.AppRole}.Sanitize()) //nolint:errcheck
		// The seed: the imported rows, numbered; then an empty reports table (the trigger empties the cells).
		exec(`CREATE TABLE bench_seed AS SELECT row_number() OVER (ORDER BY id) AS rn, category_code, urgency, status, geom,
			unit_id, time_limit_hours, deadline, dispatched_at, resolved_at, closed_at, created_at, updated_at FROM reports`)
		var nseed int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM bench_seed`).Scan(&nseed); err != nil {
			b.Fatal(err)
		}
		var district [4]float64
		if err := st.Pool.QueryRow(ctx, `SELECT ST_XMin(z.geom), ST_YMin(z.geom), ST_XMax(z.geom), ST_YMax(z.geom)
			FROM zones z JOIN reports r ON r.unit_id = z.unit_id GROUP BY z.id ORDER BY count(*) DESC, z.id LIMIT 1`).
			Scan(&district[0], &district[1], &district[2], &district[3]); err != nil {
			b.Fatal(err)
		}
		exec(`SET statement_timeout = 0`)
		exec(`TRUNCATE reports CASCADE`)
		stored := 0
		grow := func(to int) time.Duration {
			start := time.Now()
			for stored < to {
				n := min(100_000, to-stored)
				// ±0.0022° of longitude ≈ ±200 m at 34° N, ±0.0018° of latitude ≈ ±200 m; times shifted back
				// by up to two years, every timestamp of a report by the same amount.
				exec(`INSERT INTO reports (category_code, urgency, status, geom, unit_id, decided_by, time_limit_hours, deadline,
						dispatched_at, resolved_at, closed_at, created_at, updated_at)
					SELECT s.category_code, s.urgency, s.status,
						ST_SetSRID(ST_MakePoint(ST_X(s.geom) + (random() - 0.5) * 0.0044, ST_Y(s.geom) + (random() - 0.5) * 0.0036), 4326),
						s.unit_id, 'import', s.time_limit_hours, s.deadline - j.shift, s.dispatched_at - j.shift,
						s.resolved_at - j.shift, s.closed_at - j.shift, s.created_at - j.shift, s.updated_at - j.shift
					FROM generate_series($1::bigint, $2::bigint) g
					JOIN bench_seed s ON s.rn = g % $3 + 1
					CROSS JOIN LATERAL (SELECT random() * interval '730 days' + g * interval '0 s' AS shift) j`,
					stored, stored+n-1, nseed)
				stored += n
			}
			exec(`VACUUM ANALYZE reports`)
			exec(`VACUUM ANALYZE heat_cells`)
			exec(`VACUUM ANALYZE heat_cells_daily`)
			return time.Since(start)
		}
		type scenario struct {
			name string
			bbox [4]float64
			zoom int
		}
		city := [4]float64{-118.70, 33.70, -118.15, 34.35}
		scenarios := []scenario{{"city", city, 9}, {"city", city, 11}, {"city", city, 13},
			{"district", district, 12}, {"district", district, 14}, {"district", district, 16}}
		p50 := func(runs int, f func() error) time.Duration {
			ds := make([]time.Duration, runs)
			for i := range ds {
				t := time.Now()
				if err := f(); err != nil {
					b.Fatal(err)
				}
				ds[i] = time.Since(t)
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			return ds[runs/2]
		}
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
		type row struct {
			size        int
			name        string
			zoom, cells int
			reports     int64
			fast, naive time.Duration
		}
		var rows []row
		var gen []string
		var statsRows []string
		sizes := []int{10_000, 100_000, 1_000_000}
		if v, err := strconv.Atoi(os.Getenv("EVERYMETER_BENCH_HEAT_MAX")); err == nil { // a quick run: fewer sizes
			sizes = slices.DeleteFunc(sizes, func(n int) bool { return n > v })
		}
		for _, size := range sizes {
			d := grow(size)
			gen = append(gen, fmt.Sprintf("%d reports: generated in %s", size, d.Round(time.Millisecond)))
			fmt.Println(gen[len(gen)-1])
			for _, sc := range scenarios {
				bb := sc.bbox
				// The grid the service picks for this view (a coarser one where the box spans too many cells).
				q := store.HeatQuery{Level: service.HeatLevel(sc.zoom, boundOf(bb)), Weight: "count", Now: time.Now()}
				q.BBox = boundOf(bb)
				// Both sides return the same answer — cells and counts, no geometry — and it is checked equal.
				var got []store.HeatCell
				fast := p50(15, func() error {
					var err error
					got, err = st.HeatCells(ctx, q, false)
					return err
				})
				var want map[[2]int]int64
				naive := p50(3, func() error {
					var err error
					want, err = naiveHeat(ctx, conn, q)
					return err
				})
				if len(got) != len(want) {
					b.Fatalf("%d %s z%d: %d cells, the naive GROUP BY %d", size, sc.name, sc.zoom, len(got), len(want))
				}
				var total int64
				for _, c := range got {
					if want[[2]int{c.CX, c.CY}] != c.Count {
						b.Fatalf("%d %s z%d: cell (%d, %d) counts %d, the naive GROUP BY %d", size, sc.name, sc.zoom, c.CX, c.CY, c.Count, want[[2]int{c.CX, c.CY}])
					}
					total += c.Count
				}
				cells := len(got)
				rows = append(rows, row{size, sc.name, sc.zoom, cells, total, fast, naive})
				fmt.Printf("%9d  %-8s z%-3d %6d cells  heat %8s ms  naive %8s ms\n", size, sc.name, sc.zoom, cells, ms(fast), ms(naive))
			}
			to := time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
			for _, per := range []struct {
				name string
				from time.Time
			}{{"30 days", to.AddDate(0, 0, -30)}, {"3 years", to.AddDate(-3, 0, 0)}} {
				d := p50(5, func() error {
					_, err := svc.UnitStats(ctx, service.Who{Role: "leader"}, service.StatsQuery{From: per.from, To: to, Now: time.Now(),
						Weights: service.DefaultScoreWeights, MinReceived: 5})
					return err
				})
				statsRows = append(statsRows, fmt.Sprintf("%9d  unit stats %-8s %8s ms", size, per.name, ms(d)))
			}
		}
		var out strings.Builder
		fmt.Fprintf(&out, "\nHeat map, LA 311 replicated (status=all, weight=count; p50 of 15 pre-aggregated runs, 3 naive runs)\n")
		for _, g := range gen {
			fmt.Fprintln(&out, "  "+g)
		}
		fmt.Fprintf(&out, "%9s  %-8s %4s %6s %10s %10s %8s %12s\n", "reports", "area", "zoom", "cells", "heat ms", "naive ms", "naive/x", "vs 10k")
		base := map[string]time.Duration{}
		for _, r := range rows {
			key := fmt.Sprintf("%s/%d", r.name, r.zoom)
			if r.size == 10_000 {
				base[key] = r.fast
			}
			fmt.Fprintf(&out, "%9d  %-8s %4d %6d %10s %10s %7.1fx %11.2fx\n", r.size, r.name, r.zoom, r.cells, ms(r.fast), ms(r.naive),
				float64(r.naive)/float64(r.fast), float64(r.fast)/float64(base[key]))
		}
		for _, s := range statsRows {
			fmt.Fprintln(&out, s)
		}
		fmt.Print(out.String())
		for _, r := range rows {
			if r.size != sizes[len(sizes)-1] {
				continue
			}
			res := bench.Time(bench.Row{Name: fmt.Sprintf("heat map, %d LA reports, %s at z%d", r.size, r.name, r.zoom),
				Compares: "pre-aggregated heat_cells vs GROUP BY over reports (inline ST_Transform, the same cell-aligned box)",
				Unit:     "ms", Figure: float64(r.fast.Microseconds()) / 1000, Baseline: float64(r.naive.Microseconds()) / 1000,
				Equal: fmt.Sprintf("%d cells, each count equal (%d reports)", r.cells, r.reports)})
			if r.name == "city" && r.zoom == 13 {
				res = res.Meets("< 100 ms", r.fast < 100*time.Millisecond)
				res.Note = fmt.Sprintf("the city box at z13 spans more than %d cells of the zoom's grid, so the service answers on grid level %d (%d m cells)",
					service.HeatCellCap, service.HeatLevel(13, boundOf(city)), 1<<service.HeatLevel(13, boundOf(city)))
			}
			bench.Record(b, res)
			if r.name == "city" && r.zoom == 9 {
				b.ReportMetric(float64(r.fast.Microseconds())/1000, "city-z9-1M-ms")
				b.ReportMetric(float64(r.naive)/float64(r.fast), "naive-ratio-1M")
			}
		}
	}
}

// naiveHeat counts the reports per cell of the query's level straight from the reports table, the way a PostGIS
// user would: the same cells as the heat map (every cell meeting the box, so the box's edges are the cells'
// edges), the Web-Mercator transform written inline (a SQL function such as heat_merc is never inlined into the
// plan), and the reports found through their GiST index by the cell-aligned box. Latitudes are clamped as
// heat_merc clamps them.
func naiveHeat(ctx context.Context, conn *pgxpool.Conn, q store.HeatQuery) (map[[2]int]int64, error) {
	b := q.BBox
	rows, err := conn.Query(ctx, `WITH r AS (SELECT floor(ST_X(lo) / $1)::int AS x0, floor(ST_Y(lo) / $1)::int AS y0,
				floor(ST_X(hi) / $1)::int AS x1, floor(ST_Y(hi) / $1)::int AS y1
			FROM ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), 4326), 3857) lo, ST_Transform(ST_SetSRID(ST_MakePoint($4, $5), 4326), 3857) hi),
		box AS (SELECT r.*, ST_Transform(ST_MakeEnvelope(x0 * $1, y0 * $1, (x1 + 1) * $1, (y1 + 1) * $1, 3857), 4326) AS e FROM r)
		SELECT c.cx, c.cy, count(*) FROM box, reports p,
			LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(p.geom), greatest(-85.0511287798, least(85.0511287798, ST_Y(p.geom)))), 4326), 3857) m,
			LATERAL (SELECT floor(ST_X(m) / $1)::int AS cx, floor(ST_Y(m) / $1)::int AS cy) c
		WHERE p.geom && box.e AND c.cx BETWEEN box.x0 AND box.x1 AND c.cy BETWEEN box.y0 AND box.y1
		GROUP BY 1, 2`, float64(int64(1)<<q.Level), b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]int]int64{}
	for rows.Next() {
		var x, y int
		var n int64
		if err := rows.Scan(&x, &y, &n); err != nil {
			return nil, err
		}
		out[[2]int{x, y}] = n
	}
	return out, rows.Err()
}

func boundOf(b [4]float64) *orb.Bound {
	return &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}
