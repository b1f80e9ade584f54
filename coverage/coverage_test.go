package coverage_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/geo"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// fixture is a fresh database with the engine wired into the service.
type fixture struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	svc *service.Service
	eng *coverage.Engine
	url string // the database as its owner, for scratch tables the server's role may not create
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, url := testdb.New(t)
	eng := coverage.New(nil)
	return &fixture{t: t, ctx: t.Context(), st: st, svc: service.New(st, eng, nil), eng: eng, url: url}
}

func (f *fixture) unit(code, name string) int64 {
	f.t.Helper()
	u, err := f.svc.CreateUnit(f.ctx, store.Actor{}, store.Unit{Code: code, Name: name, Kind: "department", ContactPerson: "联系人" + code, Phone: "138" + code})
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

func (f *fixture) road(name string, g orb.Geometry) store.Asset {
	f.t.Helper()
	as, err := f.svc.CreateAssets(f.ctx, store.Actor{}, []store.Asset{{Kind: "road", Name: name, Geom: g}}, false)
	if err != nil {
		f.t.Fatal(err)
	}
	return as[0]
}

func (f *fixture) zone(unit int64, role string, g orb.Geometry, from, to *time.Time) store.Zone {
	f.t.Helper()
	z, err := f.svc.CreateZone(f.ctx, store.Actor{}, store.Zone{Name: "z", UnitID: unit, Role: role, Kind: "网格", Geom: g, ValidFrom: from, ValidTo: to})
	if err != nil {
		f.t.Fatal(err)
	}
	return z
}

func (f *fixture) pieces(id int64) []store.CoveragePiece {
	f.t.Helper()
	ps, err := f.st.CoveragePiecesOf(f.ctx, []int64{id})
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

// straight returns a west–east road of the given length starting at (lon, lat), and its prepared line.
func straight(lon, lat, length float64) (orb.LineString, *geo.Line) {
	end := orb.Point{lon + 0.01, lat}
	scale := 0.01 * length / geo.Distance(orb.Point{lon, lat}, end)
	ls := orb.LineString{{lon, lat}, {lon + scale/2, lat}, {lon + scale, lat}}
	l, _ := geo.NewLine(ls)
	return ls, l
}

// box is a rectangle spanning lon [x0, x1] and lat ± h degrees around lat.
func box(x0, x1, lat, h float64) orb.Polygon {
	return orb.Polygon{{{x0, lat - h}, {x1, lat - h}, {x1, lat + h}, {x0, lat + h}, {x0, lat - h}}}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

type wantPiece struct {
	from, to float64
	units    []int64
}

func checkPieces(t *testing.T, got []store.CoveragePiece, want []wantPiece) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pieces %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if !near(g.FromM, w.from, 0.05) || !near(g.ToM, w.to, 0.05) || !slices.Equal(g.UnitIDs, w.units) {
			t.Errorf("piece %d = [%.2f, %.2f] %v, want [%.0f, %.0f] %v", i, g.FromM, g.ToM, g.UnitIDs, w.from, w.to, w.units)
		}
		if g.Status != coverage.Status(w.units) {
			t.Errorf("piece %d status %s, want %s", i, g.Status, coverage.Status(w.units))
		}
	}
}

// The hand-made case of the issue: a 1000 m road, lead zones over 0–400 m and 300–700 m.
func TestHandMadeRoad(t *testing.T) {
	f := newFixture(t)
	a, b := f.unit("A", "城关镇"), f.unit("B", "综合执法局")
	ls, line := straight(116.0, 40.0, 1000)
	road := f.road("朝阳路", ls)
	if !near(road.LengthM, 1000, 0.01) {
		t.Fatalf("road is %.3f m long by PostGIS, want 1000", road.LengthM)
	}
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	f.zone(a, "lead", box(x(0)-0.001, x(400), 40, 0.001), nil, nil)
	f.zone(b, "lead", box(x(300), x(700), 40, 0.001), nil, nil)

	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 300, []int64{a}}, {300, 400, []int64{a, b}}, {400, 700, []int64{b}}, {700, 1000, []int64{}}})
	s, err := f.eng.Summary(f.ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(s.TotalM, 1000, 0.1) || !near(s.CoveredM, 700, 0.1) || !near(s.GapM, 300, 0.1) || !near(s.OverlapM, 100, 0.1) || !near(s.Percent, 70, 0.01) {
		t.Fatalf("summary %+v, want 1000 total, 700 covered, 300 gap, 100 overlap, 70%%", s)
	}
	for _, u := range s.ByUnit {
		want := map[int64][2]float64{a: {400, 100}, b: {400, 100}}[u.UnitID]
		if !near(u.LeadM, want[0], 0.1) || !near(u.OverlapM, want[1], 0.1) {
			t.Errorf("unit %s: lead %.2f overlap %.2f, want %v", u.Code, u.LeadM, u.OverlapM, want)
		}
	}
	// The same figures computed on the fly for now must equal the stored ones.
	now := time.Now()
	s2, err := f.eng.Summary(f.ctx, f.st, &now)
	if err != nil {
		t.Fatal(err)
	}
	if !near(s2.CoveredM, s.CoveredM, 1e-6) || !near(s2.GapM, s.GapM, 1e-6) || !near(s2.OverlapM, s.OverlapM, 1e-6) {
		t.Fatalf("on-the-fly summary %+v differs from stored %+v", s2, s)
	}

	// A full recompute gives the same pieces.
	if _, err := f.eng.Full(f.ctx, f.st, nil); err != nil {
		t.Fatal(err)
	}
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 300, []int64{a}}, {300, 400, []int64{a, b}}, {400, 700, []int64{b}}, {700, 1000, []int64{}}})
}

