package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func TestAreaRelate(t *testing.T) {
	o := orb.Point{10, 30}
	// A square with a hole and a jagged south edge, so the grid has many cells, some of them empty.
	var outer orb.Ring
	for x := -1000.0; x <= 1000; x += 20 {
		outer = append(outer, offset(o, x, -1000+float64(int(x)%40)))
	}
	outer = append(outer, offset(o, 1000, 1000), offset(o, -1000, 1000), outer[0])
	hole := rect(o, -200, -200, 200, 200)
	a, err := NewArea(orb.Polygon{outer, hole})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		line orb.LineString
		want Relation
	}{
		{"well inside", eastLine(o, -600, -400, 500), Inside},
		{"inside the hole", eastLine(o, -100, 100, 0), Outside},
		{"far away", eastLine(o, 3000, 4000, 0), Outside},
		{"crossing the east edge", eastLine(o, 900, 1100, 500), Boundary},
		{"0.3 m from the hole", eastLine(o, 200.3, 400, 0), Boundary},
		{"around the hole's bound", orb.LineString{offset(o, -300, -300), offset(o, 300, 300)}, Boundary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Relate(tc.line.Bound(), 0.5); got != tc.want {
				t.Errorf("Relate = %d, want %d", got, tc.want)
			}
		})
	}

	// Whatever Relate decides must be what clipping says.
	rng := rand.New(rand.NewPCG(3, 4))
	decided := 0
	for i := 0; i < 3000; i++ {
		p := offset(o, rng.Float64()*2400-1200, rng.Float64()*2400-1200)
		ls := orb.LineString{p, offset(p, rng.Float64()*300-150, rng.Float64()*300-150)}
		l, err := NewLine(ls)
		if err != nil {
			t.Fatal(err)
		}
		got := a.Clip(l, 0.5, 0)
		switch a.Relate(ls.Bound(), 0.5) {
		case Inside:
			decided++
			if len(got) != 1 || !near(got[0].From, 0, 1e-6) || !near(got[0].To, l.Length(), 1e-6) {
				t.Fatalf("line %v: Relate says inside, Clip gives %v of %.2f m", ls, got, l.Length())
			}
		case Outside:
			decided++
			if len(got) != 0 {
				t.Fatalf("line %v: Relate says outside, Clip gives %v", ls, got)
			}
		}
	}
	if decided < 1000 {
		t.Errorf("Relate decided only %d of 3000 lines; the grid should settle most", decided)
	}
}

// ClipGrid must return exactly what Clip returns.
func TestClipGridEqualsClip(t *testing.T) {
	o := orb.Point{9.5, 47.1}
	var ring orb.Ring
	rng := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 400; k++ {
		ang := float64(k) / 400 * 2 * 3.141592653589793
		r := 1500 + rng.Float64()*300
		ring = append(ring, offset(o, r*math.Cos(ang), r*math.Sin(ang)))
	}
	ring = append(ring, ring[0])
	a, err := NewArea(orb.Polygon{ring, rect(o, -300, -300, 300, 300)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		p := offset(o, rng.Float64()*4400-2200, rng.Float64()*4400-2200)
		ls := orb.LineString{p}
		for k := 0; k < 1+rng.IntN(12); k++ {
			p = offset(p, rng.Float64()*200-100, rng.Float64()*200-100)
			ls = append(ls, p)
		}
		l, err := NewLine(ls)
		if err != nil {
			t.Fatal(err)
		}
		for _, tol := range []float64{0, 0.5} {
			want, got := a.Clip(l, tol, 0.5), a.ClipGrid(l, tol, 0.5)
			if len(want) != len(got) {
				t.Fatalf("line %v tol %g: Clip %v, ClipGrid %v", ls, tol, want, got)
			}
			for j := range want {
				if want[j] != got[j] {
					t.Fatalf("line %v tol %g: Clip %v, ClipGrid %v", ls, tol, want, got)
				}
			}
		}
	}
}
