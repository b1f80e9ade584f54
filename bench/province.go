package bench

// `everymeter bench province`: a synthetic province on one box. The shared real network (Liechtenstein's OSM
// highways) is imported once and replicated at non-overlapping offsets until there are at least a million road
// and alley segments (about a hundred "counties"); each county gets lead zones from a grid, support zones and
// assignments. Then the figures of issue 12: import time, a cold full recompute as a process (time, peak RSS)
// beside the naive SQL, zone edits, owner lookups under concurrent clients, the coverage summary, and a random
// sample of meters checked against PostGIS.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"everymeter/bench/row"
	"everymeter/coverage"
	"everymeter/domain"
	"everymeter/importer"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// ProvinceConfig sizes and steers the province benchmark.
type ProvinceConfig struct {
	OSM      string  // the county's network (.osm.pbf), replicated
	Segments int     // at least this many road and alley segments
	CellM    float64 // side of a lead zone grid cell, meters
	Units    int     // units per county, lead zones handed out in turn
	Bin      string  // the everymeter command, run for the cold full recompute
	URL      string  // the scratch database, as its owner
	Edits    int     // zone edits timed
	Lookups  int     // owner lookups timed, spread over Clients
	Clients  int
	Sample   int // meters checked against PostGIS
	// NaiveEvery runs the naive SQL on one line in this many (it takes hours on all of them) and extrapolates.
	NaiveEvery int
	Progress   io.Writer
	Log        *slog.Logger
}

// ProvinceDefaults are the sizes.
func ProvinceDefaults() ProvinceConfig {
	return ProvinceConfig{Segments: 1_000_000, CellM: 2500, Units: 12, Edits: 60, Lookups: 10000, Clients: 16, Sample: 10000, NaiveEvery: 1000}
}

// ProvinceResult holds the measured figures.
type ProvinceResult struct {
	Counties, Segments, Zones, SupportZones, Assignments int
	KM                                                   float64
	Import, Replicate                                    time.Duration
	Full                                                 time.Duration // `everymeter coverage --full`, a process, cold, writing everything
	FullRSS                                              int64         // its peak RSS, bytes
	Pieces                                               int64
	// The naive SQL, run on one line in NaiveEvery: union alone, on the sample, and extrapolated to every line.
	NaiveUnion, NaiveSample, NaiveOneUnion time.Duration
	PerAssetSample, NaivePerAsset          time.Duration
	NaiveLines                             int
	NaiveApart                             float64       // |engine − SQL| / engine covered length on the sampled lines
	Naive                                  []NaiveSample // both sample sizes, the smaller first; the fields above are the larger's
	EditP50, EditP95                       time.Duration
	OwnerP50, OwnerP99                     time.Duration
	OwnerAloneP50, OwnerAloneP99           time.Duration // one client
	OwnerDecided                           map[string]int
	OwnerIndexLoad                         time.Duration // the owner index's first load
	OwnerFromMemory, OwnerFromDB           int64         // lookups the index answered, and those it passed to the database
	Summary                                time.Duration
	SampleChecked, SampleSkipped           int
	SampleOwned                            int     // checked meters that have a lead owner (the rest are gaps)
	SampleDisagree                         float64 // share of checked meters whose owners differ from PostGIS's
	SelfRSS                                int64   // the benchmark process's own peak RSS (engine caches after edits)
}

