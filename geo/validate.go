package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// ValidateGeometry applies DecodeGeometry's checks to an already-decoded geometry.
func ValidateGeometry(g orb.Geometry) error {
	if g == nil {
		return geomErr("is missing")
	}
	if n := vertexCount(g); n > MaxVertices {
		return geomErr("has %d vertices, more than the limit of %d", n, MaxVertices)
	}
	switch g := g.(type) {
	case orb.Point:
		return checkPoint(g, "point")
	case orb.MultiPoint:
		if len(g) == 0 {
			return geomErr("MultiPoint has no points")
		}
		for i, p := range g {
			if err := checkPoint(p, fmt.Sprintf("point %d of multipoint", i)); err != nil {
				return err
			}
		}
		return nil
	case orb.LineString:
		return checkLine(g, "linestring")
	case orb.MultiLineString:
		if len(g) == 0 {
			return geomErr("MultiLineString has no lines")
		}
		for i, ls := range g {
			if err := checkLine(ls, fmt.Sprintf("line %d of multilinestring", i)); err != nil {
				return err
			}
		}
		return nil
	case orb.Polygon:
		return checkPolygon(g, "polygon")
	case orb.MultiPolygon:
		if len(g) == 0 {
			return geomErr("MultiPolygon has no polygons")
		}
		for i, p := range g {
			if err := checkPolygon(p, fmt.Sprintf("polygon %d", i)); err != nil {
				return err
			}
		}
		return nil
	case orb.Collection:
		return geomErr("type GeometryCollection is not supported; send a Point, LineString, Polygon or their Multi- forms")
	}
	return geomErr("type %s is not a supported GeoJSON geometry type", g.GeoJSONType())
}

func vertexCount(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += vertexCount(p)
		}
		return n
	}
	return 0
}

func fmtPoint(p orb.Point) string { return fmt.Sprintf("[%g,%g]", p[0], p[1]) }

func checkPoint(p orb.Point, what string) error {
	for i, name := range [2]string{"longitude", "latitude"} {
		v, lim := p[i], [2]float64{180, 90}[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return geomErr("%s: %s is not a finite number", what, name)
		}
		if v < -lim || v > lim {
			return geomErr("%s: %s %g is outside [-%g, %g]", what, name, v, lim, lim)
		}
	}
	return nil
}

func checkPoints(ps []orb.Point, what string) error {
	for i, p := range ps {
		if err := checkPoint(p, fmt.Sprintf("point %d of %s", i, what)); err != nil {
			return err
		}
	}
	return nil
}

func checkLine(ls orb.LineString, what string) error {
	if len(ls) < 2 {
		return geomErr("%s has %d points; it needs at least 2", what, len(ls))
	}
	if err := checkPoints(ls, what); err != nil {
		return err
	}
	for _, p := range ls[1:] {
		if p != ls[0] {
			return nil
		}
	}
	return geomErr("%s has fewer than 2 distinct points", what)
}

func checkPolygon(poly orb.Polygon, what string) error {
	if len(poly) == 0 {
		return geomErr("%s has no rings", what)
	}
	for i, r := range poly {
		rw := fmt.Sprintf("ring %d of %s", i, what)
		if len(r) < 4 {
			return geomErr("%s has %d points; a closed ring needs at least 4", rw, len(r))
		}
		if err := checkPoints(r, rw); err != nil {
			return err
		}
		if r[0] != r[len(r)-1] {
			return geomErr("%s is not closed: first point %s differs from last point %s", rw, fmtPoint(r[0]), fmtPoint(r[len(r)-1]))
		}
		if distinctAtLeast(r, 3) < 3 {
			return geomErr("%s has fewer than 3 distinct points", rw)
		}
	}
	return checkCrossings(poly, what)
}

// distinctAtLeast counts distinct points up to k.
func distinctAtLeast(ps []orb.Point, k int) int {
	seen := make([]orb.Point, 0, k)
	for _, p := range ps {
		if !slices.Contains(seen, p) {
			seen = append(seen, p)
			if len(seen) >= k {
				break
			}
		}
	}
	return len(seen)
}

