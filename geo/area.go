package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Area is a Polygon or MultiPolygon prepared for repeated clipping and containment tests.
//
// Its edges are indexed twice over one uniform lon/lat grid whose cells are roughly square in
// meters: by cell, for segment and proximity queries, and by row, for point-in-polygon ray
// casting, where each edge must be counted once per row. An Area is read-only after NewArea
// and safe for concurrent use.
type Area struct {
	bound      orb.Bound
	edges      []areaEdge
	minX, minY float64 // grid origin
	cw, ch     float64 // cell size in degrees
	gx, gy     int
	cellStart  []int32 // CSR: edges of cell k are cellItems[cellStart[k]:cellStart[k+1]]
	cellItems  []int32
	rowStart   []int32 // CSR: edges whose y-range meets row r
	rowItems   []int32
}

type areaEdge struct{ a, b orb.Point }

// maxAreaCells bounds the grid so that a huge polygon costs memory in proportion to its edges.
const maxAreaCells = 1 << 22

// NewArea prepares a Polygon or MultiPolygon (with holes, rings closed or not) for Clip and Contains.
func NewArea(g orb.Geometry) (*Area, error) {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		typ := "nil"
		if g != nil {
			typ = g.GeoJSONType()
		}
		return nil, geomErr("an area must be a Polygon or MultiPolygon, got %s", typ)
	}
	a := &Area{}
	first := true
	for _, p := range polys {
		for _, r := range p {
			if len(r) < 3 {
				continue
			}
			for i := range r {
				j := (i + 1) % len(r)
				if j == 0 && r[0] == r[len(r)-1] {
					break // closed ring: the last point repeats the first
				}
				if r[i] != r[j] {
					a.edges = append(a.edges, areaEdge{r[i], r[j]})
				}
			}
			if first {
				a.bound, first = r.Bound(), false
			} else {
				a.bound = a.bound.Union(r.Bound())
			}
		}
	}
	if len(a.edges) < 3 {
		return nil, geomErr("area has no ring with at least 3 distinct points")
	}
	a.buildGrid()
	return a, nil
}

// Bound returns the lon/lat bound of the area.
func (a *Area) Bound() orb.Bound { return a.bound }

func (a *Area) buildGrid() {
	b := a.bound
	kx, ky := metersPerDegree((b.Min[1] + b.Max[1]) / 2)
	wm := math.Max((b.Max[0]-b.Min[0])*kx, 1e-3)
	hm := math.Max((b.Max[1]-b.Min[1])*ky, 1e-3)
	mean := 0.0
	for _, e := range a.edges {
		mean += math.Hypot((e.b[0]-e.a[0])*kx, (e.b[1]-e.a[1])*ky)
	}
	mean /= float64(len(a.edges))
	// Cells of a few edge lengths keep each cell's list short; the cap keeps memory linear in edges.
	limit := math.Min(float64(16*len(a.edges)+1024), maxAreaCells)
	cell := math.Max(3*mean, math.Sqrt(wm*hm/limit))
	a.gx = max(1, min(int(math.Ceil(wm/cell)), int(limit)))
	a.gy = max(1, min(int(math.Ceil(hm/cell)), int(limit)/a.gx))
	a.minX, a.minY = b.Min[0], b.Min[1]
	a.cw = math.Max(b.Max[0]-b.Min[0], 1e-12) / float64(a.gx)
	a.ch = math.Max(b.Max[1]-b.Min[1], 1e-12) / float64(a.gy)

	a.cellStart = make([]int32, a.gx*a.gy+1)
	a.rowStart = make([]int32, a.gy+1)
	// Two passes build compressed lists: count per cell and row, then fill through cursors.
	var cellNext, rowNext []int32
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			for k := 1; k < len(a.cellStart); k++ {
				a.cellStart[k] += a.cellStart[k-1]
			}
			for k := 1; k < len(a.rowStart); k++ {
				a.rowStart[k] += a.rowStart[k-1]
			}
			a.cellItems = make([]int32, a.cellStart[len(a.cellStart)-1])
			a.rowItems = make([]int32, a.rowStart[len(a.rowStart)-1])
			cellNext, rowNext = slices.Clone(a.cellStart), slices.Clone(a.rowStart)
		}
		for i, e := range a.edges {
			x0, x1 := a.col(math.Min(e.a[0], e.b[0])), a.col(math.Max(e.a[0], e.b[0]))
			y0, y1 := a.row(math.Min(e.a[1], e.b[1])), a.row(math.Max(e.a[1], e.b[1]))
			for y := y0; y <= y1; y++ {
				if pass == 0 {
					a.rowStart[y+1]++
				} else {
					a.rowItems[rowNext[y]] = int32(i)
					rowNext[y]++
				}
				for x := x0; x <= x1; x++ {
					k := y*a.gx + x
					if pass == 0 {
						a.cellStart[k+1]++
					} else {
						a.cellItems[cellNext[k]] = int32(i)
						cellNext[k]++
					}
				}
			}
		}
	}
}

