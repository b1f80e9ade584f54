package coverage

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"

	"everymeter/change"
	"everymeter/store"
)

// The owner index answers owner lookups for now from memory: every linear asset (geometry in an R-tree), its
// stored pieces and lead assignments, and the units. A lookup through the database is five index probes in one
// round trip, about a millisecond of server CPU; on two cores sixteen clients then queue for tens of
// milliseconds. From memory a lookup is a few microseconds of R-tree search and line location.
//
// It stays exact the way the tile cache does: every committed unit of work, this server's (published
// synchronously, before the write returns) or another's (its LISTEN/NOTIFY notice), names the bounds of the
// assets, pieces and assignments it changed, and the index marks those bounds stale at once. A lookup whose
// search box meets a stale bound, or any lookup while the index is (re)loading (start, resync after a missed
// notice), is answered by the database as before; a background loader re-reads the stale bounds and clears
// them. Lookups for another time, and those with no street within reach (decided by zone), use the database.

// ownerReach is the half-side of the box searched around a lookup point, in meters: more than OwnerTolerance
// plus AmbiguityM, so that every asset the decision can involve lies inside it.
const ownerReach = 45.0

// maxDirty is how many stale bounds are kept before the index gives up on them and reloads everything.
const maxDirty = 4096

type ownerIndex struct {
	st *store.Store

	mu         sync.RWMutex
	lines      map[int64]*indexedLine
	tree       rtree.RTreeG[int64]
	units      map[int64]store.Unit
	whole      bool // everything is pending: not loaded yet, or resynchronising
	unitsStale bool
	dirty      []orb.Bound
	gen        uint64 // raised by every resync

	wake   chan struct{}
	loaded chan struct{} // closed after the first full load
	once   sync.Once
	hits   atomic.Int64 // lookups answered from memory
	misses atomic.Int64 // lookups for now passed to the database
}

type indexedLine struct {
	a      store.CoverageAsset
	bound  orb.Bound
	pieces []store.CoveragePiece
	asg    []store.Assignment
}

// IndexOwners makes the engine answer owner lookups for now from memory (see ownerindex.go), loading the index
// from st in the background until ctx ends; until it is loaded lookups use the database. Wire Changed to the
// service's committed changes, or the index goes stale.
func (e *Engine) IndexOwners(ctx context.Context, st *store.Store) {
	ix := &ownerIndex{st: st, whole: true, lines: map[int64]*indexedLine{}, units: map[int64]store.Unit{},
		wake: make(chan struct{}, 1), loaded: make(chan struct{})}
	if !e.owners.CompareAndSwap(nil, ix) {
		return
	}
	go ix.run(ctx, e)
}

