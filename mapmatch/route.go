package mapmatch

import (
	"container/heap"
	"math"
)

// router runs bounded Dijkstra searches over the network, reusing its arrays between searches.
type router struct {
	n       *Network
	dist    []float64
	pred    []int32 // edge by which a node was reached; -1 for a seed
	touched []int32
	h       nodeHeap
}

func newRouter(n *Network) *router {
	r := &router{n: n, dist: make([]float64, len(n.adj)), pred: make([]int32, len(n.adj))}
	for i := range r.dist {
		r.dist[i] = math.Inf(1)
	}
	return r
}

func (r *router) reset() {
	for _, v := range r.touched {
		r.dist[v] = math.Inf(1)
	}
	r.touched = r.touched[:0]
	r.h = r.h[:0]
}

func (r *router) relax(v int32, d float64, via int32) {
	if d < r.dist[v] {
		if math.IsInf(r.dist[v], 1) {
			r.touched = append(r.touched, v)
		}
		r.dist[v] = d
		r.pred[v] = via
		heap.Push(&r.h, nodeDist{v, d})
	}
}

// search runs from candidate c out to limit meters, stopping early once every node in targets is settled.
func (r *router) search(c candidate, limit float64, targets map[int32]bool) {
	r.reset()
	e := &r.n.edges[c.edge]
	r.relax(e.a, c.s, -1)
	r.relax(e.b, (e.mb-e.ma)-c.s, -1)
	left := len(targets)
	for r.h.Len() > 0 {
		top := heap.Pop(&r.h).(nodeDist)
		if top.d > r.dist[top.v] {
			continue
		}
		if top.d > limit {
			break
		}
		if targets[top.v] {
			if left--; left == 0 {
				break
			}
		}
		for _, id := range r.n.adj[top.v] {
			ed := &r.n.edges[id]
			w := top.v
			if ed.a == top.v {
				w = ed.b
			} else {
				w = ed.a
			}
			r.relax(w, top.d+(ed.mb-ed.ma), id)
		}
	}
}

// to returns the route distance from the last search's source to candidate c (+Inf when beyond the
// limit) and the node by which it enters c's edge (-1 when c is on the source's own edge and reached
// along it).
func (r *router) to(src, c candidate) (float64, int32) {
	e := &r.n.edges[c.edge]
	best, via := math.Inf(1), int32(-2)
	if src.edge == c.edge {
		best, via = math.Abs(c.s-src.s), -1
	}
	if d := r.dist[e.a] + c.s; d < best {
		best, via = d, e.a
	}
	if d := r.dist[e.b] + (e.mb - e.ma) - c.s; d < best {
		best, via = d, e.b
	}
	return best, via
}

// span is a stretch of one edge, as edge offsets from its node a (from ≤ to).
type span struct {
	edge     int32
	from, to float64
}

// path returns the stretches of edges from src to c along the last search's tree, given the entry node
// from to: the first is on c's edge, the last on src's; exit is the node by which the route leaves src's
// edge (-1 when it stays on it).
func (r *router) path(src, c candidate, via int32, out []span) (_ []span, exit int32) {
	e := &r.n.edges[c.edge]
	if via == -1 {
		return append(out, span{c.edge, min(src.s, c.s), max(src.s, c.s)}), -1
	}
	if via == e.a {
		out = append(out, span{c.edge, 0, c.s})
	} else {
		out = append(out, span{c.edge, c.s, e.mb - e.ma})
	}
	v := via
	for r.pred[v] >= 0 {
		id := r.pred[v]
		ed := &r.n.edges[id]
		out = append(out, span{id, 0, ed.mb - ed.ma})
		if ed.a == v {
			v = ed.b
		} else {
			v = ed.a
		}
	}
	se := &r.n.edges[src.edge]
	if v == se.a {
		out = append(out, span{src.edge, 0, src.s})
	} else {
		out = append(out, span{src.edge, src.s, se.mb - se.ma})
	}
	return out, v
}

type nodeDist struct {
	v int32
	d float64
}

type nodeHeap []nodeDist

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(nodeDist)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
