package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestNewLine(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		wantErr string
	}{
		{"linestring", orb.LineString{{0, 0}, {0, 1}}, ""},
		{"multilinestring skipping a short part", orb.MultiLineString{{{0, 0}}, {{0, 0}, {0, 1}}}, ""},
		{"polygon refused", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, "must be a LineString or MultiLineString, got Polygon"},
		{"nil refused", nil, "got nil"},
		{"no usable part", orb.MultiLineString{{{0, 0}}}, "no part with at least 2 points"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewLine(tc.g)
			checkFieldErr(t, err, "geometry", tc.wantErr)
		})
	}
}

func TestLineMeasures(t *testing.T) {
	o := orb.Point{9.52, 47.14}
	zig := orb.LineString{o, offset(o, 120, 0), offset(o, 120, 80), offset(o, 300, 95), offset(o, 310, 400)}
	gap := orb.MultiLineString{
		{o, offset(o, 100, 0), offset(o, 200, 30)},
		{offset(o, 500, 0), offset(o, 700, 0)}, // a separate piece: the measure jumps no gap
		{offset(o, 700, 0), offset(o, 700, 250)},
	}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
	}{{"linestring", zig}, {"multilinestring", gap}} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLine(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			if !near(l.Length(), Length(tc.g), 1e-9) {
				t.Fatalf("Length = %v, want %v", l.Length(), Length(tc.g))
			}
			if b := l.Bound(); b != tc.g.Bound() {
				t.Errorf("Bound = %v, want %v", b, tc.g.Bound())
			}
			for m := 0.0; m <= l.Length(); m += 7.3 {
				p := l.PointAt(m)
				got, d := l.Locate(p)
				if !near(got, m, 1e-6) || d > 1e-6 {
					t.Fatalf("Locate(PointAt(%v)) = %v at %v m", m, got, d)
				}
			}
			for _, r := range [][2]float64{{0, l.Length()}, {10, 150}, {150, 10}, {33.3, 33.4}, {-5, 1e9}, {90, 610}} {
				sub := l.Sub(r[0], r[1])
				lo, hi := math.Max(0, math.Min(r[0], r[1])), math.Min(l.Length(), math.Max(r[0], r[1]))
				if got := Length(sub); !near(got, hi-lo, 1e-3) {
					t.Errorf("Length(Sub(%v, %v)) = %v, want %v", r[0], r[1], got, hi-lo)
				}
				first, last := firstLast(sub)
				if first != l.PointAt(lo) || !near(Distance(last, l.PointAt(hi)), 0, 1e-6) {
					t.Errorf("Sub(%v, %v) runs %v..%v, want %v..%v", r[0], r[1], first, last, l.PointAt(lo), l.PointAt(hi))
				}
			}
		})
	}
	t.Run("sub spanning parts is a multilinestring", func(t *testing.T) {
		l, _ := NewLine(gap)
		l1 := Length(gap[0])
		sub, ok := l.Sub(l1-10, l1+10).(orb.MultiLineString)
		if !ok || len(sub) != 2 {
			t.Fatalf("Sub = %#v, want 2 parts", sub)
		}
		if one, ok := l.Sub(1, 2).(orb.LineString); !ok || len(one) != 2 {
			t.Errorf("Sub within a segment = %#v", one)
		}
		if pt := l.Sub(5, 5).(orb.LineString); len(pt) != 2 || pt[0] != pt[1] {
			t.Errorf("empty Sub = %v, want a repeated point", pt)
		}
	})
	t.Run("locate off the line", func(t *testing.T) {
		l, _ := NewLine(eastLine(o, 0, 1000, 0))
		m, d := l.Locate(offset(o, 250, 40))
		if !near(m, 250, 0.05) || !near(d, 40, 0.05) {
			t.Errorf("Locate = %v, %v; want 250, 40", m, d)
		}
		if m, d := l.Locate(offset(o, -30, -40)); m != 0 || !near(d, 50, 0.05) {
			t.Errorf("Locate before start = %v, %v; want 0, 50", m, d)
		}
		if m := l.PointAt(math.NaN()); m != l.PointAt(0) {
			t.Errorf("PointAt(NaN) = %v", m)
		}
	})
}

func firstLast(g orb.Geometry) (orb.Point, orb.Point) {
	switch g := g.(type) {
	case orb.LineString:
		return g[0], g[len(g)-1]
	case orb.MultiLineString:
		return g[0][0], g[len(g)-1][len(g[len(g)-1])-1]
	}
	return orb.Point{}, orb.Point{}
}

func TestSideOf(t *testing.T) {
	// A line running east: north of it is left, south is right; a line running north: west is left.
	east, _ := NewLine(orb.LineString{{10, 47}, {10.001, 47}})
	north, _ := NewLine(orb.LineString{{10, 47}, {10, 47.001}})
	cases := []struct {
		name string
		l    *Line
		p    orb.Point
		want int
	}{
		{"east, north of it", east, orb.Point{10.0005, 47.00003}, 1},
		{"east, south of it", east, orb.Point{10.0005, 46.99997}, -1},
		{"east, on it", east, orb.Point{10.0005, 47}, 0},
		{"north, west of it", north, orb.Point{9.99996, 47.0005}, 1},
		{"north, east of it", north, orb.Point{10.00004, 47.0005}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.l.SideOf(c.p); got != c.want {
				t.Errorf("SideOf(%v) = %d, want %d", c.p, got, c.want)
			}
		})
	}
}