func (a *Area) col(x float64) int {
	return max(0, min(a.gx-1, int(math.Floor((x-a.minX)/a.cw))))
}

func (a *Area) row(y float64) int {
	return max(0, min(a.gy-1, int(math.Floor((y-a.minY)/a.ch))))
}

// Contains reports whether p lies inside the area (holes excluded, even-odd rule); points exactly on the boundary may go either way.
func (a *Area) Contains(p orb.Point) bool {
	if !a.bound.Contains(p) {
		return false
	}
	r := a.row(p[1])
	in := false
	for _, i := range a.rowItems[a.rowStart[r]:a.rowStart[r+1]] {
		e := a.edges[i]
		if (e.a[1] > p[1]) != (e.b[1] > p[1]) &&
			p[0] < e.a[0]+(p[1]-e.a[1])*(e.b[0]-e.a[0])/(e.b[1]-e.a[1]) {
			in = !in
		}
	}
	return in
}

// near reports whether p is within tol meters of the area's boundary.
func (a *Area) near(p orb.Point, tol float64) bool {
	kx, ky := metersPerDegree(p[1])
	dx, dy := tol/kx, tol/ky
	if p[0] < a.bound.Min[0]-dx || p[0] > a.bound.Max[0]+dx || p[1] < a.bound.Min[1]-dy || p[1] > a.bound.Max[1]+dy {
		return false
	}
	t2 := tol * tol
	for y := a.row(p[1] - dy); y <= a.row(p[1]+dy); y++ {
		for x := a.col(p[0] - dx); x <= a.col(p[0]+dx); x++ {
			k := y*a.gx + x
			for _, i := range a.cellItems[a.cellStart[k]:a.cellStart[k+1]] {
				e := a.edges[i]
				if segDist2(p, e.a, e.b, kx, ky) <= t2 {
					return true
				}
			}
		}
	}
	return false
}

// segDist2 is the squared distance in meters from p to segment ab in the local projection (kx, ky).
func segDist2(p, a, b orb.Point, kx, ky float64) float64 {
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*ky
	t := 0.0
	if d2 := dx*dx + dy*dy; d2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/d2))
	}
	x, y := ax+t*dx, ay+t*dy
	return x*x + y*y
}

// minTol is the boundary tolerance used when the caller asks for 0: enough to absorb
// floating-point noise (about 1e-9 m here) so a road lying exactly on an edge counts as on it.
const minTol = 1e-6

// Clip returns the measure intervals of l that lie inside the area, normalized.
//
// A stretch within tolMeters of the boundary counts as inside. Each segment is split where
// it crosses an area edge and where an area vertex lies within tolMeters of it (so a road
// running along the boundary and then leaving it splits where the boundary turns away); each
// sub-piece is classified by its midpoint. Then intervals separated by gaps shorter than
// minMeters are merged, and only after that are intervals shorter than minMeters dropped, so
// two halves of a stretch broken by noise survive as one.
func (a *Area) Clip(l *Line, tolMeters, minMeters float64) Intervals {
	return a.clip(l, tolMeters, minMeters, false)
}