// A road running along a zone's boundary (within the tolerance) counts as inside; one 2 m off does not.
func TestBoundaryRunningLineCountsInside(t *testing.T) {
	f := newFixture(t)
	a := f.unit("A", "城关镇")
	ls, line := straight(116.0, 40.0, 500)
	on := f.road("on the edge", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	// The zone's southern edge is the road itself for 0–300 m.
	f.zone(a, "lead", orb.Polygon{{{x(0), 40}, {x(300), 40}, {x(300), 40.002}, {x(0), 40.002}, {x(0), 40}}}, nil, nil)
	checkPieces(t, f.pieces(on.ID), []wantPiece{{0, 300, []int64{a}}, {300, 500, []int64{}}})

	off := 2.0 / 111000 // about 2 m south of the edge
	ls2 := orb.LineString{{ls[0][0], 40 - off}, {ls[2][0], 40 - off}}
	far := f.road("two meters off", ls2)
	checkPieces(t, f.pieces(far.ID), []wantPiece{{0, far.LengthM, []int64{}}})
}

// Support claims are reported but never make an overlap or a covered stretch.
func TestSupportNeverConflicts(t *testing.T) {
	f := newFixture(t)
	a, s1, s2 := f.unit("A", "城关镇"), f.unit("S1", "住建局"), f.unit("S2", "爱卫办")
	ls, line := straight(116.0, 40.0, 600)
	road := f.road("背街小巷", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	f.zone(a, "lead", box(x(0)-0.001, x(400), 40, 0.001), nil, nil)
	f.zone(s1, "support", box(x(0)-0.001, x(600)+0.001, 40, 0.001), nil, nil)
	if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: road.ID, UnitID: s2, FromM: 100, ToM: 500, Role: "support"}); err != nil {
		t.Fatal(err)
	}
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 400, []int64{a}}, {400, 600, []int64{}}})
	sup, err := f.st.CoverageSupportOf(f.ctx, road.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sup) != 2 || sup[0].UnitID != s1 || !near(sup[0].ToM-sup[0].FromM, 600, 0.05) || sup[1].UnitID != s2 || !near(sup[1].FromM, 100, 1e-9) {
		t.Fatalf("support = %+v, want S1 over 0–600 and S2 over 100–500", sup)
	}
	sum, err := f.eng.Summary(f.ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(sum.OverlapM, 0, 1e-9) {
		t.Fatalf("support made %.1f m of overlap", sum.OverlapM)
	}
	for _, u := range sum.ByUnit {
		if u.UnitID == s2 && !near(u.SupportM, 400, 0.01) {
			t.Fatalf("S2 supports %.2f m, want 400", u.SupportM)
		}
	}
}

