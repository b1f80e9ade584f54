package demo

import (
	"math"
	"slices"

	"everymeter/vocab"
	"github.com/paulmach/orb"
)

// Where the town lies and how it is laid out. The generator works in a local east/north frame in meters
// around the centre and converts to WGS84 at the end; the town is small enough that an equirectangular
// frame is exact to a few centimeters, which is all a generated map needs.
const (
	centerLon = 114.30
	centerLat = 35.75

	seedHi, seedLo = 20200415, 0x5EED // the town is the same on every machine and every run

	step       = 40.0 // vertex spacing along roads and zone edges, meters
	gridInset  = 8.0  // grid zone edges stay this far from road centrelines, so roads are never inside a grid
	alleyStart = 15.0 // alleys begin at the kerb, this far from the road centreline (inside the grid)
	alleyMin   = 80.0 // back alleys are 80–400 m long
	alleyMax   = 400.0
)

// Town is a generated county seat in WGS84, ready to load.
type Town struct {
	Assets      []Asset
	Zones       []Zone
	Assignments []Assignment
	Base        []BaseFeature // the base map under the network (base.go)
}

// Bound returns the lon/lat bound of the town's assets and zones.
func (t Town) Bound() orb.Bound {
	b := t.Assets[0].Geom.Bound()
	for _, a := range t.Assets {
		b = b.Union(a.Geom.Bound())
	}
	for _, z := range t.Zones {
		b = b.Union(z.Geom.Bound())
	}
	return b
}

// Asset is one road segment, alley, market or park; SourceID is stable across runs.
type Asset struct {
	SourceID   string
	Kind       vocab.AssetKind
	Name       string
	Geom       orb.Geometry
	Attributes map[string]any
}

// Zone is a responsibility polygon of a unit, named by the unit's code.
type Zone struct {
	Name, Unit string
	Role       vocab.ZoneRole
	Kind       string // free text: 网格, 门前三包, …
	Geom       orb.MultiPolygon
}

// Assignment gives a unit a stretch of a linear asset. The stretch is given relative to the asset's
// length as measured by the database: from = FromFrac·L + FromOff, to = ToFrac·L + ToOff.
type Assignment struct {
	Asset, Unit                      string
	Role                             vocab.ZoneRole
	Person, Phone                    string
	FromFrac, FromOff, ToFrac, ToOff float64
}

// Range returns the assignment's meters on an asset of the given length, clamped to it.
func (a Assignment) Range(length float64) (from, to float64) {
	from = math.Max(0, math.Min(length, a.FromFrac*length+a.FromOff))
	to = math.Max(0, math.Min(length, a.ToFrac*length+a.ToOff))
	return from, to
}

// ---- local plane

type xy struct{ X, Y float64 }

func (p xy) add(q xy) xy           { return xy{p.X + q.X, p.Y + q.Y} }
func (p xy) sub(q xy) xy           { return xy{p.X - q.X, p.Y - q.Y} }
func (p xy) mul(k float64) xy      { return xy{p.X * k, p.Y * k} }
func (p xy) norm() float64         { return math.Hypot(p.X, p.Y) }
func polar(h, r float64) xy        { return xy{r * math.Cos(h), r * math.Sin(h)} }
func lerpXY(a, b xy, t float64) xy { return a.add(b.sub(a).mul(t)) }

// fn is a gently curving road line: y(x) for west–east roads, x(y) for south–north ones.
type fn func(float64) float64

func shift(f fn, d float64) fn { return func(t float64) float64 { return f(t) + d } }

// curve is a straight line with a slight tilt and a long, low wave: a road that is not a ruler line.
type curve struct{ base, slope, amp, omega, phase float64 }

func (c curve) at(t float64) float64 { return c.base + c.slope*t + c.amp*math.Sin(c.omega*t+c.phase) }

// road is a whole named road; its segments between intersections become assets.
type road struct {
	name, class string
	ew          bool // west–east: y = c.at(x); else x = c.at(y)
	c           curve
	lo, hi      float64   // extent along the free coordinate
	knots       []float64 // parameters that must be vertices (street junctions)
}

func (r *road) pt(t float64) xy {
	if r.ew {
		return xy{t, r.c.at(t)}
	}
	return xy{r.c.at(t), t}
}

// param is the free coordinate of p along r.
func (r *road) param(p xy) float64 {
	if r.ew {
		return p.X
	}
	return p.Y
}

// cross returns where a west–east and a south–north line meet (a contraction: the lines are nearly
// perpendicular, so the iteration converges in a few steps).
func cross(ewf, nsf fn, guess xy) xy {
	x, y := guess.X, guess.Y
	for range 60 {
		x = nsf(y)
		y = ewf(x)
	}
	return xy{x, y}
}

