package bench_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"everymeter/bench"
	"everymeter/bench/row"
	"everymeter/internal/shared"
	"everymeter/internal/testdb"
)

// BenchmarkProvince builds the synthetic province of issue 12 (the shared Liechtenstein network replicated until
// there are 1,000,000 road and alley segments, grid lead zones per county, support zones, assignments) and records
// its figures beside the naive SQL on the same data. EVERYMETER_PROVINCE_SEGMENTS changes the size.
func BenchmarkProvince(b *testing.B) {
	osm := shared.Path(b, "osm/liechtenstein-2015-07-27.osm.pbf")
	if osm == "" {
		return
	}
	cfg := bench.ProvinceDefaults()
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_PROVINCE_SEGMENTS")); err == nil && v > 0 {
		cfg.Segments = v
	}
	st, url := testdb.New(b)
	cfg.OSM, cfg.URL, cfg.Progress = osm, url, os.Stderr
	if cfg.Bin = os.Getenv("EVERYMETER_BIN"); cfg.Bin == "" {
		cfg.Bin = filepath.Join(b.TempDir(), "everymeter")
		if out, err := exec.Command("go", "build", "-o", cfg.Bin, "everymeter/cmd/everymeter").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	for b.Loop() {
		r, err := bench.Province(b.Context(), st, cfg)
		if err != nil {
			b.Fatal(err)
		}
		r.Print(os.Stdout)
		recordProvince(b, r)
	}
}

// recordProvince appends the province's rows to the closing table of `make bench`.
func recordProvince(b *testing.B, r bench.ProvinceResult) {
	ms := func(d interface{ Microseconds() int64 }) float64 { return float64(d.Microseconds()) / 1000 }
	size := fmt.Sprintf("%d segments, %d counties, %d lead zones", r.Segments, r.Counties, r.Zones)
	equal := fmt.Sprintf("covered length on the %d sampled lines %.4f%% apart", r.NaiveLines, 100*r.NaiveApart)
	ratio := float64(r.NaiveOneUnion) / float64(r.Full)
	row.Record(b, row.Time(row.Row{Name: "province full recompute, " + size,
		Compares: fmt.Sprintf("`everymeter coverage --full` process, cold, writing vs one ST_Union of lead zones ∩ every line (union %.0f ms measured alone; the rest measured on %s and scaled)", ms(r.NaiveUnion), naiveSamples(r)),
		Unit:     "s", Figure: r.Full.Seconds(), Baseline: r.NaiveOneUnion.Seconds(), Equal: equal,
		Note: fmt.Sprintf("import %v (copy %v); %d pieces written", r.Import, r.Replicate, r.Pieces)}).Meets("≥ 10×", ratio >= 10))
	row.Record(b, row.Time(row.Row{Name: "province full recompute vs per-asset SQL",
		Compares: "the same process vs per asset the ST_Union of the zones it meets (sampled and scaled the same way)",
		Unit:     "s", Figure: r.Full.Seconds(), Baseline: r.NaivePerAsset.Seconds(), Equal: equal}))
	row.Record(b, row.Row{Name: "province zone edit p95", Compares: fmt.Sprintf("UpdateZone through the service (write, audit, refresh, commit); p50 %.1f ms", ms(r.EditP50)),
		Unit: "ms", Figure: ms(r.EditP95), Equal: "n/a"}.Meets("p95 < 50 ms", ms(r.EditP95) < 50))
	row.Record(b, row.Row{Name: "province owner lookup p99, 16 clients", Compares: fmt.Sprintf("Service.Owner with the owner index, 10,000 points near random segments (%d from memory, %d by the database); p50 %.2f ms; one client alone p50 %.2f p99 %.2f ms", r.OwnerFromMemory, r.OwnerFromDB, ms(r.OwnerP50), ms(r.OwnerAloneP50), ms(r.OwnerAloneP99)),
		Unit: "ms", Figure: ms(r.OwnerP99), Equal: fmt.Sprint(r.OwnerDecided)}.Meets("p99 < 5 ms", ms(r.OwnerP99) < 5))
	row.Record(b, row.Row{Name: "province full recompute peak RSS", Compares: "the `coverage --full` process's maximum resident set",
		Unit: "MiB", Figure: float64(r.FullRSS >> 20), Equal: "n/a"}.Meets("< 4096 MiB", r.FullRSS < 4<<30))
	row.Record(b, row.Row{Name: "province sample vs PostGIS", Compares: fmt.Sprintf("lead owners of %d random meters (%d owned): stored pieces vs zones covering the point and assignments over it, in PostGIS (%d next to a boundary skipped)", r.SampleChecked, r.SampleOwned, r.SampleSkipped),
		Unit: "% disagree", Figure: 100 * r.SampleDisagree, Equal: "n/a"}.Meets("≤ 0.1%", r.SampleDisagree <= 0.001))
	row.Record(b, row.Row{Name: "province coverage summary", Compares: "GET /api/v1/coverage's computation (engine Summary), median of 3",
		Unit: "ms", Figure: ms(r.Summary), Equal: "n/a"})
}

// naiveSamples names the naive SQL's samples and what each scaled to, so that linearity shows in the row.
func naiveSamples(r bench.ProvinceResult) string {
	var parts []string
	for _, n := range r.Naive {
		parts = append(parts, fmt.Sprintf("%d lines (1 in %d) → %v", n.Lines, n.Every, n.OneUnionAll.Round(time.Second)))
	}
	return strings.Join(parts, ", ")
}