// Province builds the province in the (empty, migrated) database st and cfg.URL point at and measures it.
func Province(ctx context.Context, st *store.Store, cfg ProvinceConfig) (ProvinceResult, error) {
	var r ProvinceResult
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%s  "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
		}
	}
	conn, err := pgx.Connect(ctx, cfg.URL)
	if err != nil {
		return r, err
	}
	defer conn.Close(context.Background())
	exec := func(sql string, args ...any) error {
		_, err := conn.Exec(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("bench province: %.60s…: %w", strings.TrimSpace(sql), err)
		}
		return nil
	}
	if err := exec(`SET statement_timeout = 0`); err != nil {
		return r, err
	}
	if err := exec(`SET maintenance_work_mem = '512MB'`); err != nil {
		return r, err
	}

	// 1. One county, through the importer as a user would; then the others, copied in SQL at offsets.
	eng := coverage.New(cfg.Log)
	svc := service.New(st, eng, cfg.Log)
	t0 := time.Now()
	if _, err := importer.OSM(ctx, svc, cfg.OSM, importer.Options{BatchSize: 2000}); err != nil {
		return r, err
	}
	var base int
	var w, s, e, n float64
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind IN ('road', 'alley')), ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)),
		ST_XMax(ST_Extent(geom)), ST_YMax(ST_Extent(geom)) FROM assets`).Scan(&base, &w, &s, &e, &n); err != nil {
		return r, err
	}
	if base == 0 {
		return r, fmt.Errorf("bench province: %s has no roads or alleys", cfg.OSM)
	}
	r.Import = time.Since(t0)
	r.Counties = (cfg.Segments + base - 1) / base
	cols := int(math.Ceil(math.Sqrt(float64(r.Counties))))
	dx, dy := e-w+0.02, n-s+0.02 // non-overlapping, with a strip of nothing between counties
	say("county: %d segments in %v; %d counties in a %d-wide grid", base, r.Import.Round(time.Millisecond), r.Counties, cols)
	t1 := time.Now()
	// The GiST index is built once afterwards: much faster than growing it a row at a time.
	if err := exec(`DROP INDEX assets_geom_idx`); err != nil {
		return r, err
	}
	if err := exec(`INSERT INTO assets (kind, name, geom, length_m, area_m, source, source_id)
		SELECT a.kind, a.name, g, CASE WHEN a.length_m > 0 THEN ST_Length(g::geography) ELSE 0 END,
			CASE WHEN a.area_m > 0 THEN ST_Area(g::geography) ELSE 0 END, 'province', c || ':' || a.id
		FROM assets a, generate_series(1, $1 - 1) c,
			LATERAL ST_Translate(a.geom, (c % $2) * $3::float8, (c / $2) * $4::float8) g
		WHERE a.source <> 'province'`, r.Counties, cols, dx, dy); err != nil {
		return r, err
	}
	if err := exec(`CREATE INDEX assets_geom_idx ON assets USING gist (geom)`); err != nil {
		return r, err
	}
	r.Replicate = time.Since(t1)
	r.Import += r.Replicate

	// 2. Per county: Units units; lead zones on a grid of CellM cells, each shrunk by 3 m a side (so there are
	// gaps between them, as between real grids), handed out to the units in turn; 2×2 support zones; and a lead
	// assignment on the first 40 m of one segment in fifty, to a unit that is usually not the zone's.
	lat := (s + n) / 2
	cx, cy := cfg.CellM/(111320*math.Cos(lat*math.Pi/180)), cfg.CellM/110540
	nx, ny := int(math.Ceil((e-w)/cx)), int(math.Ceil((n-s)/cy))
	shrinkX, shrinkY := 3/(111320*math.Cos(lat*math.Pi/180)), 3/110540.0
	if err := exec(`INSERT INTO units (code, name, kind)
		SELECT 'C' || c || 'U' || k, '第' || c || '县单位' || k, 'department' FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) k`,
		r.Counties, cfg.Units); err != nil {
		return r, err
	}
	if err := exec(`INSERT INTO zones (name, unit_id, role, kind, geom)
		SELECT c || '县' || i || '-' || j || '网格', u.id, 'lead', '网格', ST_Multi(ST_MakeEnvelope(
				x0 + i * $6::float8 + $8::float8, y0 + j * $7::float8 + $9::float8,
				x0 + (i + 1) * $6::float8 - $8::float8, y0 + (j + 1) * $7::float8 - $9::float8, 4326))
		FROM generate_series(0, $1 - 1) c,
			LATERAL (SELECT $10::float8 + (c % $2) * $11::float8 AS x0, $12::float8 + (c / $2) * $13::float8 AS y0) o,
			generate_series(0, $3 - 1) i, generate_series(0, $4 - 1) j, units u
		WHERE u.code = 'C' || c || 'U' || ((i * $4 + j) % $5)`,
		r.Counties, cols, nx, ny, cfg.Units, cx, cy, shrinkX, shrinkY, w, dx, s, dy); err != nil {
		return r, err
	}
	if err := exec(`INSERT INTO zones (name, unit_id, role, kind, geom)
		SELECT c || '县支援' || i || '-' || j, u.id, 'support', '网格', ST_Multi(ST_MakeEnvelope(
				x0 + i * $4::float8 / 2, y0 + j * $5::float8 / 2, x0 + (i + 1) * $4::float8 / 2, y0 + (j + 1) * $5::float8 / 2, 4326))
		FROM generate_series(0, $1 - 1) c,
			LATERAL (SELECT $6::float8 + (c % $2) * $7::float8 AS x0, $8::float8 + (c / $2) * $9::float8 AS y0) o,
			generate_series(0, 1) i, generate_series(0, 1) j, units u
		WHERE u.code = 'C' || c || 'U' || ((i * 2 + j + 1) % $3)`,
		r.Counties, cols, cfg.Units, e-w, n-s, w, dx, s, dy); err != nil {
		return r, err
	}
	if err := exec(`INSERT INTO assignments (asset_id, unit_id, from_m, to_m, role, person, phone)
		SELECT a.id, u.id, 0, least(40, a.length_m), 'lead', '张三', '13800000000'
		FROM assets a JOIN units u ON u.code = 'C' || CASE WHEN a.source = 'province' THEN split_part(a.source_id, ':', 1) ELSE '0' END || 'U' || (a.id % $1)
		WHERE a.kind IN ('road', 'alley') AND a.id % 50 = 0 AND a.length_m > 1`, cfg.Units); err != nil {
		return r, err
	}
	if err := exec(`ANALYZE`); err != nil {
		return r, err
	}
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM assets WHERE kind IN ('road', 'alley')),
		(SELECT sum(length_m) / 1000 FROM assets WHERE kind IN ('road', 'alley')),
		(SELECT count(*) FROM zones WHERE role = 'lead'), (SELECT count(*) FROM zones WHERE role = 'support'),
		(SELECT count(*) FROM assignments)`).Scan(&r.Segments, &r.KM, &r.Zones, &r.SupportZones, &r.Assignments); err != nil {
		return r, err
	}
	say("province: %d segments (%.0f km), %d lead zones, %d support zones, %d assignments; import %v (replication %v)",
		r.Segments, r.KM, r.Zones, r.SupportZones, r.Assignments, r.Import.Round(time.Millisecond), r.Replicate.Round(time.Millisecond))

	// 3. The cold full recompute, writing everything, as a fresh process on empty coverage tables.
	if err := exec(`TRUNCATE coverage_pieces, coverage_support`); err != nil {
		return r, err
	}
	say("full recompute (everymeter coverage --full)…")
	cmd := osexec(ctx, cfg.Bin, "coverage", "--full", "--quiet")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+cfg.URL)
	t2 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return r, fmt.Errorf("bench province: coverage --full: %w\n%s", err, out)
	}
	r.Full = time.Since(t2)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.FullRSS = ru.Maxrss * 1024
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM coverage_pieces`).Scan(&r.Pieces); err != nil {
		return r, err
	}
	say("full recompute %v, peak RSS %d MiB, %d pieces", r.Full.Round(time.Millisecond), r.FullRSS>>20, r.Pieces)

	// 4. The naive SQL on the same data: the union once, then on one line in NaiveEvery, extrapolated.
	if err := naiveProvince(ctx, conn, cfg, &r, say); err != nil {
		return r, err
	}

	// 5. The coverage summary, as GET /api/v1/coverage answers it.
	var t time.Time
	var sums []time.Duration
	for range 3 {
		t = time.Now()
		if _, err := eng.Summary(ctx, st, nil); err != nil {
			return r, err
		}
		sums = append(sums, time.Since(t))
	}
	r.Summary = quantile(sums, 0.5)
	say("coverage summary %v", r.Summary.Round(time.Millisecond))

	// The pool readied as serve readies it before listening (PostGIS loaded in each backend): otherwise the
	// first edits and lookups on each new connection pay the library's start-up, a hundred milliseconds.
	if err := st.Warm(ctx, 16); err != nil {
		return r, err
	}

	// 6. The owner index, as serve runs it: loaded once from the database, then kept current by the commits
	// (the edits below mark what they change stale; the index re-reads it in the background).
	t = time.Now()
	ictx, stopIndex := context.WithCancel(ctx)
	defer stopIndex()
	eng.IndexOwners(ictx, st)
	svc.Subscribe(eng.Changed)
	if err := eng.OwnersIndexed(ctx); err != nil {
		return r, err
	}
	r.OwnerIndexLoad = time.Since(t)
	say("owner index loaded in %v", r.OwnerIndexLoad.Round(time.Millisecond))

	// 7. Zone edits through the service: a random lead zone moved 20 m east and back.
	rng := rand.New(rand.NewPCG(12, 1))
	var edits []time.Duration
	var minZone, maxZone int64
	if err := conn.QueryRow(ctx, `SELECT min(id), max(id) FROM zones WHERE role = 'lead'`).Scan(&minZone, &maxZone); err != nil {
		return r, err
	}
	for i := 0; i < cfg.Edits; i++ {
		z, err := st.Zone(ctx, minZone+rng.Int64N(maxZone-minZone+1))
		if err != nil {
			return r, err
		}
		for _, d := range []float64{20, -20} {
			z.Geom = shiftEast(z.Geom, d/(111320*math.Cos(lat*math.Pi/180)))
			t := time.Now()
			if z, err = svc.UpdateZone(ctx, store.Actor{Name: "bench"}, z); err != nil {
				return r, err
			}
			edits = append(edits, time.Since(t))
		}
	}
	r.EditP50, r.EditP95 = quantile(edits, 0.5), quantile(edits, 0.95)
	say("zone edit p50 %v p95 %v (%d edits)", r.EditP50, r.EditP95, len(edits))

	// 8. Owner lookups through the service (as GET /api/v1/owner asks) from Clients goroutines at once, at points a few meters off random segments.
	pts, err := nearSegments(ctx, conn, cfg.Lookups)
	if err != nil {
		return r, err
	}
	admin := domain.Principal{Name: "bench", Role: string(vocab.Admin)}
	mem0, db0 := eng.OwnerIndexStats()
	lat99 := make([]time.Duration, len(pts))
	r.OwnerDecided = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := 0
	var ownerErr error
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(pts) {
					return
				}
				t := time.Now()
				res, err := svc.Owner(ctx, admin, pts[i], nil)
				lat99[i] = time.Since(t)
				mu.Lock()
				if err != nil && err != coverage.ErrNoOwner && ownerErr == nil {
					ownerErr = err
				}
				r.OwnerDecided[res.DecidedBy]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ownerErr != nil {
		return r, ownerErr
	}
	r.OwnerP50, r.OwnerP99 = quantile(lat99, 0.5), quantile(lat99, 0.99)
	// The same lookups one at a time: what a lookup costs without queueing behind the other clients.
	var alone []time.Duration
	for _, p := range pts[:min(1000, len(pts))] {
		t := time.Now()
		if _, err := svc.Owner(ctx, admin, p, nil); err != nil && err != coverage.ErrNoOwner {
			return r, err
		}
		alone = append(alone, time.Since(t))
	}
	r.OwnerAloneP50, r.OwnerAloneP99 = quantile(alone, 0.5), quantile(alone, 0.99)
	mem1, db1 := eng.OwnerIndexStats()
	r.OwnerFromMemory, r.OwnerFromDB = mem1-mem0, db1-db0
	say("owner lookup p50 %v p99 %v (%d lookups, %d clients) %v; one client p50 %v p99 %v; %d answered from memory, %d by the database", r.OwnerP50, r.OwnerP99, len(pts), cfg.Clients, r.OwnerDecided,
		r.OwnerAloneP50, r.OwnerAloneP99, r.OwnerFromMemory, r.OwnerFromDB)

	// 9. Random meters: the engine's stored owners against PostGIS's own answer.
	if err := checkSample(ctx, conn, cfg.Sample, &r); err != nil {
		return r, err
	}
	say("sample: %d meters checked (%d with a lead owner), %d skipped next to a boundary, %.4f%% disagree", r.SampleChecked, r.SampleOwned, r.SampleSkipped, 100*r.SampleDisagree)
	r.SelfRSS = selfPeakRSS()
	return r, nil
}

// osexec is exec.CommandContext (the package name exec is taken by a closure above).
func osexec(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// leadNow are the lead zones in force now, as the engine counts them.
const leadNow = `role = 'lead' AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now())`

// naiveProvince times the naive SQL of the coverage benchmark: one ST_Union of the lead zones intersected with
// every line, and per asset the union of the zones it meets. Running them on every line takes hours, so they run
// on the lines whose id is 7 modulo NaiveEvery×2 and then modulo NaiveEvery (the first set is half of the
// second), and what is measured is scaled: the one-union time as the union (made once and kept) plus each
// sample's intersections with it times lines/sampled lines, the per-asset time as itself times lines/sampled lines. Two sample sizes show
// whether the cost per line holds (the scaling assumes it does). The covered length on the larger sample is
// compared with the engine's pieces (zones only: the SQL ignores assignments, so assets with one are left out).
func naiveProvince(ctx context.Context, conn *pgx.Conn, cfg ProvinceConfig, r *ProvinceResult, say func(string, ...any)) error {
	t := time.Now()
	var pts int
	// The union once, kept: each sample then intersects its lines with it, so what a sample measures is the
	// per-line work alone (no separately timed union to subtract, which at small sizes is noise).
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE naive_union AS SELECT ST_Union(geom) AS g FROM zones WHERE `+leadNow); err != nil {
		return err
	}
	r.NaiveUnion = time.Since(t)
	defer conn.Exec(context.Background(), `DROP TABLE IF EXISTS naive_union`) //nolint:errcheck // a temporary table
	if err := conn.QueryRow(ctx, `SELECT ST_NPoints(g) FROM naive_union`).Scan(&pts); err != nil {
		return err
	}
	say("naive SQL: union of %d lead zones (%d points) %v", r.Zones, pts, r.NaiveUnion.Round(time.Millisecond))
	for _, every := range []int{2 * cfg.NaiveEvery, cfg.NaiveEvery} {
		n := NaiveSample{Every: every}
		if err := naiveSample(ctx, conn, &n, r); err != nil {
			return err
		}
		r.Naive = append(r.Naive, n)
		say("naive SQL on %d lines (id ≡ 7 mod %d, 1 in %.0f): one-union %v → all lines ≈ %v (%.2f ms a line); per-asset %v → ≈ %v (%.2f ms a line)",
			n.Lines, every, n.Scale, n.OneUnion.Round(time.Millisecond), n.OneUnionAll.Round(time.Second), n.OneUnionPerLine(),
			n.PerAsset.Round(time.Millisecond), n.PerAssetAll.Round(time.Second), msOf(n.PerAsset)/float64(max(1, n.Lines)))
	}
	last := r.Naive[len(r.Naive)-1]
	r.NaiveLines, r.NaiveSample, r.NaiveOneUnion = last.Lines, last.OneUnion, last.OneUnionAll
	r.PerAssetSample, r.NaivePerAsset, r.NaiveApart = last.PerAsset, last.PerAssetAll, last.Apart
	return nil
}

