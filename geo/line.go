package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Line is a lineal geometry prepared for measures: meters along it from its start.
//
// For a MultiLineString the measure runs through the parts in order, concatenated, so the
// end of one part and the start of the next share a measure. Between vertices, positions
// are interpolated linearly in lon/lat while the measure is interpolated linearly in the
// segment's geodesic length, which is exact to well under a millimetre at street scale.
type Line struct {
	parts [][]orb.Point
	cum   [][]float64 // cum[p][i] is the measure at vertex i of part p
	end   []float64   // end[p] is the measure at the last vertex of part p
	total float64
	bound orb.Bound
}

// NewLine prepares a LineString or MultiLineString; parts with fewer than 2 points are skipped.
func NewLine(g orb.Geometry) (*Line, error) {
	var parts []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		parts = []orb.LineString{g}
	case orb.MultiLineString:
		parts = g
	default:
		typ := "nil"
		if g != nil {
			typ = g.GeoJSONType()
		}
		return nil, geomErr("a line must be a LineString or MultiLineString, got %s", typ)
	}
	l := &Line{}
	m := 0.0
	for _, p := range parts {
		if len(p) < 2 {
			continue
		}
		c := make([]float64, len(p))
		c[0] = m
		for i := 1; i < len(p); i++ {
			m += Distance(p[i-1], p[i])
			c[i] = m
		}
		if len(l.parts) == 0 {
			l.bound = p.Bound()
		} else {
			l.bound = l.bound.Union(p.Bound())
		}
		l.parts = append(l.parts, p)
		l.cum = append(l.cum, c)
		l.end = append(l.end, m)
	}
	if len(l.parts) == 0 {
		return nil, geomErr("line has no part with at least 2 points")
	}
	l.total = m
	return l, nil
}

// Length returns the line's geodesic length in meters.
func (l *Line) Length() float64 { return l.total }

// Bound returns the lon/lat bound of the line.
func (l *Line) Bound() orb.Bound { return l.bound }

// Locate returns the measure of the point on the line nearest to p and the geodesic distance in meters from p to it.
//
// Nearness is judged in a local equirectangular projection scaled at p's latitude (good to
// well under 1 m at street scale); the first of equally near points wins.
func (l *Line) Locate(p orb.Point) (measure, dist float64) {
	kx, ky := metersPerDegree(p[1])
	best := math.Inf(1)
	var bestPt orb.Point
	for pi, part := range l.parts {
		c := l.cum[pi]
		for i := 1; i < len(part); i++ {
			a, b := part[i-1], part[i]
			ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
			dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*ky
			t := 0.0
			if d2 := dx*dx + dy*dy; d2 > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/d2))
			}
			x, y := ax+t*dx, ay+t*dy
			if d := x*x + y*y; d < best {
				best = d
				measure = c[i-1] + t*(c[i]-c[i-1])
				bestPt = lerp(a, b, t)
			}
		}
	}
	return measure, Distance(p, bestPt)
}

// PointAt returns the point at measure m, clamped to [0, Length]; at a part boundary the end of the earlier part wins.
func (l *Line) PointAt(m float64) orb.Point {
	m = l.clamp(m)
	pi := sort.SearchFloat64s(l.end, m) // first part ending at or after m
	if pi == len(l.end) {
		pi--
	}
	return partPoint(l.parts[pi], l.cum[pi], m)
}

func (l *Line) clamp(m float64) float64 {
	if math.IsNaN(m) || m < 0 {
		return 0
	}
	return math.Min(m, l.total)
}

// Sub returns the part of the line between two measures (clamped, and swapped if reversed).
//
// The result is a LineString, or a MultiLineString when the range spans several parts;
// endpoints are interpolated within segments. An empty range gives a two-point LineString
// of one repeated point, so callers always get a lineal geometry.
func (l *Line) Sub(from, to float64) orb.Geometry {
	from, to = l.clamp(from), l.clamp(to)
	if from > to {
		from, to = to, from
	}
	var out orb.MultiLineString
	for pi, part := range l.parts {
		c := l.cum[pi]
		s, e := c[0], c[len(c)-1]
		if e <= from || s >= to {
			continue
		}
		ls := orb.LineString{partPoint(part, c, math.Max(from, s))}
		for i, m := range c {
			if m > from && m < to {
				ls = append(ls, part[i])
			}
		}
		ls = append(ls, partPoint(part, c, math.Min(to, e)))
		out = append(out, ls)
	}
	switch len(out) {
	case 0:
		p := l.PointAt(from)
		return orb.LineString{p, p}
	case 1:
		return out[0]
	}
	return out
}

// partPoint interpolates measure m within one part whose measures are c.
func partPoint(part []orb.Point, c []float64, m float64) orb.Point {
	i := sort.SearchFloat64s(c, m)
	if i == 0 {
		return part[0]
	}
	if i == len(c) {
		return part[len(part)-1]
	}
	seg := c[i] - c[i-1]
	if seg <= 0 {
		return part[i]
	}
	return lerp(part[i-1], part[i], (m-c[i-1])/seg)
}

func lerp(a, b orb.Point, t float64) orb.Point {
	if t <= 0 {
		return a
	}
	if t >= 1 {
		return b
	}
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}