// Validity: only zones and assignments valid at the asked time count; at= answers history.
func TestHistory(t *testing.T) {
	f := newFixture(t)
	a, b := f.unit("A", "城关镇"), f.unit("B", "综合执法局")
	ls, line := straight(116.0, 40.0, 1000)
	road := f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	jun := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	// A led the whole road until June; B leads it since.
	f.zone(a, "lead", box(x(0)-0.001, x(1000)+0.001, 40, 0.001), &jan, &jun)
	f.zone(b, "lead", box(x(0)-0.001, x(1000)+0.001, 40, 0.001), &jun, nil)
	// An assignment of the first half to B that ended in March.
	mar := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: road.ID, UnitID: b, FromM: 0, ToM: 500, Role: "lead", Person: "王五", ValidFrom: &jan, ValidTo: &mar}); err != nil {
		t.Fatal(err)
	}
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 1000, []int64{b}}})

	cases := []struct {
		name string
		at   time.Time
		want []wantPiece
	}{
		{"before anything", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), []wantPiece{{0, 1000, []int64{}}}},
		{"february", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), []wantPiece{{0, 500, []int64{a, b}}, {500, 1000, []int64{a}}}},
		{"april", time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), []wantPiece{{0, 1000, []int64{a}}}},
		{"june exactly", jun, []wantPiece{{0, 1000, []int64{b}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ac, err := f.eng.AssetCoverage(f.ctx, f.st, road.ID, &c.at)
			if err != nil {
				t.Fatal(err)
			}
			var got []store.CoveragePiece
			for _, p := range ac.Pieces {
				got = append(got, store.CoveragePiece{FromM: p.FromM, ToM: p.ToM, Status: p.Status, UnitIDs: p.UnitIDs})
			}
			checkPieces(t, got, c.want)
			// The owner of meter 250 at that time.
			pt := line.PointAt(250)
			res, err := f.eng.Owner(f.ctx, f.st, orb.Point{pt[0], pt[1] + 0.00003}, &c.at)
			if err != nil {
				t.Fatal(err)
			}
			var units []int64
			for _, u := range res.Units {
				units = append(units, u.ID)
			}
			slices.Sort(units)
			want := c.want[0].units
			if !slices.Equal(units, want) && !(len(units) == 0 && len(want) == 0) {
				t.Fatalf("owner at %s = %v (%s), want %v", c.at, units, res.Reason, want)
			}
		})
	}
}

// Owner lookup: covered stretch, gap, ambiguous boundary, zone only, nothing near.
func TestOwnerLookup(t *testing.T) {
	f := newFixture(t)
	a, b, z := f.unit("A", "城关镇"), f.unit("B", "综合执法局"), f.unit("Z", "文明办")
	ls, line := straight(116.0, 40.0, 1000)
	road := f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	f.zone(a, "lead", box(x(0)-0.001, x(400), 40, 0.001), nil, nil)
	f.zone(b, "lead", box(x(400), x(700), 40, 0.001), nil, nil)
	if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: road.ID, UnitID: a, FromM: 100, ToM: 200, Role: "lead", Person: "张三", Phone: "13800000000"}); err != nil {
		t.Fatal(err)
	}
	// A lead zone far from any street (about 1 km north).
	f.zone(z, "lead", box(116.0, 116.01, 40.01, 0.002), nil, nil)

	up := func(m, meters float64) orb.Point {
		p := line.PointAt(m)
		return orb.Point{p[0], p[1] + meters/111000}
	}
	cases := []struct {
		name      string
		p         orb.Point
		decided   string
		units     []int64
		ambiguous bool
		person    string
		err       error
	}{
		{"covered stretch with a person", up(150, 4), "nearest_meter", []int64{a}, false, "张三", nil},
		{"covered stretch, unit contact", up(550, 10), "nearest_meter", []int64{b}, false, "联系人B", nil},
		{"gap", up(850, 5), "nearest_meter", []int64{}, false, "", nil},
		{"at the A/B boundary", up(401, 3), "nearest_meter", []int64{b, a}, true, "联系人B", nil},
		{"zone only", orb.Point{116.005, 40.01}, "zone", []int64{z}, false, "联系人Z", nil},
		{"nothing near", orb.Point{116.05, 40.05}, "none", []int64{}, false, "", coverage.ErrNoOwner},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := f.eng.Owner(f.ctx, f.st, c.p, nil)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			var units []int64
			for _, u := range res.Units {
				units = append(units, u.ID)
			}
			if res.DecidedBy != c.decided || res.Ambiguous != c.ambiguous || !slices.Equal(units, c.units) && len(units)+len(c.units) > 0 || res.Person != c.person {
				t.Fatalf("got decided_by %s units %v ambiguous %v person %q (%s); want %s %v %v %q",
					res.DecidedBy, units, res.Ambiguous, res.Person, res.Reason, c.decided, c.units, c.ambiguous, c.person)
			}
			if res.Reason == "" {
				t.Fatal("no reason given")
			}
			if c.err != nil && (len(res.Candidates) == 0 || res.Candidates[0].Asset.ID != road.ID) {
				t.Fatalf("candidates = %+v, want the road first", res.Candidates)
			}
			if c.decided == "nearest_meter" && (res.Asset == nil || res.Asset.ID != road.ID) {
				t.Fatalf("asset = %+v", res.Asset)
			}
		})
	}
	// A second road 2 m north of the first, owned by another unit, makes a point between them ambiguous.
	p0, p1 := line.PointAt(500), line.PointAt(600)
	par := f.road("parallel", orb.LineString{{p0[0], p0[1] + 2.0/111000}, {p1[0], p1[1] + 2.0/111000}})
	if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: par.ID, UnitID: z, FromM: 0, ToM: par.LengthM, Role: "lead"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.eng.Owner(f.ctx, f.st, up(550, 0.9), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Ambiguous || len(res.Units) != 2 {
		t.Fatalf("between two streets: %+v", res)
	}
}