// NaiveSample is the naive SQL measured on one sample of the lines and scaled to all of them.
type NaiveSample struct {
	Every, Lines          int     // lines with id ≡ 7 mod Every (residue 7: the assignments go to multiples of 50)
	Scale                 float64 // all lines / Lines
	OneUnion, OneUnionAll time.Duration
	PerAsset, PerAssetAll time.Duration
	Apart                 float64 // |engine − SQL| / engine covered length on these lines
}

// OneUnionPerLine is the one-union SQL's time per sampled line (the union made beforehand), in milliseconds.
func (n NaiveSample) OneUnionPerLine() float64 {
	return msOf(n.OneUnion) / float64(max(1, n.Lines))
}

// msOf is d in milliseconds.
func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func naiveSample(ctx context.Context, conn *pgx.Conn, n *NaiveSample, r *ProvinceResult) error {
	sample := `a.kind IN ('road', 'alley') AND a.id % ` + fmt.Sprint(n.Every) + ` = 7`
	var total int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE `+sample+`), count(*) FROM assets a WHERE a.kind IN ('road', 'alley')`).Scan(&n.Lines, &total); err != nil {
		return err
	}
	n.Scale = float64(total) / float64(max(1, n.Lines))
	t := time.Now()
	if _, err := conn.Exec(ctx, `CREATE TABLE naive_coverage AS SELECT a.id, ST_Length(ST_Intersection(a.geom, u.g)::geography) AS m
		FROM assets a, naive_union u WHERE `+sample); err != nil {
		return err
	}
	n.OneUnion = time.Since(t)
	n.OneUnionAll = r.NaiveUnion + time.Duration(float64(n.OneUnion)*n.Scale)
	var sqlM, engM float64
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(n.m), 0), coalesce(sum(p.m), 0) FROM naive_coverage n
		LEFT JOIN (SELECT asset_id, sum(to_m - from_m) AS m FROM coverage_pieces WHERE status <> 'gap' GROUP BY asset_id) p ON p.asset_id = n.id
		WHERE NOT EXISTS (SELECT 1 FROM assignments s WHERE s.asset_id = n.id)`).Scan(&sqlM, &engM); err != nil {
		return err
	}
	if engM > 0 {
		n.Apart = math.Abs(engM-sqlM) / engM
	}
	if _, err := conn.Exec(ctx, `DROP TABLE naive_coverage`); err != nil {
		return err
	}
	t = time.Now()
	if _, err := conn.Exec(ctx, `CREATE TABLE naive_coverage AS SELECT a.id, COALESCE(c.m, 0) AS m FROM assets a LEFT JOIN (
			SELECT a.id, ST_Length(ST_Intersection(a.geom, ST_Union(z.geom))::geography) AS m
			FROM assets a JOIN zones z ON z.`+leadNow+` AND ST_Intersects(a.geom, z.geom)
			WHERE `+sample+` GROUP BY a.id, a.geom) c ON c.id = a.id WHERE `+sample); err != nil {
		return err
	}
	n.PerAsset = time.Since(t)
	n.PerAssetAll = time.Duration(float64(n.PerAsset) * n.Scale)
	_, err := conn.Exec(ctx, `DROP TABLE naive_coverage`)
	return err
}

