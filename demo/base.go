package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"everymeter/vocab"
)

// BaseFeature is one feature of the demo town's base map: land use, water, a building or a place label.
type BaseFeature struct {
	SourceID    string
	Layer       vocab.BaseLayer
	Class, Name string
	Geom        orb.Geometry
}

// base draws the base map from the finished town with a stream of its own, so the town itself stays exactly
// as it was: a land-use polygon per block (commercial where the markets and commercial streets are), the parks'
// green, buildings along the block edges clear of every alley and feature, a river south of the town with
// ponds in some parks, and the names of the town and its communities.
func (g *gen) base() {
	rng := rand.New(rand.NewPCG(seedHi, 0xBA5E))
	add := func(id string, layer vocab.BaseLayer, class, name string, geom orb.Geometry) {
		g.town.Base = append(g.town.Base, BaseFeature{SourceID: id, Layer: layer, Class: class, Name: name, Geom: geom})
	}
	commercial := map[[2]int]bool{vStreet: true, hStreet: true}
	for cell := range marketCells {
		commercial[cell] = true
	}
	type acc struct {
		sum xy
		n   int
	}
	communities := map[string]*acc{}
	for _, b := range g.blockList {
		cell := [2]int{b.r, b.c}
		ring := region(shift(b.S, 11), shift(b.N, -11), shift(b.W, 11), shift(b.E, -11), b.guess)
		class := "residential"
		if commercial[cell] {
			class = "commercial"
		}
		add(fmt.Sprintf("block-%d-%d", b.r, b.c), vocab.LandUse, class, "", polygon(ring))
		if _, label := blockOwner(b.r, b.c); label != "" {
			a := communities[label]
			if a == nil {
				a = &acc{}
				communities[label] = a
			}
			a.sum, a.n = a.sum.add(b.guess), a.n+1
		}
		g.buildings(rng, b, add)
	}
	for _, a := range g.town.Assets {
		if a.Kind != vocab.Park {
			continue
		}
		add("green-"+a.SourceID, vocab.LandUse, "park", a.Name, a.Geom)
		if rng.IntN(2) == 0 {
			c := a.Geom.Bound().Center()
			var ring []xy
			rx, ry := 10+10*rng.Float64(), 7+6*rng.Float64()
			for k := 0; k < 16; k++ {
				t := 2 * math.Pi * float64(k) / 16
				ring = append(ring, xy{rx * math.Cos(t), ry * math.Sin(t)})
			}
			cx, cy := (c[0]-centerLon)*kx, (c[1]-centerLat)*ky
			for k := range ring {
				ring[k] = ring[k].add(xy{cx, cy})
			}
			add("pond-"+a.SourceID, vocab.Water, "pond", "", polygon(append(ring, ring[0])))
		}
	}
	// The river: a wavy band beyond the southern stubs of the south–north roads, across the whole town.
	south := g.ew[0]
	lo, hi := south.lo-600, south.hi+600
	river := &road{ew: true, c: curve{base: south.c.base - 470, slope: south.c.slope, amp: 35, omega: 2 * math.Pi / 1800, phase: rng.Float64() * 2 * math.Pi}}
	add("river", vocab.Water, "river", "卫河", polygon(corridor(river, lo, hi, 24)))
	add("place-town", vocab.Place, "town", "城关镇", ll(g.inter[len(g.ew)/2][len(g.ns)/2]))
	for label, a := range communities {
		if label == "城关镇直管" {
			continue
		}
		add("place-"+label, vocab.Place, "neighbourhood", label, ll(a.sum.mul(1/float64(a.n))))
	}
	add("place-river", vocab.Place, "water", "卫河", ll(river.pt((lo+hi)/2)))
}

// buildings places rectangular houses in rows along a block's southern and northern edges and between, each
// turned like the road it faces, where it stays clear of the roads, the alleys and streets, the markets and parks.
func (g *gen) buildings(rng *rand.Rand, b *block, add func(string, vocab.BaseLayer, string, string, orb.Geometry)) {
	sw := cross(b.S, b.W, b.guess)
	ne := cross(b.N, b.E, b.guess)
	rot := math.Atan2(b.S(b.guess.X+1)-b.S(b.guess.X-1), 2)
	n := 0
	for y := sw.Y + 26; y < ne.Y-20; y += 34 + rng.Float64()*8 {
		for x := sw.X + 24; x < ne.X-20; x += 22 + rng.Float64()*14 {
			if rng.IntN(6) == 0 {
				continue // a yard, a gap between houses
			}
			w, h := 10+rng.Float64()*9, 11+rng.Float64()*12
			c := xy{x + rng.Float64()*4, y + rng.Float64()*4}
			var ring []xy
			for _, q := range []xy{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}} {
				ring = append(ring, c.add(xy{q.X*math.Cos(rot) - q.Y*math.Sin(rot), q.X*math.Sin(rot) + q.Y*math.Cos(rot)}))
			}
			ring = append(ring, ring[0])
			if !b.clear(ring, 16, 2, func(int) float64 { return 6 }) { // off the road, clear of alleys and features
				continue
			}
			n++
			add(fmt.Sprintf("bldg-%d-%d-%d", b.r, b.c, n), vocab.Building, "house", "", polygon(ring))
		}
	}
}
