package coverage_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/coverage"
	"everymeter/geo"
	"everymeter/store"
)

// A zone edit changes pieces beyond the zone's own bounds (the gap after a road leaves the zone): the
// unit of work must carry the road's coverage change with the road's bound, published once, after the
// commit (a subscriber reading the database then sees the new pieces).
func TestZoneEditPublishesTheChangedAssetsAfterCommit(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var told []change.Event
	var seen [][]store.CoveragePiece // the road's stored pieces as each subscriber call found them
	var road store.Asset
	f.svc.Subscribe(func(ev change.Event) {
		var ps []store.CoveragePiece
		if road.ID != 0 {
			ps = f.pieces(road.ID)
		}
		mu.Lock()
		told = append(told, ev)
		seen = append(seen, ps)
		mu.Unlock()
	})
	a := f.unit("A", "城关镇")
	ls, line := straight(116.0, 40.0, 1000)
	road = f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	z := f.zone(a, "lead", box(x(0)-0.001, x(400), 40, 0.001), nil, nil)
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 400, []int64{a}}, {400, 1000, []int64{}}})

	mu.Lock()
	told, seen = nil, nil
	mu.Unlock()
	z.Geom = box(x(0)-0.001, x(300), 40, 0.001)
	if _, err := f.svc.UpdateZone(f.ctx, store.Actor{}, z); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 {
		t.Fatalf("the zone edit published %d events, want 1: %+v", len(told), told)
	}
	ev := told[0]
	if zc := ev.Of(change.Zone); zc == nil || !slices.Equal(zc.IDs, []int64{z.ID}) {
		t.Errorf("zone change = %+v, want zone %d", zc, z.ID)
	}
	cc := ev.Of(change.Coverage)
	if cc == nil || !slices.Contains(cc.IDs, road.ID) {
		t.Fatalf("coverage change = %+v, want road %d among the ids", cc, road.ID)
	}
	rb := ls.Bound()
	if !slices.ContainsFunc(cc.Bounds, func(b change.Bound) bool { return b.Orb().Contains(rb.Min) && b.Orb().Contains(rb.Max) }) {
		t.Errorf("coverage bounds %v: none covers the road %v, whose gap piece changed beyond the zone", cc.Bounds, rb)
	}
	checkPieces(t, seen[0], []wantPiece{{0, 300, []int64{a}}, {300, 1000, []int64{}}})
}

// With at= the piece lists are computed for that time: a zone valid only from June shows as a gap
// before and as covered after, whatever is stored now.
func TestSegmentsAt(t *testing.T) {
	f := newFixture(t)
	a := f.unit("A", "城关镇")
	ls, line := straight(116.0, 40.0, 1000)
	road := f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	jun := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	f.zone(a, "lead", box(x(0)-0.001, x(600), 40, 0.001), &jun, nil)

	type feature struct {
		Geometry   struct{ Type string }
		Properties struct {
			AssetID  int64   `json:"asset_id"`
			FromM    float64 `json:"from_m"`
			ToM      float64 `json:"to_m"`
			LengthM  float64 `json:"length_m"`
			Status   string
			UnitIDs  []int64 `json:"unit_ids"`
			AssetNam string  `json:"asset_name"`
		}
	}
	list := func(at time.Time, flt coverage.SegmentFilter) []feature {
		t.Helper()
		b, err := f.eng.SegmentsAt(f.ctx, f.st, flt, at)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Type     string
			Features []feature
		}
		if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" {
			t.Fatalf("not a FeatureCollection (%v): %s", err, b)
		}
		return fc.Features
	}
	may, jul := jun.AddDate(0, -1, 0), jun.AddDate(0, 1, 0)
	if fs := list(may, coverage.SegmentFilter{Status: "gap"}); len(fs) != 1 || !near(fs[0].Properties.LengthM, 1000, 0.05) {
		t.Fatalf("May: want the whole road as one gap, got %+v", fs)
	}
	fs := list(jul, coverage.SegmentFilter{})
	if len(fs) != 2 || fs[0].Properties.Status != "covered" || !slices.Equal(fs[0].Properties.UnitIDs, []int64{a}) ||
		!near(fs[0].Properties.ToM, 600, 0.05) || fs[1].Properties.Status != "gap" || fs[1].Properties.UnitIDs == nil ||
		fs[0].Properties.AssetID != road.ID || fs[0].Geometry.Type != "LineString" {
		t.Fatalf("July: want covered 0–600 m by %d then a gap, got %+v", a, fs)
	}
	// The same pieces as the stored ones for now.
	now := time.Now()
	stored, err := f.eng.Segments(f.ctx, f.st, coverage.SegmentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	computed, err := f.eng.SegmentsAt(f.ctx, f.st, coverage.SegmentFilter{Limit: 100}, now)
	if err != nil {
		t.Fatal(err)
	}
	var s, c struct{ Features []feature }
	if json.Unmarshal(stored, &s) != nil || json.Unmarshal(computed, &c) != nil || len(s.Features) != len(c.Features) {
		t.Fatalf("stored %s\ncomputed %s", stored, computed)
	}
	for i := range s.Features {
		if s.Features[i].Properties.Status != c.Features[i].Properties.Status || !near(s.Features[i].Properties.ToM, c.Features[i].Properties.ToM, 1e-6) {
			t.Errorf("feature %d: stored %+v, computed %+v", i, s.Features[i], c.Features[i])
		}
	}
	gaps, err := f.eng.GapsAt(f.ctx, f.st, "", 0, may)
	if err != nil || len(gaps) != 1 || gaps[0].Start != ls[0] || gaps[0].End != ls[len(ls)-1] {
		t.Fatalf("gaps in May = %+v, %v; want the whole road from %v to %v", gaps, err, ls[0], ls[len(ls)-1])
	}
}

// Moving a road without changing its length or owners keeps its pieces' measures; their geometry must
// still follow the road (the gap and overlap layers draw it).
func TestMovedAssetPiecesFollowIt(t *testing.T) {
	f := newFixture(t)
	a := f.unit("A", "城关镇")
	// Coordinates exact in binary, and an exact shift along the parallel: the moved road's measures are
	// bit for bit the same.
	ls := orb.LineString{{116.0, 40.0}, {116.0078125, 40.0}, {116.015625, 40.0}}
	road := f.road("朝阳路", ls)
	f.zone(a, "lead", box(115.99, 116.03, 40, 0.01), nil, nil)
	moved := make(orb.LineString, len(ls))
	for i, p := range ls {
		moved[i] = orb.Point{p[0] + 1.0/1024, p[1]}
	}
	l0, _ := geo.NewLine(ls)
	l1, _ := geo.NewLine(moved)
	if l0.Length() != l1.Length() {
		t.Fatalf("the shift changes the length (%v, %v); the test needs it kept", l0.Length(), l1.Length())
	}
	road.Geom = moved
	if _, err := f.svc.UpdateAsset(f.ctx, store.Actor{}, road); err != nil {
		t.Fatal(err)
	}
	var got []float64
	if err := f.st.DB().QueryRow(f.ctx, `SELECT ARRAY[ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom))] FROM coverage_pieces WHERE asset_id = $1`, road.ID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !near(got[0], moved[0][0], 1e-9) || !near(got[1], moved[0][1], 1e-9) {
		t.Errorf("the piece starts at %v, the moved road at %v", got, moved[0])
	}
}
