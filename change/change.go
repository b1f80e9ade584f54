// Package change describes what one committed unit of work changed — kinds of record, their ids and the
// lon/lat bounds where they lie (or lay) — and carries it, once per commit, to the subscribers that keep
// derived views current (the vector tile cache today; other servers, over LISTEN/NOTIFY, later).
//
// An Event is small and plain on purpose so that it can be serialised (JSON: a few hundred bytes for a
// zone edit) and sent between processes; it never holds geometry, only its bounds. A subscriber that needs
// the data itself reads it from the database, which has committed before the event is published.
package change

import (
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// Kind names what changed.
type Kind string

// The kinds of change. Coverage is the computed coverage of the listed assets (pieces and support), which
// the coverage engine rewrites in the same unit of work as the zone, assignment or asset edit behind it.
const (
	Asset      Kind = "asset"
	Zone       Kind = "zone"
	Assignment Kind = "assignment"
	Coverage   Kind = "coverage"
	Report     Kind = "report"
	Unit       Kind = "unit"
	Category   Kind = "category"
	Base       Kind = "base"   // base-map features (land use, water, buildings, places)
	Patrol     Kind = "patrol" // a recorded patrol: its bounds are the assets it was matched to
)

// Limits that keep an event small whatever the size of the write (a full recompute or an import batch
// changes thousands of rows): past them the ids are dropped and the bounds merged into one.
const (
	MaxIDs    = 256
	MaxBounds = 64
)

// Bound is a lon/lat box [minLon, minLat, maxLon, maxLat], the order of bbox= parameters.
type Bound [4]float64

// BoundOf converts an orb bound.
func BoundOf(b orb.Bound) Bound { return Bound{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} }

// Orb converts the bound back.
func (b Bound) Orb() orb.Bound {
	return orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}

// Change is what one unit of work changed of one kind.
type Change struct {
	Kind Kind `json:"kind"`
	// IDs are the changed records, sorted; empty when they were too many to list (or not known, as for a
	// bulk import), in which case Bounds still say where they are.
	IDs []int64 `json:"ids,omitempty"`
	// Bounds hold every changed record, old and new shapes alike.
	Bounds []Bound `json:"bounds,omitempty"`
	// Many says that IDs were dropped for size.
	Many bool `json:"many,omitempty"`
}

// Event is what one committed unit of work changed, one Change per kind in the order of first change.
type Event struct {
	// Seq numbers events for a transport that must detect gaps (LISTEN/NOTIFY); in-process it is 0.
	Seq     int64    `json:"seq,omitempty"`
	Changes []Change `json:"changes"`
}

// Empty reports whether nothing changed.
func (e Event) Empty() bool { return len(e.Changes) == 0 }

// Of returns the change of kind k (nil: none).
func (e Event) Of(k Kind) *Change {
	for i := range e.Changes {
		if e.Changes[i].Kind == k {
			return &e.Changes[i]
		}
	}
	return nil
}

// Set collects the changes of one unit of work; it is safe for concurrent use. The zero value is empty.
type Set struct {
	mu      sync.Mutex
	changes []Change
}

// Add records that record id of kind k changed (id 0: records not named, as in a bulk write) and where it
// lies or lay; geometries that are nil are skipped (an orb.Bound is a geometry too).
func (s *Set) Add(k Kind, id int64, geoms ...orb.Geometry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.of(k)
	if id != 0 && !c.Many {
		if i, found := slices.BinarySearch(c.IDs, id); !found {
			c.IDs = slices.Insert(c.IDs, i, id)
		}
		if len(c.IDs) > MaxIDs {
			c.IDs, c.Many = nil, true
		}
	}
	for _, g := range geoms {
		if g == nil {
			continue
		}
		b := BoundOf(g.Bound())
		if !slices.Contains(c.Bounds, b) {
			c.Bounds = append(c.Bounds, b)
		}
	}
	if len(c.Bounds) > MaxBounds {
		u := c.Bounds[0].Orb()
		for _, b := range c.Bounds[1:] {
			u = u.Union(b.Orb())
		}
		c.Bounds = []Bound{BoundOf(u)}
	}
}

// of returns the change of kind k, adding it when new (s.mu held).
func (s *Set) of(k Kind) *Change {
	for i := range s.changes {
		if s.changes[i].Kind == k {
			return &s.changes[i]
		}
	}
	s.changes = append(s.changes, Change{Kind: k})
	return &s.changes[len(s.changes)-1]
}

// Event returns a copy of what the set holds.
func (s *Set) Event() Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Event{Changes: make([]Change, len(s.changes))}
	for i, c := range s.changes {
		out.Changes[i] = Change{Kind: c.Kind, IDs: slices.Clone(c.IDs), Bounds: slices.Clone(c.Bounds), Many: c.Many}
	}
	return out
}

// Bus hands every published event to its subscribers, synchronously and in the publisher's goroutine, so a
// write returns only after the caches have forgotten what it changed (a client then reads its own write).
// Publish is the one place every committed change passes through: a second transport (LISTEN/NOTIFY, with
// its sequence number) is added here or as one more subscriber.
type Bus struct {
	mu   sync.RWMutex
	subs []func(Event)
}

// Subscribe registers fn for every later event.
func (b *Bus) Subscribe(fn func(Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
}

// Publish tells every subscriber ev; call it only after the changes committed (a subscriber told before the
// commit could let a reader cache the old state again).
func (b *Bus) Publish(ev Event) {
	if ev.Empty() {
		return
	}
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, fn := range subs {
		fn(ev)
	}
}
