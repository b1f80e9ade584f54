// Package mapmatch snaps GPS tracks to the road and alley network with a hidden-Markov matcher (Newson &
// Krumm 2009) and says which meters of which asset the track really ran along. It is pure: the caller
// builds a Network from the assets once and matches tracks against it.
//
// Measures are the assets' own: geodesic meters from the asset's start, as geo.Line measures them, so the
// intervals it returns line up with coverage's. Positions are projected to a local plane in meters (an
// equirectangular projection scaled at the network's centre, good to a few parts in ten thousand across a
// county) only to find candidates and straight-line distances.
package mapmatch

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"everymeter/geo"
)

// Asset is one linear asset of the network: a road or alley with its id and centreline.
type Asset struct {
	ID   int64
	Kind string
	Geom orb.Geometry // LineString or MultiLineString, [lon, lat]
}

// edge is one segment between two consecutive vertices of an asset; a and b are node ids, ma and mb the
// asset's measures at them (ma < mb), x/y the projected ends.
type edge struct {
	a, b   int32
	asset  int32
	ma, mb float64
	ax, ay float64
	bx, by float64
}

// Network is the walkable graph: nodes are vertices (shared where assets share a coordinate, as OSM ways
// do at junctions), edges the segments between them, indexed by an R-tree for candidate search.
type Network struct {
	assets  []Asset
	lengths []float64
	edges   []edge
	adj     [][]int32 // node → edges touching it
	tree    rtree.RTreeG[int32]
	lon0    float64
	lat0    float64
	kx, ky  float64 // meters per degree of lon, lat at the centre
}

// NewNetwork builds the graph from linear assets; assets that are not lines are skipped.
func NewNetwork(assets []Asset) *Network {
	n := &Network{}
	var bound orb.Bound
	first := true
	for _, a := range assets {
		if a.Geom == nil {
			continue
		}
		if first {
			bound, first = a.Geom.Bound(), false
		} else {
			bound = bound.Union(a.Geom.Bound())
		}
	}
	c := bound.Center()
	n.lon0, n.lat0 = c[0], c[1]
	n.kx = geo.Distance(orb.Point{c[0] - 0.005, c[1]}, orb.Point{c[0] + 0.005, c[1]}) / 0.01
	n.ky = geo.Distance(orb.Point{c[0], c[1] - 0.005}, orb.Point{c[0], c[1] + 0.005}) / 0.01
	nodes := map[orb.Point]int32{}
	node := func(p orb.Point) int32 {
		if id, ok := nodes[p]; ok {
			return id
		}
		id := int32(len(n.adj))
		nodes[p] = id
		n.adj = append(n.adj, nil)
		return id
	}
	for _, a := range assets {
		var parts []orb.LineString
		switch g := a.Geom.(type) {
		case orb.LineString:
			parts = []orb.LineString{g}
		case orb.MultiLineString:
			parts = g
		default:
			continue
		}
		ai := int32(len(n.assets))
		n.assets = append(n.assets, a)
		m := 0.0 // measures run through the parts in order, as geo.Line's do
		for _, part := range parts {
			if len(part) < 2 {
				continue
			}
			for i := 1; i < len(part); i++ {
				d := geo.Distance(part[i-1], part[i])
				if d == 0 {
					continue
				}
				ax, ay := n.project(part[i-1])
				bx, by := n.project(part[i])
				e := edge{a: node(part[i-1]), b: node(part[i]), asset: ai, ma: m, mb: m + d, ax: ax, ay: ay, bx: bx, by: by}
				m += d
				id := int32(len(n.edges))
				n.edges = append(n.edges, e)
				n.adj[e.a] = append(n.adj[e.a], id)
				n.adj[e.b] = append(n.adj[e.b], id)
				n.tree.Insert([2]float64{min(ax, bx), min(ay, by)}, [2]float64{max(ax, bx), max(ay, by)}, id)
			}
		}
		n.lengths = append(n.lengths, m)
	}
	return n
}

// project maps [lon, lat] to local meters.
func (n *Network) project(p orb.Point) (x, y float64) {
	return (p[0] - n.lon0) * n.kx, (p[1] - n.lat0) * n.ky
}

// Assets returns the number of assets in the network.
func (n *Network) Assets() int { return len(n.assets) }

// Length returns the length in meters of the asset with this id (0 when absent); a linear scan, for tests.
func (n *Network) Length(id int64) float64 {
	for i, a := range n.assets {
		if a.ID == id {
			return n.lengths[i]
		}
	}
	return 0
}

// candidate is a position on an edge near a fix: s meters from the edge's node a, d meters from the fix.
type candidate struct {
	edge int32
	s    float64
	d    float64
}

// candidates returns the nearest position on each asset within radius of (x, y), nearest first, at most k.
func (n *Network) candidates(x, y, radius float64, k int, buf []candidate) []candidate {
	out := buf[:0]
	n.tree.Search([2]float64{x - radius, y - radius}, [2]float64{x + radius, y + radius}, func(_, _ [2]float64, id int32) bool {
		e := &n.edges[id]
		dx, dy := e.bx-e.ax, e.by-e.ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((x-e.ax)*dx+(y-e.ay)*dy)/l2))
		}
		px, py := e.ax+t*dx-x, e.ay+t*dy-y
		d := math.Hypot(px, py)
		if d > radius {
			return true
		}
		c := candidate{edge: id, s: t * (e.mb - e.ma), d: d}
		for i := range out {
			if n.edges[out[i].edge].asset == e.asset {
				if d < out[i].d {
					out[i] = c
				}
				return true
			}
		}
		out = append(out, c)
		return true
	})
	// insertion sort: a handful of candidates
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].d < out[j-1].d; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if len(out) > k {
		out = out[:k]
	}
	return out
}
