package coverage

import (
	"math"

	"github.com/paulmach/orb"

	"everymeter/geo"
)

// clipZone returns the stretches of line inside area: strictly inside (split exactly where the line crosses
// the boundary), plus stretches that run within Tolerance of the boundary.
//
// geo.Area.Clip with a tolerance classifies each sub-piece between split points by its midpoint, so a short
// sub-piece next to a crossing — where the road leaves the zone for a few meters around a corner of its
// boundary, or starts just outside it — counts as inside as a whole when only its middle is near the
// boundary. The per-meter oracle against PostGIS found such stretches (up to 4 m lost on the Liechtenstein
// network). So the tolerant result is used only where it adds to the strict one, and those additions are
// re-checked every quarter meter: only the parts actually within Tolerance of the boundary are kept.
func clipZone(a *geo.Area, line *geo.Line) geo.Intervals {
	// Most lines lie wholly inside or outside a zone, away from its boundary: the zone's edge grid says
	// so from the line's bound alone, and only lines near the boundary are clipped.
	switch a.Relate(line.Bound(), Tolerance) {
	case geo.Inside:
		return geo.Intervals{{From: 0, To: line.Length()}}
	case geo.Outside:
		return nil
	}
	tolerant := a.ClipGrid(line, Tolerance, 0)
	if len(tolerant) == 0 {
		return nil // the common case: a line in the zone's bounds but not near the zone
	}
	strict := a.ClipGrid(line, 0, 0)
	if len(strict) == 1 && strict[0].From <= 0 && strict[0].To >= line.Length() {
		return strict // wholly inside: the tolerance cannot add anything
	}
	out := append(geo.Intervals{}, strict...)
	for _, d := range subtract(tolerant, strict) {
		out = append(out, nearRuns(a, line, d)...)
	}
	return mergeShort(out.Normalize(), MinPiece)
}

// nearStep is the resolution, in meters, of the re-check of tolerant additions.
const nearStep = 0.25

// nearRuns returns the parts of d whose points lie inside area or within Tolerance of its boundary,
// sampled every nearStep meters; run ends fall halfway between samples (or on d's ends).
func nearRuns(a *geo.Area, line *geo.Line, d geo.Interval) geo.Intervals {
	n := max(1, int(math.Ceil((d.To-d.From)/nearStep)))
	step := (d.To - d.From) / float64(n)
	var out geo.Intervals
	start := -1.0
	for k := 0; k < n; k++ {
		m := d.From + (float64(k)+0.5)*step
		in := nearArea(a, line.PointAt(m))
		switch {
		case in && start < 0:
			start = d.From + float64(k)*step
		case !in && start >= 0:
			out = append(out, geo.Interval{From: start, To: d.From + float64(k)*step})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, geo.Interval{From: start, To: d.To})
	}
	return out
}

// nearArea reports whether p is inside a or within Tolerance of its boundary (through Clip of a
// degenerate line, the only way geo offers to ask).
func nearArea(a *geo.Area, p orb.Point) bool {
	l, err := geo.NewLine(orb.LineString{p, {p[0] + 1e-9, p[1]}})
	if err != nil {
		return false
	}
	return len(a.Clip(l, Tolerance, 0)) > 0
}

// subtract returns the parts of normalized a not in normalized b.
func subtract(a, b geo.Intervals) geo.Intervals {
	var out geo.Intervals
	j := 0
	for _, x := range a {
		from := x.From
		for j < len(b) && b[j].To <= from {
			j++
		}
		for k := j; k < len(b) && b[k].From < x.To; k++ {
			if b[k].From > from {
				out = append(out, geo.Interval{From: from, To: b[k].From})
			}
			from = math.Max(from, b[k].To)
		}
		if from < x.To {
			out = append(out, geo.Interval{From: from, To: x.To})
		}
	}
	return out
}

// mergeShort merges neighbours of a normalized list separated by less than min meters, then drops
// intervals shorter than min (the same noise rule geo.Area.Clip applies).
func mergeShort(iv geo.Intervals, min float64) geo.Intervals {
	var out geo.Intervals
	for _, x := range iv {
		if n := len(out); n > 0 && x.From-out[n-1].To < min {
			out[n-1].To = math.Max(out[n-1].To, x.To)
			continue
		}
		out = append(out, x)
	}
	n := 0
	for _, x := range out {
		if x.To-x.From >= min {
			out[n] = x
			n++
		}
	}
	return out[:n]
}
