package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func TestAreaClip(t *testing.T) {
	o := orb.Point{10, 30}
	road := eastLine(o, 0, 1000, 0)
	square := orb.Polygon{rect(o, -100, -100, 400, 100)}
	tests := []struct {
		name     string
		area     orb.Geometry
		line     orb.Geometry
		tol, min float64
		want     Intervals
	}{
		{"square covers the first 400 m", square, road, 0.5, 0, Intervals{{0, 400}}},
		{"unclosed rings are closed", orb.Polygon{rect(o, -100, -100, 400, 100)[:4]}, road, 0.5, 0, Intervals{{0, 400}}},
		{"road along the south edge counts as inside", orb.Polygon{rect(o, -100, 0, 400, 100)}, road, 0.5, 0, Intervals{{0, 400}}},
		{"road along the north edge with zero tolerance", orb.Polygon{rect(o, -100, -100, 400, 0)}, road, 0, 0, Intervals{{0, 400}}},
		{"road 0.3 m outside within tolerance", orb.Polygon{rect(o, -100, 0.3, 400, 100)}, road, 0.5, 0, Intervals{{0, 400}}},
		{"road 0.3 m outside beyond tolerance", orb.Polygon{rect(o, -100, 0.3, 400, 100)}, road, 0.1, 0, Intervals{}},
		{"road along an edge then leaving it", orb.Polygon{{offset(o, 200, 0), offset(o, 600, 0), offset(o, 400, 300), offset(o, 200, 0)}}, road, 0.5, 0, Intervals{{200, 600}}},
		{"hole", orb.Polygon{rect(o, -100, -100, 800, 100), rect(o, 200, -50, 300, 50)}, road, 0.5, 0, Intervals{{0, 200}, {300, 800}}},
		{"multipolygon", orb.MultiPolygon{{rect(o, -10, -10, 100, 10)}, {rect(o, 500, -10, 600, 10)}}, road, 0.5, 0, Intervals{{0, 100}, {500, 600}}},
		{"inside entirely", orb.Polygon{rect(o, -10, -10, 1010, 10)}, road, 0.5, 0, Intervals{{0, 1000}}},
		{"far away", orb.Polygon{rect(o, 0, 500, 1000, 600)}, road, 0.5, 0, Intervals{}},
		{"crossing a corner diagonally", square, orb.LineString{offset(o, 200, -200), offset(o, 500, 100)}, 0, 0, Intervals{{141.4, 282.8}}},
		{"multi-part line merges across the join", orb.Polygon{rect(o, 300, -10, 700, 10)}, orb.MultiLineString{eastLine(o, 0, 500, 0), eastLine(o, 500, 1000, 0)}, 0.5, 0, Intervals{{300, 700}}},
		{"multi-part line with a jump", orb.Polygon{rect(o, 50, -10, 150, 10)}, orb.MultiLineString{eastLine(o, 0, 100, 0), eastLine(o, 100, 200, 50)}, 0.5, 0, Intervals{{50, 100}}},
		{"short gap merged", orb.MultiPolygon{{rect(o, -10, -10, 100, 10)}, {rect(o, 100.5, -10, 300, 10)}}, road, 0, 1, Intervals{{0, 300}}},
		{"short stretch dropped", orb.MultiPolygon{{rect(o, -10, -10, 100, 10)}, {rect(o, 500, -10, 500.8, 10)}}, road, 0, 1, Intervals{{0, 100}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewArea(tc.area)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLine(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			got := a.Clip(l, tc.tol, tc.min)
			if len(got) != len(tc.want) {
				t.Fatalf("Clip = %v, want %v", got, tc.want)
			}
			for i := range got {
				if !near(got[i].From, tc.want[i].From, 0.5) || !near(got[i].To, tc.want[i].To, 0.5) {
					t.Fatalf("Clip = %v, want %v ± 0.5 m", got, tc.want)
				}
			}
		})
	}
}

func TestNewArea(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		wantErr string
	}{
		{"polygon", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, ""},
		{"line refused", orb.LineString{{0, 0}, {1, 1}}, "got LineString"},
		{"degenerate", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "no ring with at least 3 distinct points"},
		{"empty multipolygon", orb.MultiPolygon{}, "no ring"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewArea(tc.g)
			checkFieldErr(t, err, "geometry", tc.wantErr)
		})
	}
}

func TestAreaContains(t *testing.T) {
	o := orb.Point{9.5, 47.1}
	a, err := NewArea(orb.Polygon{rect(o, 0, 0, 100, 100), rect(o, 40, 40, 60, 60)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    orb.Point
		want bool
	}{
		{"inside", offset(o, 10, 10), true},
		{"in the hole", offset(o, 50, 50), false},
		{"outside", offset(o, 150, 50), false},
		{"beside, at the same latitude", offset(o, -10, 50), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Contains(tc.p); got != tc.want {
				t.Errorf("Contains = %v, want %v", got, tc.want)
			}
		})
	}
	if b := a.Bound(); b != rect(o, 0, 0, 100, 100).Bound() {
		t.Errorf("Bound = %v", b)
	}
}

// TestClipAgainstSampling compares Clip with dense point sampling on random roads over a wiggly polygon.
func TestClipAgainstSampling(t *testing.T) {
	o := orb.Point{9.52, 47.14}
	a, err := NewArea(orb.Polygon{wigglyRing(o, 3000, 0.01, 0.3, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 30; i++ {
		ls := orb.LineString{offset(o, rng.Float64()*3000-1500, rng.Float64()*3000-1500)}
		for j := 0; j < 5; j++ {
			ls = append(ls, offset(ls[len(ls)-1], rng.Float64()*800-400, rng.Float64()*800-400))
		}
		l, _ := NewLine(ls)
		got := a.Clip(l, 0, 0).Total()
		const step = 0.25
		in := 0.0
		for m := step / 2; m < l.Length(); m += step {
			if a.Contains(l.PointAt(m)) {
				in += step
			}
		}
		if math.Abs(got-in) > 2 {
			t.Errorf("road %d: Clip total %.2f m, sampling %.2f m", i, got, in)
		}
	}
}

// BenchmarkClip clips 5000 short roads against a 5000-vertex municipality-sized polygon, about Liechtenstein's worst case.
func BenchmarkClip(b *testing.B) {
	o := orb.Point{9.52, 47.14}
	poly := orb.Polygon{wigglyRing(o, 5000, 0.03, 0.3, 0)}
	rng := rand.New(rand.NewPCG(3, 4))
	lines := make([]*Line, 5000)
	for i := range lines {
		ls := orb.LineString{offset(o, rng.Float64()*6000-3000, rng.Float64()*6000-3000)}
		for j := 0; j < 8; j++ {
			ls = append(ls, offset(ls[len(ls)-1], rng.Float64()*100-50, rng.Float64()*100-50))
		}
		lines[i], _ = NewLine(ls)
	}
	b.ResetTimer()
	for b.Loop() {
		a, _ := NewArea(poly)
		for _, l := range lines {
			a.Clip(l, 0.5, 1)
		}
	}
}