// nearSegments returns n points about 5 m north of the middle of random road and alley segments.
func nearSegments(ctx context.Context, conn *pgx.Conn, n int) ([]orb.Point, error) {
	rows, err := conn.Query(ctx, `SELECT ST_X(p), ST_Y(p) + 5 / 110540.0 FROM (
		SELECT ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5) AS p FROM assets
		WHERE kind IN ('road', 'alley') ORDER BY random() LIMIT $1) s`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (orb.Point, error) {
		var p orb.Point
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
}

// checkSample picks n random meters of random segments and compares the lead units the engine stored for
// each with PostGIS's: the lead zones covering the point and the lead assignments over the measure. Points
// within a meter of a zone boundary or an assignment's end are skipped (the engine's 0.5 m tolerance and
// sliver rule decide those by design, not by error).
func checkSample(ctx context.Context, conn *pgx.Conn, n int, r *ProvinceResult) error {
	rows, err := conn.Query(ctx, `WITH s AS (
			SELECT a.id, a.geom, random() AS f FROM assets a WHERE a.kind IN ('road', 'alley') AND ST_GeometryType(a.geom) = 'ST_LineString'
			ORDER BY random() LIMIT $1),
		m AS (SELECT id, geom, ST_Length(ST_LineSubstring(geom, 0, f)::geography) AS m, ST_LineInterpolatePoint(geom, f) AS p FROM s)
		SELECT m.id,
			coalesce((SELECT p.unit_ids FROM coverage_pieces p WHERE p.asset_id = m.id AND p.from_m <= m.m AND m.m < p.to_m LIMIT 1), '{}'),
			ARRAY(SELECT DISTINCT u FROM (
				SELECT z.unit_id AS u FROM zones z WHERE z.`+leadNow+` AND ST_Covers(z.geom, m.p)
				UNION ALL SELECT g.unit_id FROM assignments g WHERE g.asset_id = m.id AND g.role = 'lead' AND g.from_m <= m.m AND m.m < g.to_m) o ORDER BY u),
			EXISTS (SELECT 1 FROM zones z WHERE z.geom && ST_Expand(m.p, 0.0001)
				AND ST_DWithin(ST_Boundary(z.geom)::geography, m.p::geography, 1.0))
				OR EXISTS (SELECT 1 FROM assignments g WHERE g.asset_id = m.id AND (abs(g.from_m - m.m) < 1 OR abs(g.to_m - m.m) < 1))
		FROM m`, n)
	if err != nil {
		return err
	}
	defer rows.Close()
	disagree := 0
	for rows.Next() {
		var id int64
		var eng, pg []int64
		var near bool
		if err := rows.Scan(&id, &eng, &pg, &near); err != nil {
			return err
		}
		if near {
			r.SampleSkipped++
			continue
		}
		r.SampleChecked++
		if len(pg) > 0 {
			r.SampleOwned++
		}
		slices.Sort(eng)
		if !slices.Equal(eng, pg) {
			disagree++
		}
	}
	if r.SampleChecked > 0 {
		r.SampleDisagree = float64(disagree) / float64(r.SampleChecked)
	}
	return rows.Err()
}

// shiftEast moves a polygonal geometry east by d degrees.
func shiftEast(g orb.Geometry, d float64) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[0] + d, p[1]} })
}