// clip is Clip; with grid, segments far from every edge skip splitting (see ClipGrid).
func (a *Area) clip(l *Line, tolMeters, minMeters float64, grid bool) Intervals {
	if l == nil {
		return nil
	}
	tol := math.Max(tolMeters, minTol)
	if math.IsNaN(tol) || math.IsInf(tol, 0) {
		tol = minTol
	}
	lb := l.Bound()
	kx, ky := metersPerDegree(math.Max(math.Abs(lb.Min[1]), math.Abs(lb.Max[1]))) // widest lon margin
	grown := orb.Bound{
		Min: orb.Point{a.bound.Min[0] - tol/kx, a.bound.Min[1] - tol/ky},
		Max: orb.Point{a.bound.Max[0] + tol/kx, a.bound.Max[1] + tol/ky},
	}
	if !grown.Intersects(lb) {
		return nil
	}
	var out Intervals
	ts := make([]float64, 0, 16)
	for pi, part := range l.parts {
		c := l.cum[pi]
		for i := 1; i < len(part); i++ {
			p, q := part[i-1], part[i]
			sb := orb.Bound{
				Min: orb.Point{math.Min(p[0], q[0]) - tol/kx, math.Min(p[1], q[1]) - tol/ky},
				Max: orb.Point{math.Max(p[0], q[0]) + tol/kx, math.Max(p[1], q[1]) + tol/ky},
			}
			if !sb.Intersects(a.bound) {
				continue
			}
			m0, seg := c[i-1], c[i]-c[i-1]
			if grid && a.emptyCells(sb) {
				// No edge near: the only piece is the whole segment, classified by one point.
				if a.Contains(lerp(p, q, 0.5)) {
					out = append(out, Interval{m0, m0 + seg})
				}
				continue
			}
			ts = a.splits(ts[:0], p, q, sb, tol)
			for j := 1; j < len(ts); j++ {
				t0, t1 := ts[j-1], ts[j]
				mid := lerp(p, q, (t0+t1)/2)
				if a.Contains(mid) || a.near(mid, tol) {
					out = append(out, Interval{m0 + t0*seg, m0 + t1*seg})
				}
			}
		}
	}
	return out.Normalize().mergeGaps(minMeters, minMeters)
}

// splits returns the sorted, deduplicated parameters along pq (0 and 1 included) where pq
// crosses or touches an area edge, or passes within tol meters of an area vertex.
func (a *Area) splits(ts []float64, p, q orb.Point, sb orb.Bound, tol float64) []float64 {
	ts = append(ts, 0, 1)
	kx, ky := metersPerDegree(p[1])
	rx, ry := q[0]-p[0], q[1]-p[1]
	mx, my := rx*kx, ry*ky
	l2 := mx*mx + my*my
	t2 := tol * tol
	foot := func(v orb.Point) {
		if l2 == 0 {
			return
		}
		vx, vy := (v[0]-p[0])*kx, (v[1]-p[1])*ky
		t := (vx*mx + vy*my) / l2
		if t <= 0 || t >= 1 {
			return
		}
		if ex, ey := vx-t*mx, vy-t*my; ex*ex+ey*ey <= t2 {
			ts = append(ts, t)
		}
	}
	for y := a.row(sb.Min[1]); y <= a.row(sb.Max[1]); y++ {
		for x := a.col(sb.Min[0]); x <= a.col(sb.Max[0]); x++ {
			k := y*a.gx + x
			for _, i := range a.cellItems[a.cellStart[k]:a.cellStart[k+1]] {
				e := a.edges[i]
				if math.Max(e.a[0], e.b[0]) < sb.Min[0] || math.Min(e.a[0], e.b[0]) > sb.Max[0] ||
					math.Max(e.a[1], e.b[1]) < sb.Min[1] || math.Min(e.a[1], e.b[1]) > sb.Max[1] {
					continue
				}
				sx, sy := e.b[0]-e.a[0], e.b[1]-e.a[1]
				if den := rx*sy - ry*sx; den != 0 {
					wx, wy := e.a[0]-p[0], e.a[1]-p[1]
					t := (wx*sy - wy*sx) / den
					u := (wx*ry - wy*rx) / den
					if t > 0 && t < 1 && u >= 0 && u <= 1 {
						ts = append(ts, t)
					}
				}
				// Parallel and touching cases are caught here: an edge lying along pq has its endpoints within tol.
				foot(e.a)
				foot(e.b)
			}
		}
	}
	slices.Sort(ts)
	n := 1
	for _, t := range ts[1:] {
		if t-ts[n-1] > 1e-12 {
			ts[n] = t
			n++
		}
	}
	ts = ts[:n]
	if ts[n-1] < 1 { // dedup may have dropped the exact 1 in favour of a value within 1e-12 of it
		ts[n-1] = 1
	}
	return ts
}
