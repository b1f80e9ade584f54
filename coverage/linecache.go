package coverage

import (
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"everymeter/geo"
	"everymeter/store"
)

// lineCache holds prepared lines by row version, indexed by asset id and by bounds, so that a refresh finds
// the prepared lines it may reuse in time proportional to what it touches, not to what the cache holds (a
// province keeps hundreds of thousands). One version per asset is kept: a newer one replaces the older.
type lineCache struct {
	byKey map[store.RowKey]*geo.Line
	byID  map[int64]store.RowKey
	tree  rtree.RTreeG[store.RowKey]
}

func newLineCache() *lineCache {
	return &lineCache{byKey: map[store.RowKey]*geo.Line{}, byID: map[int64]store.RowKey{}}
}

func (c *lineCache) len() int { return len(c.byKey) }

// put adds a prepared line, dropping the asset's older version.
func (c *lineCache) put(k store.RowKey, l *geo.Line) {
	if old, ok := c.byID[k.ID]; ok {
		if old == k {
			return
		}
		c.drop(old)
	}
	c.byKey[k], c.byID[k.ID] = l, k
	b := l.Bound()
	c.tree.Insert(b.Min, b.Max, k)
}

func (c *lineCache) drop(k store.RowKey) {
	l := c.byKey[k]
	if l == nil {
		return
	}
	b := l.Bound()
	c.tree.Delete(b.Min, b.Max, k)
	delete(c.byKey, k)
	if c.byID[k.ID] == k {
		delete(c.byID, k.ID)
	}
}

// ofIDs adds to out the cached lines of the given assets.
func (c *lineCache) ofIDs(ids []int64, out map[store.RowKey]*geo.Line) {
	for _, id := range ids {
		if k, ok := c.byID[id]; ok {
			out[k] = c.byKey[k]
		}
	}
}

// meeting adds to out the cached lines whose bounds meet one of bounds.
func (c *lineCache) meeting(bounds []orb.Bound, out map[store.RowKey]*geo.Line) {
	for _, b := range bounds {
		c.tree.Search(b.Min, b.Max, func(_, _ [2]float64, k store.RowKey) bool {
			out[k] = c.byKey[k]
			return true
		})
	}
}

// all adds every cached line to out (a full recompute).
func (c *lineCache) all(out map[store.RowKey]*geo.Line) {
	for k, l := range c.byKey {
		out[k] = l
	}
}