// selfPeakRSS is this process's peak resident set (VmHWM), bytes.
func selfPeakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "VmHWM:"), "kB")), &kb)
			return kb * 1024
		}
	}
	return 0
}

// Print writes the figures as a table.
func (r ProvinceResult) Print(w io.Writer) {
	msf := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", msOf(d)) }
	fmt.Fprintf(w, "Province: %d counties, %d road and alley segments (%.0f km), %d lead zones, %d support zones, %d assignments; load %s\n",
		r.Counties, r.Segments, r.KM, r.Zones, r.SupportZones, r.Assignments, row.Load())
	rows := [][2]string{
		{"import (one county through the importer, the rest copied in SQL)", fmt.Sprintf("%v (copy %v)", r.Import.Round(time.Millisecond), r.Replicate.Round(time.Millisecond))},
		{"full recompute, `everymeter coverage --full` process, cold, writing", fmt.Sprintf("%v, %d pieces", r.Full.Round(time.Millisecond), r.Pieces)},
		{"  peak RSS of that process", fmt.Sprintf("%d MiB", r.FullRSS>>20)},
		{"naive one-union SQL: the union alone (measured)", r.NaiveUnion.Round(time.Millisecond).String()},
	}
	for _, n := range r.Naive {
		rows = append(rows,
			[2]string{fmt.Sprintf("  measured on %d lines (id ≡ 7 mod %d); per line", n.Lines, n.Every),
				fmt.Sprintf("%v; %.2f ms", n.OneUnion.Round(time.Millisecond), n.OneUnionPerLine())},
			[2]string{fmt.Sprintf("    scaled ×%.0f to every line: union + sample × %.0f", n.Scale, n.Scale), n.OneUnionAll.Round(time.Second).String()})
	}
	rows = append(rows, [][2]string{
		{"  speed-up of the engine (larger sample's scaling)", fmt.Sprintf("%.1f×", float64(r.NaiveOneUnion)/float64(r.Full))},
		{"  covered length on the larger sample, engine vs SQL apart", fmt.Sprintf("%.4f%%", 100*r.NaiveApart)},
	}...)
	for _, n := range r.Naive {
		rows = append(rows, [2]string{fmt.Sprintf("naive per-asset SQL, measured on %d lines → scaled ×%.0f", n.Lines, n.Scale),
			fmt.Sprintf("%v → %v (%.1f×)", n.PerAsset.Round(time.Millisecond), n.PerAssetAll.Round(time.Second), float64(n.PerAssetAll)/float64(r.Full))})
	}
	rows = append(rows, [][2]string{
		{"zone edit p50 / p95", msf(r.EditP50) + " / " + msf(r.EditP95)},
		{"owner lookup p50 / p99, 16 clients", msf(r.OwnerP50) + " / " + msf(r.OwnerP99) + fmt.Sprintf(" %v", r.OwnerDecided)},
		{"owner lookup p50 / p99, one client", msf(r.OwnerAloneP50) + " / " + msf(r.OwnerAloneP99)},
		{"  owner index: first load; lookups from memory / by the database", fmt.Sprintf("%v; %d / %d", r.OwnerIndexLoad.Round(time.Millisecond), r.OwnerFromMemory, r.OwnerFromDB)},
		{"coverage summary", msf(r.Summary)},
		{"sample vs PostGIS", fmt.Sprintf("%d meters checked (%d owned), %d skipped at boundaries, %.4f%% disagree", r.SampleChecked, r.SampleOwned, r.SampleSkipped, 100*r.SampleDisagree)},
		{"benchmark process peak RSS (engine caches after the edits)", fmt.Sprintf("%d MiB", r.SelfRSS>>20)},
	}...)
	for _, l := range rows {
		fmt.Fprintf(w, "  %-70s %s\n", l[0], l[1])
	}
}
