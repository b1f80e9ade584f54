package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Relation is where a bound lies with respect to an Area.
type Relation int

// Relations of a bound to an area.
const (
	// Boundary: some edge of the area may come within the tolerance of the bound; clip to know more.
	Boundary Relation = iota
	// Inside: every point of the bound is inside the area, farther than the tolerance from its boundary.
	Inside
	// Outside: every point of the bound is outside the area, farther than the tolerance from its boundary.
	Outside
)

// relateMaxCells caps the cells Relate scans; a bound spanning more is answered Boundary (clip instead).
const relateMaxCells = 1 << 14

// Relate tells whether everything in b (a line's bound, say) lies inside the area or outside it, with no
// edge within tolMeters, using the area's edge grid: a bound whose grown cells hold no edge meets no edge,
// so its points all share the inside/outside status of any one of them. Otherwise it answers Boundary.
// It costs one look per grid cell under b, so a caller can skip clipping every line that is not near the
// area's boundary.
func (a *Area) Relate(b orb.Bound, tolMeters float64) Relation {
	tol := math.Max(tolMeters, minTol)
	kx, ky := metersPerDegree(math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1])))
	// Twice the tolerance and a fixed margin: the grid's cells are assigned from edge bounds in
	// floating point, and a millimetre more costs nothing.
	dx, dy := 2*tol/kx+1e-9, 2*tol/ky+1e-9
	g := orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
	if !g.Intersects(a.bound) {
		return Outside
	}
	x0, x1, y0, y1 := a.col(g.Min[0]), a.col(g.Max[0]), a.row(g.Min[1]), a.row(g.Max[1])
	if (x1-x0+1)*(y1-y0+1) > relateMaxCells {
		return Boundary
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if k := y*a.gx + x; a.cellStart[k+1] > a.cellStart[k] {
				return Boundary
			}
		}
	}
	if a.Contains(b.Min) {
		return Inside
	}
	return Outside
}

// ClipGrid returns exactly what Clip returns, faster for lines that run mostly away from the boundary:
// a segment whose bound (grown by the tolerance) meets no grid cell holding an edge lies wholly inside or
// wholly outside, which one point-in-polygon test settles, so it is neither split nor classified piece by
// piece (the splits would be just its ends, and its one piece's midpoint would answer the same).
func (a *Area) ClipGrid(l *Line, tolMeters, minMeters float64) Intervals {
	return a.clip(l, tolMeters, minMeters, true)
}

// emptyCells reports whether no grid cell under b (grown by a safety margin) holds an edge.
func (a *Area) emptyCells(b orb.Bound) bool {
	// Degrees: cells are assigned from edge bounds in floating point, and near() scales the tolerance at
	// the point's own latitude (up to 1% more than the line's widest scale, a few millimetres).
	const eps = 2e-7
	x0, x1 := a.col(b.Min[0]-eps), a.col(b.Max[0]+eps)
	y0, y1 := a.row(b.Min[1]-eps), a.row(b.Max[1]+eps)
	if (x1-x0+1)*(y1-y0+1) > relateMaxCells {
		return false
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if k := y*a.gx + x; a.cellStart[k+1] > a.cellStart[k] {
				return false
			}
		}
	}
	return true
}