// sample returns pa, points of r strictly between parameters a and b about every meters apart, and pb.
// The road's knots (where a street joins it) between a and b become vertices, so the joining street
// meets the road exactly at a shared vertex.
func sample(r *road, a, b float64, pa, pb xy, every float64) []xy {
	lo, hi := math.Min(a, b), math.Max(a, b)
	var ts []float64
	for _, k := range r.knots {
		if k > lo+1 && k < hi-1 {
			ts = append(ts, k)
		}
	}
	n := max(1, int(math.Ceil(math.Abs(b-a)/every)))
	for k := 1; k < n; k++ {
		t := a + (b-a)*float64(k)/float64(n)
		if !slices.ContainsFunc(r.knots, func(k float64) bool { return math.Abs(k-t) < every/4 }) {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	if a > b {
		slices.Reverse(ts)
	}
	pts := []xy{pa}
	for _, t := range ts {
		pts = append(pts, r.pt(t))
	}
	return append(pts, pb)
}

// region returns the closed ring of the area between four road-like lines: south S(x) < north N(x),
// west W(y) < east E(y). Each side follows its line, so the ring keeps a constant distance to curved roads.
func region(S, N, W, E fn, guess xy) []xy {
	sw := cross(S, W, guess)
	se := cross(S, E, guess)
	ne := cross(N, E, guess)
	nw := cross(N, W, guess)
	ring := []xy{sw}
	side := func(a, b float64, at func(float64) xy) {
		n := max(1, int(math.Ceil(math.Abs(b-a)/step)))
		for k := 1; k < n; k++ {
			ring = append(ring, at(a+(b-a)*float64(k)/float64(n)))
		}
	}
	side(sw.X, se.X, func(x float64) xy { return xy{x, S(x)} })
	ring = append(ring, se)
	side(se.Y, ne.Y, func(y float64) xy { return xy{E(y), y} })
	ring = append(ring, ne)
	side(ne.X, nw.X, func(x float64) xy { return xy{x, N(x)} })
	ring = append(ring, nw)
	side(nw.Y, sw.Y, func(y float64) xy { return xy{W(y), y} })
	return append(ring, sw)
}

// corridor returns a closed ring of half-width half around road r between parameters t0 and t1.
func corridor(r *road, t0, t1, half float64) []xy {
	n := max(2, int(math.Ceil(math.Abs(t1-t0)/20)))
	left := make([]xy, 0, n+1)
	right := make([]xy, 0, n+1)
	for k := 0; k <= n; k++ {
		t := t0 + (t1-t0)*float64(k)/float64(n)
		p := r.pt(t)
		d := r.pt(t + 0.5).sub(r.pt(t - 0.5))
		nrm := xy{-d.Y, d.X}.mul(half / d.norm())
		left = append(left, p.add(nrm))
		right = append(right, p.sub(nrm))
	}
	slices.Reverse(right)
	ring := append(left, right...)
	return append(ring, left[0])
}

// ---- geometry checks in the local plane

func segDist(a, b, c, d xy) float64 {
	if segCross(a, b, c, d) {
		return 0
	}
	return math.Min(math.Min(ptSeg(a, c, d), ptSeg(b, c, d)), math.Min(ptSeg(c, a, b), ptSeg(d, a, b)))
}

func ptSeg(p, a, b xy) float64 {
	ab := b.sub(a)
	l2 := ab.X*ab.X + ab.Y*ab.Y
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.X-a.X)*ab.X+(p.Y-a.Y)*ab.Y)/l2))
	}
	return p.sub(a.add(ab.mul(t))).norm()
}

func orient(a, b, c xy) float64 { return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X) }

func segCross(a, b, c, d xy) bool {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0)
}

func inRing(p xy, ring []xy) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// pathDist is the smallest distance between two polylines.
func pathDist(p, q []xy) float64 {
	best := math.Inf(1)
	for i := 1; i < len(p); i++ {
		for j := 1; j < len(q); j++ {
			best = math.Min(best, segDist(p[i-1], p[i], q[j-1], q[j]))
		}
	}
	return best
}

func pathLen(p []xy) float64 {
	s := 0.0
	for i := 1; i < len(p); i++ {
		s += p[i].sub(p[i-1]).norm()
	}
	return s
}

// truncate cuts a polyline to length l.
func truncate(p []xy, l float64) []xy {
	out := []xy{p[0]}
	for i := 1; i < len(p); i++ {
		d := p[i].sub(p[i-1]).norm()
		if d >= l {
			return append(out, lerpXY(p[i-1], p[i], l/d))
		}
		l -= d
		out = append(out, p[i])
	}
	return out
}

// ---- conversion to WGS84

var (
	kx = 111320.0 * math.Cos(centerLat*math.Pi/180) // meters per degree of longitude at the centre
	ky = 110574.0                                   // meters per degree of latitude
)

// ll converts a local point to lon/lat, rounded to 1e-7° (1 cm) so the output is identical on every platform.
func ll(p xy) orb.Point {
	r := func(v float64) float64 { return math.Round(v*1e7) / 1e7 }
	return orb.Point{r(centerLon + p.X/kx), r(centerLat + p.Y/ky)}
}

func lineString(p []xy) orb.LineString {
	ls := make(orb.LineString, len(p))
	for i, q := range p {
		ls[i] = ll(q)
	}
	return ls
}

func polygon(ring []xy) orb.Polygon {
	r := make(orb.Ring, len(ring))
	for i, q := range ring {
		r[i] = ll(q)
	}
	if r[0] != r[len(r)-1] {
		r = append(r, r[0])
	}
	return orb.Polygon{r}
}
