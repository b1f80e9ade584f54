package geo

import (
	"cmp"
	"math"
	"slices"
)

// Interval is a stretch [From, To] of measure along a line, in meters.
type Interval struct{ From, To float64 }

// Intervals is a list of intervals; sorted and non-overlapping after Normalize.
type Intervals []Interval

// Normalize returns a new sorted list with reversed intervals turned round, NaN ones dropped, and overlapping or touching ones merged.
func (iv Intervals) Normalize() Intervals {
	out := make(Intervals, 0, len(iv))
	for _, x := range iv {
		if math.IsNaN(x.From) || math.IsNaN(x.To) {
			continue
		}
		if x.From > x.To {
			x.From, x.To = x.To, x.From
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Interval) int {
		if c := cmp.Compare(a.From, b.From); c != 0 {
			return c
		}
		return cmp.Compare(a.To, b.To)
	})
	n := 0
	for _, x := range out {
		if n > 0 && x.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, x.To)
			continue
		}
		out[n] = x
		n++
	}
	return out[:n]
}

// Total returns the summed length of the intervals (overlaps count twice unless normalized).
func (iv Intervals) Total() float64 {
	t := 0.0
	for _, x := range iv {
		t += x.To - x.From
	}
	return t
}

// mergeGaps merges neighbours of a normalized list separated by less than gap, then drops intervals shorter than min.
func (iv Intervals) mergeGaps(gap, min float64) Intervals {
	out := make(Intervals, 0, len(iv))
	for _, x := range iv {
		if len(out) > 0 && x.From-out[len(out)-1].To < gap {
			out[len(out)-1].To = max(out[len(out)-1].To, x.To)
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
