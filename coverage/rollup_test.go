package coverage_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"everymeter/store"
)

// TestSummaryRollup: the summary's sums come from the roll-up the triggers of migration 00020 keep; after random
// edits of every kind (zones created, moved and deleted, support zones, assignments, an asset's kind changed and
// an asset deleted, a full recompute that truncates and rewrites, compactions between) they equal the full
// computation over assets, pieces and support, written here as the SQL the summary ran before the roll-up.
func TestSummaryRollup(t *testing.T) {
	f := newFixture(t)
	var units []int64
	for i := range 4 {
		units = append(units, f.unit(fmt.Sprintf("R%d", i), fmt.Sprintf("单位%d", i)))
	}
	var roads []store.Asset
	for i := range 6 {
		ls, _ := straight(116.0, 40.0+float64(i)*0.0005, 600+float64(i)*50)
		roads = append(roads, f.road(fmt.Sprintf("路%d", i), ls))
	}
	rng := rand.New(rand.NewPCG(20, 1))
	randomBox := func() (float64, float64) {
		x0 := 116.0 + rng.Float64()*0.006
		return x0, x0 + 0.001 + rng.Float64()*0.003
	}
	check := func(when string) {
		t.Helper()
		compareRollup(t, f, when)
	}
	var zones []store.Zone
	for i := range 8 {
		x0, x1 := randomBox()
		role := "lead"
		if i%4 == 3 {
			role = "support"
		}
		zones = append(zones, f.zone(units[i%len(units)], role, box(x0, x1, 40.0012, 0.0016), nil, nil))
	}
	check("zones created")
	for i := range 3 {
		if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: roads[i].ID, UnitID: units[(i+2)%4],
			FromM: 50, ToM: 250, Role: "lead"}); err != nil {
			t.Fatal(err)
		}
	}
	check("assignments")
	for i := range 5 {
		z := zones[rng.IntN(len(zones))]
		x0, x1 := randomBox()
		z.Geom = box(x0, x1, 40.0012, 0.0016)
		var err error
		if zones[i], err = f.svc.UpdateZone(f.ctx, store.Actor{}, z); err != nil {
			t.Fatal(err)
		}
	}
	check("zones moved")
	if err := f.svc.DeleteZone(f.ctx, store.Actor{}, zones[7].ID); err != nil {
		t.Fatal(err)
	}
	check("a zone deleted")
	if _, err := f.st.CompactCoverageRollup(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	check("compacted")
	a := roads[4]
	a.Kind = "alley"
	if _, err := f.svc.UpdateAsset(f.ctx, store.Actor{}, a); err != nil {
		t.Fatal(err)
	}
	check("a road became an alley")
	if err := f.svc.DeleteAsset(f.ctx, store.Actor{}, roads[5].ID); err != nil {
		t.Fatal(err)
	}
	check("an asset deleted")
	if _, err := f.eng.Full(f.ctx, f.st, nil); err != nil {
		t.Fatal(err)
	}
	check("full recompute")
	if _, err := f.st.DB().Exec(f.ctx, `TRUNCATE coverage_pieces, coverage_support`); err != nil {
		t.Fatal(err)
	}
	check("truncated")
	if _, err := f.eng.Full(f.ctx, f.st, nil); err != nil {
		t.Fatal(err)
	}
	check("recomputed after the truncate")
	s, err := f.eng.Summary(f.ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalM == 0 || s.CoveredM == 0 {
		t.Fatalf("summary %+v: nothing covered, the test shows nothing", s)
	}
}

// compareRollup checks CoverageByKind and CoverageByUnit against the sums over the tables themselves.
func compareRollup(t *testing.T, f *fixture, when string) {
	t.Helper()
	kinds := []string{"road", "alley"}
	got, err := f.st.CoverageByKind(f.ctx, kinds)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range kinds {
		var total, covered, overlap float64
		if err := f.st.DB().QueryRow(f.ctx, `SELECT COALESCE(sum(a.length_m), 0),
				COALESCE(sum((SELECT sum(p.to_m - p.from_m) FROM coverage_pieces p WHERE p.asset_id = a.id AND p.status <> 'gap')), 0),
				COALESCE(sum((SELECT sum(p.to_m - p.from_m) FROM coverage_pieces p WHERE p.asset_id = a.id AND p.status = 'overlap')), 0)
			FROM assets a WHERE a.kind = $1`, k).Scan(&total, &covered, &overlap); err != nil {
			t.Fatal(err)
		}
		g := got[i]
		if g.Kind != k || !close6(g.TotalM, total) || !close6(g.CoveredM, covered) || !close6(g.OverlapM, overlap) {
			t.Fatalf("%s: %s from the roll-up total %.6f covered %.6f overlap %.6f; from the tables %.6f %.6f %.6f",
				when, k, g.TotalM, g.CoveredM, g.OverlapM, total, covered, overlap)
		}
	}
	units, err := f.st.CoverageByUnit(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		var lead, overlap, support float64
		if err := f.st.DB().QueryRow(f.ctx, `SELECT
				COALESCE((SELECT sum(to_m - from_m) FROM coverage_pieces WHERE $1 = ANY(unit_ids)), 0),
				COALESCE((SELECT sum(to_m - from_m) FROM coverage_pieces WHERE $1 = ANY(unit_ids) AND status = 'overlap'), 0),
				COALESCE((SELECT sum(to_m - from_m) FROM coverage_support WHERE unit_id = $1), 0)`, u.UnitID).Scan(&lead, &overlap, &support); err != nil {
			t.Fatal(err)
		}
		if !close6(u.LeadM, lead) || !close6(u.OverlapM, overlap) || !close6(u.SupportM, support) {
			t.Fatalf("%s: unit %s from the roll-up lead %.6f overlap %.6f support %.6f; from the tables %.6f %.6f %.6f",
				when, u.Code, u.LeadM, u.OverlapM, u.SupportM, lead, overlap, support)
		}
	}
}

// close6 compares meters to the micrometre (the roll-up's rounding).
func close6(a, b float64) bool { return math.Abs(a-b) <= 2e-6 }

// TestFullRecomputeRefreshesStatistics: a full recompute that rewrites the tables (here after a TRUNCATE, as on a
// first run) leaves the planner knowing how many pieces there now are, through the server's own role — not the
// empty tables' statistics that made every later edit's plan wrong until autovacuum came by.
func TestFullRecomputeRefreshesStatistics(t *testing.T) {
	f := newFixture(t)
	u := f.unit("S1", "统计")
	for i := range 5 {
		ls, _ := straight(116.0, 40.0+float64(i)*0.0005, 400)
		f.road(fmt.Sprintf("统计路%d", i), ls)
	}
	f.zone(u, "lead", box(116.001, 116.003, 40.0, 0.003), nil, nil)
	if _, err := f.st.DB().Exec(f.ctx, `TRUNCATE coverage_pieces, coverage_support`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Full(f.ctx, f.st, nil); err != nil {
		t.Fatal(err)
	}
	var rows int64
	var estimate float64
	if err := f.st.DB().QueryRow(f.ctx, `SELECT (SELECT count(*) FROM coverage_pieces),
		(SELECT reltuples FROM pg_class WHERE oid = 'coverage_pieces'::regclass)`).Scan(&rows, &estimate); err != nil {
		t.Fatal(err)
	}
	if rows < 5 || estimate != float64(rows) {
		t.Fatalf("after the full recompute coverage_pieces holds %d rows but the planner's estimate is %v", rows, estimate)
	}
}
