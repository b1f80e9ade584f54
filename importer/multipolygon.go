package importer

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
)

// multipolygon builds a relation's polygon from its member ways, or says why it cannot.
func (x *extract) multipolygon(r *osm.Relation) (orb.Geometry, string) {
	var outer, inner [][]osm.NodeID
	for _, m := range r.Members {
		if m.Type != osm.TypeWay {
			continue // nodes (labels) and sub-relations carry no ring of this polygon
		}
		w, ok := x.ways[osm.WayID(m.Ref)]
		if !ok {
			return nil, "relation members missing from the extract"
		}
		ids := wayNodeIDs(w)
		if len(ids) < 2 {
			continue
		}
		switch m.Role {
		case "inner":
			inner = append(inner, ids)
		case "outer", "":
			outer = append(outer, ids)
		}
	}
	if len(outer) == 0 {
		return nil, "relation has no outer ring"
	}
	outerRings, err := x.rings(outer)
	if err != "" {
		return nil, err
	}
	innerRings, err := x.rings(inner)
	if err != "" {
		return nil, err
	}
	shells := make([]orb.Polygon, len(outerRings))
	for i, s := range outerRings {
		shells[i] = orb.Polygon{s}
	}
	for _, h := range innerRings {
		placed := false
		for i, s := range outerRings {
			if s.Bound().Contains(h.Bound().Min) && s.Bound().Contains(h.Bound().Max) && insideRing(s, h) {
				shells[i] = append(shells[i], h)
				placed = true
				break
			}
		}
		if !placed {
			return nil, "an inner ring lies outside every outer ring"
		}
	}
	mp := make(orb.MultiPolygon, len(shells))
	for i, p := range shells {
		mp[i] = polygon(p[0], p[1:])
	}
	if len(mp) == 1 {
		return mp[0], ""
	}
	return mp, ""
}

// insideRing reports whether the hole lies in the shell, judged by its first vertex not on the shell.
func insideRing(shell, hole orb.Ring) bool {
	for _, p := range hole {
		if planar.RingContains(shell, p) {
			return true
		}
	}
	return false
}

// rings joins ways end to end into closed rings, or says why they do not close.
func (x *extract) rings(ways [][]osm.NodeID) ([]orb.Ring, string) {
	pending := make([][]osm.NodeID, len(ways))
	copy(pending, ways)
	var out []orb.Ring
	for len(pending) > 0 {
		cur := append([]osm.NodeID(nil), pending[0]...)
		pending = pending[1:]
		for cur[0] != cur[len(cur)-1] {
			end := cur[len(cur)-1]
			found := -1
			for i, w := range pending {
				if w[0] == end {
					cur = append(cur, w[1:]...)
					found = i
					break
				}
				if w[len(w)-1] == end {
					for j := len(w) - 2; j >= 0; j-- {
						cur = append(cur, w[j])
					}
					found = i
					break
				}
			}
			if found < 0 {
				return nil, fmt.Sprintf("a ring does not close (open at node %d)", end)
			}
			pending = append(pending[:found], pending[found+1:]...)
		}
		ps, missing := x.points(cur)
		if missing {
			return nil, "nodes missing from the extract"
		}
		ring := orb.Ring(dedupe(ps))
		if len(ring) < 4 {
			return nil, "a ring has fewer than 3 distinct nodes"
		}
		out = append(out, ring)
	}
	return out, ""
}
