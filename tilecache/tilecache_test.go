package tilecache

import (
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func load(t *testing.T, c *Cache, k Key, b orb.Bound, data string) *Tile {
	t.Helper()
	tl, err := c.Load(k, b, func() ([]byte, error) { return []byte(data), nil })
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestInvalidateBoundIsPrecise fills the cache with every tile of zooms 10–14 around a point and checks
// that a write forgets exactly the tiles whose envelope meets its bound, at every zoom.
func TestInvalidateBoundIsPrecise(t *testing.T) {
	c := New(1 << 30)
	center := orb.Point{9.52, 47.14}
	bounds := map[Key]orb.Bound{}
	for z := maptile.Zoom(10); z <= 14; z++ {
		ct := maptile.At(center, z)
		for dx := -3; dx <= 3; dx++ {
			for dy := -3; dy <= 3; dy++ {
				tl := maptile.New(uint32(int(ct.X)+dx), uint32(int(ct.Y)+dy), z)
				k := Key{Layer: "road", Z: uint32(z), X: tl.X, Y: tl.Y}
				bounds[k] = tl.Bound()
				load(t, c, k, tl.Bound(), k.String())
			}
		}
	}
	// Two records of one committed change, far enough apart that the tiles between them stay.
	writes := []orb.Bound{
		{Min: orb.Point{9.521, 47.141}, Max: orb.Point{9.5215, 47.1412}},
		{Min: orb.Point{9.59, 47.10}, Max: orb.Point{9.5901, 47.1001}},
	}
	meets := func(b orb.Bound) bool { return b.Intersects(writes[0]) || b.Intersects(writes[1]) }
	n := c.InvalidateBounds(writes...)
	gone := 0
	for k, b := range bounds {
		if c.Contains(k) == meets(b) {
			t.Errorf("%v: cached %v after a write that meets it: %v", k, c.Contains(k), meets(b))
		}
		if meets(b) {
			gone++
		}
	}
	if n != gone || gone < 10 || gone > 40 || gone == len(bounds) {
		t.Errorf("forgot %d tiles, %d (of %d) met the writes", n, gone, len(bounds))
	}
}

// TestBuildRacingAWrite: a tile built from data read before a write must not be cached after it.
func TestBuildRacingAWrite(t *testing.T) {
	c := New(1 << 20)
	k := Key{Layer: "road", Z: 14, X: 1, Y: 1}
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	_, err := c.Load(k, b, func() ([]byte, error) {
		c.InvalidateBounds(orb.Bound{Min: orb.Point{0.5, 0.5}, Max: orb.Point{0.6, 0.6}}) // commits while we read
		return []byte("old"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Contains(k) {
		t.Error("a tile built across a write that touched it was cached")
	}
	// a write elsewhere does not stop caching
	_, _ = c.Load(k, b, func() ([]byte, error) {
		c.InvalidateBounds(orb.Bound{Min: orb.Point{5, 5}, Max: orb.Point{6, 6}})
		return []byte("new"), nil
	})
	if !c.Contains(k) {
		t.Error("a write elsewhere kept the tile out of the cache")
	}
}

func TestLRUEvictsBySize(t *testing.T) {
	c := New(10 * 1200)
	b := orb.Bound{Max: orb.Point{1, 1}}
	for i := 0; i < 20; i++ {
		load(t, c, Key{Layer: "l", X: uint32(i)}, b, string(make([]byte, 1000)))
	}
	if s := c.Stats(); s.Tiles != 10 || s.Evictions != 10 {
		t.Errorf("stats %+v", s)
	}
	if c.Contains(Key{Layer: "l", X: 0}) || !c.Contains(Key{Layer: "l", X: 19}) {
		t.Error("evicted the wrong end")
	}
}

func TestConcurrentLoadsBuildOnce(t *testing.T) {
	c := New(1 << 20)
	var mu sync.Mutex
	builds := 0
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _ = c.Load(Key{Layer: "x"}, orb.Bound{}, func() ([]byte, error) {
				mu.Lock()
				builds++
				mu.Unlock()
				return []byte("t"), nil
			})
		}()
	}
	close(start)
	wg.Wait()
	if builds != 1 { // callers arriving after the first build finished hit the cache
		t.Errorf("%d builds for one tile", builds)
	}
}