// sweepEdge is a polygon edge in sweep coordinates (x is the sweep axis).
type sweepEdge struct {
	a, b       orb.Point
	minX, maxX float64
	minY, maxY float64
	ring, idx  int
}

// checkCrossings reports the first proper crossing between two edges of a polygon's rings.
//
// Only proper crossings count (each edge has the other's endpoints strictly on opposite
// sides), so edges sharing a vertex and touching rings pass. It is a sweep-and-prune over the
// axis along which edges are shortest relative to the polygon's extent: edges are sorted by
// their minimum on that axis and each is tested against the edges still active there, which
// for real boundaries (a line across them meets few edges) is O(n·k) with small k. A
// Shamos–Hoyos sweep would be O(n log n) for every input but is fragile with the touching
// rings that valid polygons may have; the budget below bounds the bad cases instead.
func checkCrossings(poly orb.Polygon, what string) error {
	n := 0
	for _, r := range poly {
		n += len(r) - 1
	}
	edges := make([]sweepEdge, 0, n)
	var sumX, sumY float64
	b := poly.Bound()
	for ri, r := range poly {
		for i := 1; i < len(r); i++ {
			p, q := r[i-1], r[i]
			if p == q {
				continue
			}
			sumX += math.Abs(q[0] - p[0])
			sumY += math.Abs(q[1] - p[1])
			edges = append(edges, sweepEdge{a: p, b: q, ring: ri, idx: i - 1})
		}
	}
	// Average active-set size along an axis is proportional to the summed edge extents on it over the extent of the polygon.
	swap := sumY*(b.Max[0]-b.Min[0]) < sumX*(b.Max[1]-b.Min[1])
	for i := range edges {
		e := &edges[i]
		a, q := e.a, e.b
		if swap {
			a, q = orb.Point{a[1], a[0]}, orb.Point{q[1], q[0]}
		}
		e.a, e.b = a, q
		e.minX, e.maxX = math.Min(a[0], q[0]), math.Max(a[0], q[0])
		e.minY, e.maxY = math.Min(a[1], q[1]), math.Max(a[1], q[1])
	}
	slices.SortFunc(edges, func(x, y sweepEdge) int { return cmp.Compare(x.minX, y.minX) })

	// A ring with thousands of edges stacked across one line (a dense comb) makes the sweep
	// quadratic; a budget turns that into a clear refusal instead of seconds of CPU per request.
	budget := 500*len(edges) + 1_000_000
	active := make([]int, 0, 64)
	for i := range edges {
		e := &edges[i]
		k := 0
		for _, j := range active {
			if edges[j].maxX >= e.minX {
				active[k] = j
				k++
			}
		}
		active = active[:k]
		if budget -= len(active); budget < 0 {
			return geomErr("%s has too many edges stacked across one line to check for self-intersection; simplify it", what)
		}
		for _, j := range active {
			f := &edges[j]
			if f.maxY < e.minY || f.minY > e.maxY {
				continue
			}
			if x, ok := properCross(e.a, e.b, f.a, f.b); ok {
				if swap {
					x = orb.Point{x[1], x[0]}
				}
				r1, r2 := min(e.ring, f.ring), max(e.ring, f.ring)
				if r1 == r2 {
					return geomErr("ring %d of %s crosses itself near %s (edges %d and %d)", r1, what, fmtPoint(x), min(e.idx, f.idx), max(e.idx, f.idx))
				}
				return geomErr("ring %d of %s crosses ring %d near %s", r2, what, r1, fmtPoint(x))
			}
		}
		active = append(active, i)
	}
	return nil
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// properCross reports whether segments ab and cd cross at a single interior point, and where.
func properCross(a, b, c, d orb.Point) (orb.Point, bool) {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	if !((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) {
		return orb.Point{}, false
	}
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if !((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
		return orb.Point{}, false
	}
	t := o3 / (o3 - o4)
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, true
}
