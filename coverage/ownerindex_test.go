package coverage_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/store"
)

// TestOwnerIndex: an engine answering owner lookups from its in-memory index (as serve runs it) gives the
// same answers as the database path, at random points near a grid of streets, zones and assignments; and it
// stays exact when the data change: right after an edit committed through the service, and again once the
// index has re-read what the edit changed (answered from memory again), and after a resync.
func TestOwnerIndex(t *testing.T) {
	f := newFixture(t)
	units := []int64{f.unit("A", "城关镇"), f.unit("B", "综合执法局"), f.unit("C", "文明办")}
	var roads []store.Asset
	var lines []orb.LineString
	for i := range 8 {
		ls, _ := straight(116.0, 40.0+float64(i)*0.0004, 800) // about 44 m apart
		roads = append(roads, f.road(fmt.Sprintf("路%d", i), ls))
		lines = append(lines, ls)
	}
	var zones []store.Zone
	for i := range 4 {
		x0 := 116.0 + float64(i)*0.0024
		zones = append(zones, f.zone(units[i%3], "lead", box(x0, x0+0.0024-0.00003, 40.0014, 0.0017), nil, nil))
	}
	for i, r := range roads[:4] {
		if _, err := f.svc.CreateAssignment(f.ctx, store.Actor{}, store.Assignment{AssetID: r.ID, UnitID: units[(i+1)%3],
			FromM: 100, ToM: 180, Role: "lead", Person: "张三", Phone: "13800000000"}); err != nil {
			t.Fatal(err)
		}
	}

	mem := coverage.New(nil)
	mem.IndexOwners(t.Context(), f.st)
	f.svc.Subscribe(mem.Changed)
	if err := mem.OwnersIndexed(t.Context()); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 2))
	pts := make([]orb.Point, 300)
	for i := range pts {
		ls := lines[rng.IntN(len(lines))]
		pts[i] = orb.Point{ls[0][0] + rng.Float64()*(ls[2][0]-ls[0][0]), ls[0][1] + (rng.Float64()-0.5)*0.0006}
	}
	answer := func(e *coverage.Engine, p orb.Point) string {
		t.Helper()
		res, err := e.Owner(f.ctx, f.st, p, nil)
		if err != nil && err != coverage.ErrNoOwner {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		return fmt.Sprint(err) + " " + string(b)
	}
	same := func(when string) {
		t.Helper()
		for _, p := range pts {
			if got, want := answer(mem, p), answer(f.eng, p); got != want {
				t.Fatalf("%s: at %v the index answers\n%s\nthe database\n%s", when, p, got, want)
			}
		}
	}
	mem0, _ := mem.OwnerIndexStats()
	same("loaded")
	if mem1, db1 := mem.OwnerIndexStats(); mem1-mem0 < int64(len(pts))/2 {
		t.Fatalf("only %d of %d lookups were answered from memory (%d by the database)", mem1-mem0, len(pts), db1)
	}

	// Zone 0 moves 300 m east: the meters it leaves and those it reaches change owner.
	at := orb.Point{116.0 + 0.0040, 40.0 + 2*0.0004 + 3.0/111000} // in zone 1; zone 0 will overlap it
	before := answer(mem, at)
	z := zones[0]
	z.Geom = box(116.0+0.0035, 116.0+0.0059, 40.0014, 0.0017)
	if _, err := f.svc.UpdateZone(f.ctx, store.Actor{}, z); err != nil {
		t.Fatal(err)
	}
	if after := answer(mem, at); after == before || after != answer(f.eng, at) {
		t.Fatalf("right after the edit the index answers\n%s\n(before: %s)\nthe database\n%s", after, before, answer(f.eng, at))
	}
	same("right after the edit")
	// Once re-read, the edited stretch is answered from memory again, and still right.
	deadline := time.Now().Add(10 * time.Second)
	for {
		m0, _ := mem.OwnerIndexStats()
		answer(mem, at)
		if m1, _ := mem.OwnerIndexStats(); m1 > m0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the index never re-read the edited stretch")
		}
		time.Sleep(20 * time.Millisecond)
	}
	same("after the re-read")

	// An assignment ended and a unit renamed: both show at once.
	if err := f.svc.DeleteAssignment(f.ctx, store.Actor{}, firstAssignment(t, f, roads[1].ID)); err != nil {
		t.Fatal(err)
	}
	u, err := f.st.Unit(f.ctx, units[1])
	if err != nil {
		t.Fatal(err)
	}
	u.Name = "综合执法局（新）"
	if _, err := f.svc.UpdateUnit(f.ctx, store.Actor{}, u); err != nil {
		t.Fatal(err)
	}
	same("after an assignment and a unit changed")
	mem.Forget()
	same("after a resync")
	if err := mem.OwnersIndexed(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func firstAssignment(t *testing.T, f *fixture, asset int64) int64 {
	t.Helper()
	as, err := f.st.AssignmentsOf(f.ctx, asset)
	if err != nil || len(as) == 0 {
		t.Fatalf("assignments of %d: %v %v", asset, as, err)
	}
	return as[0].ID
}