// A zone whose validity begins later changes nothing when written; RefreshDue applies it once its time has come.
func TestRefreshDue(t *testing.T) {
	f := newFixture(t)
	a := f.unit("A", "城关镇")
	ls, line := straight(116.0, 40.0, 300)
	road := f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	since, err := f.st.Now(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Written straight to the store (no refresh), as if it had been written a while ago with a start in the future.
	from := since.Add(-time.Minute)
	if _, err := f.st.CreateZone(f.ctx, store.Zone{UnitID: a, Role: "lead", Kind: "网格", Geom: box(x(0)-0.001, x(300)+0.001, 40, 0.001), ValidFrom: &from}); err != nil {
		t.Fatal(err)
	}
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 300, []int64{}}})
	if _, err := f.eng.RefreshDue(f.ctx, f.st, from.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	checkPieces(t, f.pieces(road.ID), []wantPiece{{0, 300, []int64{a}}})
}

// An asset whose coverage was never computed (written around the service) counts as a gap, not as nothing.
func TestUncomputedAssetCountsAsGap(t *testing.T) {
	f := newFixture(t)
	ls, _ := straight(116.0, 40.0, 250)
	if _, err := f.st.CreateAsset(f.ctx, store.Asset{Kind: "alley", Name: "背街", Geom: ls}); err != nil {
		t.Fatal(err)
	}
	s, err := f.eng.Summary(f.ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(s.TotalM, 250, 0.01) || !near(s.GapM, 250, 0.01) || s.CoveredM != 0 {
		t.Fatalf("summary %+v, want 250 m total, all gap", s)
	}
}

// Concurrent writes touching the same assets neither fail nor leave stale results: refreshes of
// overlapping assets are serialised, and the last sees the others' committed zones.
func TestConcurrentZoneEdits(t *testing.T) {
	f := newFixture(t)
	ls, line := straight(116.0, 40.0, 1000)
	road := f.road("朝阳路", ls)
	x := func(m float64) float64 { return line.PointAt(m)[0] }
	var units []int64
	for i := range 8 {
		units = append(units, f.unit(fmt.Sprintf("U%d", i), fmt.Sprintf("单位%d", i)))
	}
	errs := make(chan error, len(units))
	for i, u := range units {
		go func() {
			_, err := f.svc.CreateZone(f.ctx, store.Actor{}, store.Zone{UnitID: u, Role: "lead", Kind: "网格",
				Geom: box(x(float64(i)*100), x(float64(i)*100+150), 40, 0.001)})
			errs <- err
		}()
	}
	for range units {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent zone create: %v", err)
		}
	}
	got := f.pieces(road.ID)
	if _, err := f.eng.Full(f.ctx, f.st, nil); err != nil {
		t.Fatal(err)
	}
	want := f.pieces(road.ID)
	if len(got) != len(want) {
		t.Fatalf("after concurrent edits %d pieces, a full recompute gives %d", len(got), len(want))
	}
	for i := range got {
		if got[i].FromM != want[i].FromM || got[i].ToM != want[i].ToM || !slices.Equal(got[i].UnitIDs, want[i].UnitIDs) {
			t.Fatalf("piece %d after concurrent edits %+v, full recompute %+v", i, got[i], want[i])
		}
	}
}
