// Package tilecache keeps built vector tiles in memory, least recently used first out, and forgets exactly
// the tiles a write can have changed: those whose (buffered) envelope meets the written geometry's bound.
package tilecache

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"golang.org/x/sync/singleflight"
)

// Key names one tile of one layer.
type Key struct {
	Layer   string
	Z, X, Y uint32
}

func (k Key) String() string {
	return k.Layer + "/" + strconv.FormatUint(uint64(k.Z), 10) + "/" + strconv.FormatUint(uint64(k.X), 10) + "/" + strconv.FormatUint(uint64(k.Y), 10)
}

// Tile is a built tile: its bytes, their strong ETag and, made on first demand, their gzip encoding.
type Tile struct {
	Data []byte
	ETag string

	gzOnce sync.Once
	gz     []byte
}

// NewTile wraps built tile bytes, computing the ETag.
func NewTile(data []byte) *Tile {
	h := sha256.Sum256(data)
	return &Tile{Data: data, ETag: `"` + hex.EncodeToString(h[:12]) + `"`}
}

// Gzip returns the gzip encoding of the tile, compressing it once.
func (t *Tile) Gzip() []byte {
	t.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		_, _ = zw.Write(t.Data)
		_ = zw.Close()
		t.gz = b.Bytes()
	})
	return t.gz
}

type entry struct {
	key   Key
	tile  *Tile
	bound orb.Bound
	size  int64
}

// invalidation remembers a recent InvalidateBounds, so a tile built from data read before it is not stored after it.
type invalidation struct {
	gen    uint64
	bounds []orb.Bound
	all    bool
}

// meets reports whether the invalidation touches a tile whose envelope is b.
func (inv invalidation) meets(b orb.Bound) bool {
	if inv.all {
		return true
	}
	for _, x := range inv.bounds {
		if x.Intersects(b) {
			return true
		}
	}
	return false
}

// recent is how many invalidations are remembered; a build that saw more happen meanwhile is not stored.
const recent = 256

// Cache is an LRU of tiles bounded by their total size in bytes. It is safe for concurrent use.
type Cache struct {
	maxBytes int64

	mu    sync.Mutex
	ll    *list.List // front = most recently used
	items map[Key]*list.Element
	bytes int64
	gen   uint64
	ring  [recent]invalidation

	flight singleflight.Group

	hits, misses, evictions, invalidated uint64
}

// New makes a cache holding at most maxBytes of tiles (≤ 0 disables caching: every Load builds).
func New(maxBytes int64) *Cache {
	return &Cache{maxBytes: maxBytes, ll: list.New(), items: map[Key]*list.Element{}}
}

// Get returns a cached tile.
func (c *Cache) Get(k Key) (*Tile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		c.hits++
		return el.Value.(*entry).tile, true
	}
	c.misses++
	return nil, false
}

// Load returns the cached tile or builds it (once, however many callers ask at the same time) and caches
// it. bound is the lon/lat area whose data the tile shows, buffer included.
func (c *Cache) Load(k Key, bound orb.Bound, build func() ([]byte, error)) (*Tile, error) {
	if c.maxBytes <= 0 { // no cache: every request builds its own tile, as the bare query would
		data, err := build()
		if err != nil {
			return nil, err
		}
		return NewTile(data), nil
	}
	if t, ok := c.Get(k); ok {
		return t, nil
	}
	v, err, _ := c.flight.Do(k.String(), func() (any, error) {
		// A flight that finished between our Get and this Do has already stored the tile.
		if t, ok := c.Get(k); ok {
			return t, nil
		}
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		data, err := build()
		if err != nil {
			return nil, err
		}
		t := NewTile(data)
		c.put(k, bound, t, gen)
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tile), nil
}

// put stores a tile built from data read at generation gen, unless an invalidation since then touched it.
func (c *Cache) put(k Key, b orb.Bound, t *Tile, gen uint64) {
	if c.maxBytes <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen-gen >= recent {
		return
	}
	for g := gen + 1; g <= c.gen; g++ {
		if c.ring[g%recent].meets(b) {
			return
		}
	}
	size := int64(len(t.Data)) + 200
	if el, ok := c.items[k]; ok {
		c.remove(el)
	}
	c.items[k] = c.ll.PushFront(&entry{key: k, tile: t, bound: b, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes && c.ll.Len() > 0 {
		c.remove(c.ll.Back())
		c.evictions++
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// InvalidateBounds forgets every cached tile whose envelope meets one of bs, in one pass over the cache
// (a committed change brings a bound per changed record), and returns how many it forgot.
func (c *Cache) InvalidateBounds(bs ...orb.Bound) int {
	if len(bs) == 0 {
		return 0
	}
	inv := invalidation{bounds: slices.Clone(bs)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	inv.gen = c.gen
	c.ring[c.gen%recent] = inv
	n := 0
	for el := c.ll.Front(); el != nil; {
		next := el.Next()
		if inv.meets(el.Value.(*entry).bound) {
			c.remove(el)
			n++
		}
		el = next
	}
	c.invalidated += uint64(n)
	return n
}

// Purge forgets every tile.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.ring[c.gen%recent] = invalidation{gen: c.gen, all: true}
	c.ll.Init()
	c.items = map[Key]*list.Element{}
	c.bytes = 0
}

// Stats are the cache's counters.
type Stats struct {
	Tiles                                int
	Bytes                                int64
	Hits, Misses, Evictions, Invalidated uint64
}

// Stats returns the current counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Tiles: c.ll.Len(), Bytes: c.bytes, Hits: c.hits, Misses: c.misses, Evictions: c.evictions, Invalidated: c.invalidated}
}

// Contains reports whether a tile is cached (without counting a hit).
func (c *Cache) Contains(k Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.items[k]
	return ok
}

// Tiles returns a snapshot of the cached tiles (for tests that check them against fresh builds).
func (c *Cache) Tiles() map[Key]*Tile {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[Key]*Tile, len(c.items))
	for k, el := range c.items {
		out[k] = el.Value.(*entry).tile
	}
	return out
}
