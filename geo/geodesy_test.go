package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// meridianArc integrates the meridional radius of curvature between two latitudes (Simpson's rule),
// an oracle independent of Vincenty's series.
func meridianArc(lat0, lat1 float64) float64 {
	const n = 2000
	h := (lat1 - lat0) / n
	f := func(lat float64) float64 { _, ky := metersPerDegree(lat); return ky }
	s := f(lat0) + f(lat1)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(lat0+float64(i)*h)
	}
	return s * h / 3
}

func TestDistance(t *testing.T) {
	flinders := orb.Point{dms(144, 25, 29.52440), dms(-37, 57, 3.72030)}
	buninyong := orb.Point{dms(143, 55, 35.38390), dms(-37, 39, 10.15610)}
	north1000 := offset(orb.Point{8, 40}, 0, 1000)
	tests := []struct {
		name string
		a, b orb.Point
		want float64
		tol  float64
	}{
		{"Flinders Peak to Buninyong (Vincenty 1975)", flinders, buninyong, 54972.271, 0.001},
		{"same point", orb.Point{8.5, 47.1}, orb.Point{8.5, 47.1}, 0, 0},
		{"one degree along the equator", orb.Point{0, 0}, orb.Point{1, 0}, wgs84A * math.Pi / 180, 1e-6},
		{"quarter meridian", orb.Point{0, 0}, orb.Point{0, 90}, 10001965.729, 0.001},
		{"1000 m north from lat 40", orb.Point{8, 40}, north1000, meridianArc(40, north1000[1]), 1e-6},
		{"one degree of meridian at lat 40", orb.Point{-3, 40}, orb.Point{-3, 41}, meridianArc(40, 41), 1e-4},
		{"symmetric", buninyong, flinders, 54972.271, 0.001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Distance(tc.a, tc.b); !near(got, tc.want, tc.tol) {
				t.Errorf("Distance = %.6f m, want %.6f ± %g", got, tc.want, tc.tol)
			}
		})
	}
	t.Run("1000 m north at lat 40 is about 1000 m", func(t *testing.T) {
		// The local projection in offset is first order; check it is close, so the other tests mean something.
		if got := Distance(orb.Point{8, 40}, north1000); !near(got, 1000, 0.01) {
			t.Errorf("got %.4f", got)
		}
	})
}

func TestDistanceNearAntipodal(t *testing.T) {
	tests := []struct {
		name string
		a, b orb.Point
	}{
		{"antipodal on the equator", orb.Point{0, 0}, orb.Point{180, 0}},
		{"nearly antipodal", orb.Point{0, 0}, orb.Point{179.7, 0.5}},
		{"nearly antipodal off-equator", orb.Point{10, 30}, orb.Point{-170.2, -29.9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Distance(tc.a, tc.b)
			// Half the meridian is 20,003,931 m and half the equator 20,037,508 m: any sane answer lies near there.
			if math.IsNaN(d) || d < 19.9e6 || d > 20.04e6 {
				t.Errorf("Distance = %v", d)
			}
		})
	}
}

func TestLength(t *testing.T) {
	o := orb.Point{9.5, 47.1}
	ls := orb.LineString{o, offset(o, 300, 0), offset(o, 300, 400)}
	want := Distance(ls[0], ls[1]) + Distance(ls[1], ls[2])
	tests := []struct {
		name string
		g    orb.Geometry
		want float64
	}{
		{"linestring", ls, want},
		{"multilinestring sums parts", orb.MultiLineString{ls, ls}, 2 * want},
		{"ring", orb.Ring(rect(o, 0, 0, 100, 100)), Length(orb.LineString(rect(o, 0, 0, 100, 100)))},
		{"point has no length", o, 0},
		{"polygon is not lineal", orb.Polygon{rect(o, 0, 0, 1, 1)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Length(tc.g); !near(got, tc.want, 1e-9) {
				t.Errorf("Length = %v, want %v", got, tc.want)
			}
		})
	}
	if got := Length(ls); !near(got, 700, 0.01) {
		t.Errorf("300 m east then 400 m north = %v", got)
	}
}