// OwnersIndexed waits until the owner index has been loaded once (at once when there is none).
func (e *Engine) OwnersIndexed(ctx context.Context) error {
	ix := e.owners.Load()
	if ix == nil {
		return nil
	}
	select {
	case <-ix.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// OwnerIndexStats returns how many owner lookups for now the index answered and how many went to the database.
func (e *Engine) OwnerIndexStats() (fromMemory, fromDatabase int64) {
	if ix := e.owners.Load(); ix != nil {
		return ix.hits.Load(), ix.misses.Load()
	}
	return 0, 0
}

// Changed marks stale what a committed unit of work changed; subscribe it to the service's changes.
func (e *Engine) Changed(ev change.Event) {
	ix := e.owners.Load()
	if ix == nil {
		return
	}
	ix.mu.Lock()
	for _, c := range ev.Changes {
		switch c.Kind {
		case change.Asset, change.Coverage, change.Assignment:
			if len(c.Bounds) == 0 {
				ix.whole = true
			}
			for _, b := range c.Bounds {
				ix.dirty = append(ix.dirty, b.Orb())
			}
		case change.Unit:
			ix.unitsStale = true
		}
	}
	if len(ix.dirty) > maxDirty {
		ix.whole = true
	}
	ix.mu.Unlock()
	ix.poke()
}

// resync marks everything stale.
func (ix *ownerIndex) resync() {
	ix.mu.Lock()
	ix.whole, ix.dirty = true, nil
	ix.gen++
	ix.mu.Unlock()
	ix.poke()
}

func (ix *ownerIndex) poke() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// run reloads what is stale until ctx ends.
func (ix *ownerIndex) run(ctx context.Context, e *Engine) {
	for ctx.Err() == nil {
		ix.mu.RLock()
		whole, us, gen, n := ix.whole, ix.unitsStale, ix.gen, len(ix.dirty)
		bs := slices.Clone(ix.dirty)
		ix.mu.RUnlock()
		if !whole && !us && n == 0 {
			select {
			case <-ix.wake:
			case <-ctx.Done():
			}
			continue
		}
		var err error
		if whole {
			t := time.Now()
			if err = ix.loadAll(ctx, gen, n); err == nil {
				ix.mu.RLock()
				lines, current := len(ix.lines), ix.gen == gen
				ix.mu.RUnlock()
				if current {
					e.Log.Info("owner index loaded", "lines", lines, "took", time.Since(t).Round(time.Millisecond))
				}
			}
		} else {
			err = ix.loadBounds(ctx, gen, bs, us)
		}
		if err != nil && ctx.Err() == nil {
			e.Log.Warn("owner index: reload failed; lookups use the database meanwhile", "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
}

// loadAll reads everything and replaces the index, unless a resync came meanwhile; the first n stale bounds,
// marked before the read began, are covered by it.
func (ix *ownerIndex) loadAll(ctx context.Context, gen uint64, n int) error {
	units, err := ix.st.Units(ctx)
	if err != nil {
		return err
	}
	d, err := ix.st.OwnerIndexData(ctx, linearKinds(), nil)
	if err != nil {
		return err
	}
	lines := map[int64]*indexedLine{}
	var tree rtree.RTreeG[int64]
	for _, l := range group(d) {
		lines[l.a.ID] = l
		tree.Insert(l.bound.Min, l.bound.Max, l.a.ID)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.gen != gen {
		return nil
	}
	ix.lines, ix.tree, ix.units = lines, tree, unitMap(units)
	ix.whole, ix.unitsStale, ix.dirty = false, false, slices.Delete(ix.dirty, 0, min(n, len(ix.dirty)))
	ix.once.Do(func() { close(ix.loaded) })
	return nil
}

// loadBounds re-reads the stale bounds bs (the first len(bs) of the list) and, with us, the units.
func (ix *ownerIndex) loadBounds(ctx context.Context, gen uint64, bs []orb.Bound, us bool) error {
	var units []store.Unit
	if us {
		var err error
		if units, err = ix.st.Units(ctx); err != nil {
			return err
		}
	}
	// Nearby bounds (a zone edit's assets) are read in one query; far-apart ones each in their own.
	var regions []orb.Bound
	for _, b := range bs {
		if k := len(regions) - 1; k >= 0 && near(regions[k].Union(b)) {
			regions[k] = regions[k].Union(b)
		} else {
			regions = append(regions, b)
		}
	}
	type read struct {
		b     orb.Bound
		lines []*indexedLine
	}
	var reads []read
	for _, b := range regions {
		d, err := ix.st.OwnerIndexData(ctx, linearKinds(), &b)
		if err != nil {
			return err
		}
		reads = append(reads, read{b, group(d)})
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.gen != gen || ix.whole {
		return nil
	}
	for _, r := range reads {
		var old []int64
		ix.tree.Search(r.b.Min, r.b.Max, func(_, _ [2]float64, id int64) bool {
			old = append(old, id)
			return true
		})
		for _, id := range old {
			ix.drop(id)
		}
		for _, l := range r.lines {
			ix.drop(l.a.ID)
			ix.lines[l.a.ID] = l
			ix.tree.Insert(l.bound.Min, l.bound.Max, l.a.ID)
		}
	}
	if us {
		ix.units, ix.unitsStale = unitMap(units), false
	}
	ix.dirty = slices.Delete(ix.dirty, 0, min(len(bs), len(ix.dirty)))
	return nil
}

func (ix *ownerIndex) drop(id int64) {
	if l, ok := ix.lines[id]; ok {
		ix.tree.Delete(l.bound.Min, l.bound.Max, id)
		delete(ix.lines, id)
	}
}

// near says a merged region is small enough (about 5 km) to read in one query.
func near(b orb.Bound) bool { return b.Max[0]-b.Min[0] < 0.05 && b.Max[1]-b.Min[1] < 0.05 }

// group puts the pieces and assignments of d with their assets.
func group(d store.OwnerIndexData) []*indexedLine {
	by := make(map[int64]*indexedLine, len(d.Assets))
	out := make([]*indexedLine, 0, len(d.Assets))
	for _, a := range d.Assets {
		if a.Geom == nil {
			continue
		}
		l := &indexedLine{a: a, bound: a.Geom.Bound()}
		by[a.ID] = l
		out = append(out, l)
	}
	for _, p := range d.Pieces {
		if l := by[p.AssetID]; l != nil {
			l.pieces = append(l.pieces, p)
		}
	}
	for _, s := range d.Assignments {
		if l := by[s.AssetID]; l != nil {
			l.asg = append(l.asg, s)
		}
	}
	return out
}

func unitMap(us []store.Unit) map[int64]store.Unit {
	m := make(map[int64]store.Unit, len(us))
	for _, u := range us {
		m[u.ID] = u
	}
	return m
}

// lookup returns what store.OwnerLookup would for p now, without zones, or false when the index cannot say
// (loading, stale near p, or no asset within reach: then the zones decide, read from the database).
func (ix *ownerIndex) lookup(p orb.Point, now time.Time) (store.OwnerData, bool) {
	dlat := ownerReach / 110540
	dlon := ownerReach / (111320 * math.Max(math.Cos(p[1]*math.Pi/180), 0.01))
	box := orb.Bound{Min: orb.Point{p[0] - dlon, p[1] - dlat}, Max: orb.Point{p[0] + dlon, p[1] + dlat}}
	var d store.OwnerData
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.whole || ix.unitsStale {
		return d, false
	}
	for _, b := range ix.dirty {
		if b.Intersects(box) {
			return d, false
		}
	}
	type cand struct {
		l *indexedLine
		d float64
	}
	var cs []cand
	ix.tree.Search(box.Min, box.Max, func(_, _ [2]float64, id int64) bool {
		l := ix.lines[id]
		cs = append(cs, cand{l, planar.DistanceFrom(l.a.Geom, p)})
		return true
	})
	if len(cs) == 0 {
		return d, false
	}
	// The database's KNN order: planar distance in degrees, the knn nearest.
	slices.SortFunc(cs, func(x, y cand) int { return cmp.Or(cmp.Compare(x.d, y.d), cmp.Compare(x.l.a.ID, y.l.a.ID)) })
	cs = cs[:min(len(cs), knn)]
	var unitIDs []int64
	for _, c := range cs {
		d.Assets = append(d.Assets, c.l.a)
		d.Pieces = append(d.Pieces, c.l.pieces...)
		for _, s := range c.l.asg {
			if (s.ValidFrom == nil || !s.ValidFrom.After(now)) && (s.ValidTo == nil || s.ValidTo.After(now)) {
				d.Assignments = append(d.Assignments, s)
			}
		}
		for _, pc := range c.l.pieces {
			unitIDs = append(unitIDs, pc.UnitIDs...)
		}
	}
	slices.Sort(unitIDs)
	for _, id := range slices.Compact(unitIDs) {
		if u, ok := ix.units[id]; ok {
			d.Units = append(d.Units, u)
		}
	}
	return d, true
}
