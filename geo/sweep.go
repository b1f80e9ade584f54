package geo

import (
	"cmp"
	"math"
	"slices"
)

// Claim says that unit Owner is responsible for [From, To] of a line, in meters.
type Claim struct {
	From, To float64
	Owner    int64 // unit id
}

// Piece is a stretch of a line with a constant set of owners: none is a gap, one is covered, several an overlap.
type Piece struct {
	From, To float64
	Owners   []int64 // sorted, unique, never nil
}

// Sweep splits [0,length] into maximal pieces with constant owner sets.
//
// Claims are clamped to [0,length]; empty or NaN claims are ignored. Adjacent pieces with
// identical owner sets are merged. Then, while some piece is shorter than minMeters and
// there is more than one piece, the shortest such piece (the first one on ties) is absorbed
// into its longer neighbour (the preceding one on ties): the neighbour grows over it and
// keeps its own owner set, and neighbours that end up with equal owner sets are merged.
// This removes digitising noise such as a 0.3 m overlap where two units' polygons meet,
// and a line shorter than minMeters still yields one piece. A length that is not > 0 gives nil.
func Sweep(length float64, claims []Claim, minMeters float64) []Piece {
	if !(length > 0) || math.IsInf(length, 0) {
		return nil
	}
	type event struct {
		at    float64
		delta int
		owner int64
	}
	events := make([]event, 0, 2*len(claims))
	for _, c := range claims {
		f, t := math.Max(c.From, 0), math.Min(c.To, length)
		if math.IsNaN(c.From) || math.IsNaN(c.To) || !(t > f) {
			continue
		}
		events = append(events, event{f, +1, c.Owner}, event{t, -1, c.Owner})
	}
	slices.SortFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })

	var pieces []Piece
	count := map[int64]int{}
	pos, ei := 0.0, 0
	for pos < length {
		for ei < len(events) && events[ei].at <= pos {
			count[events[ei].owner] += events[ei].delta
			if count[events[ei].owner] == 0 {
				delete(count, events[ei].owner)
			}
			ei++
		}
		next := length
		if ei < len(events) {
			next = events[ei].at
		}
		owners := make([]int64, 0, len(count))
		for o := range count {
			owners = append(owners, o)
		}
		slices.Sort(owners)
		if n := len(pieces); n > 0 && slices.Equal(pieces[n-1].Owners, owners) {
			pieces[n-1].To = next
		} else {
			pieces = append(pieces, Piece{From: pos, To: next, Owners: owners})
		}
		pos = next
	}
	return absorbShort(pieces, minMeters)
}

// absorbShort applies Sweep's absorption rule.
func absorbShort(p []Piece, minMeters float64) []Piece {
	for len(p) > 1 {
		idx := -1
		for i, x := range p {
			if l := x.To - x.From; l < minMeters && (idx < 0 || l < p[idx].To-p[idx].From) {
				idx = i
			}
		}
		if idx < 0 {
			break
		}
		into := idx - 1
		if idx == 0 || (idx+1 < len(p) && p[idx+1].To-p[idx+1].From > p[idx-1].To-p[idx-1].From) {
			into = idx + 1
		}
		if into < idx {
			p[into].To = p[idx].To
		} else {
			p[into].From = p[idx].From
		}
		p = slices.Delete(p, idx, idx+1)
		// The absorbed piece's two neighbours are now adjacent at idx-1 and idx.
		if idx > 0 && idx < len(p) && slices.Equal(p[idx-1].Owners, p[idx].Owners) {
			p[idx-1].To = p[idx].To
			p = slices.Delete(p, idx, idx+1)
		}
	}
	return p
}
