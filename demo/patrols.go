package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/vocab"
)

// The inspectors' patrols (巡查): on most working days each inspector walks a round of their half of the town
// along its streets, with a phone's GPS (a fix every few seconds, a few meters of noise, now and then a gap),
// uploaded through the patrol service so that map matching runs as for a real upload. The second inspector has
// been seconded to the evaluation for the last patrolAwayDays days, walking only now and then, so parts of the
// east of the town go stale on the leader's patrol layer.
const (
	patrolFixEvery = 10 * time.Second
	patrolNoiseM   = 3.5
	patrolAwayDays = 12
	patrolKeyPref  = "demo-patrol-"
)

// streetNode is a crossing or an end of the street graph the inspectors walk.
type streetNode struct {
	p     orb.Point
	edges []int
}

// streetEdge is one road asset between two nodes.
type streetEdge struct {
	a, b int
	ls   orb.LineString
	len  float64
	mid  orb.Point
}

type streetGraph struct {
	nodes []streetNode
	edges []streetEdge
	midX  float64 // the town's middle longitude: west of it is the first inspector's, east the second's
}

// newStreetGraph joins the town's roads (segments and commercial streets) at their shared end points.
func newStreetGraph(t Town) *streetGraph {
	g := &streetGraph{}
	at := map[[2]int64]int{}
	node := func(p orb.Point) int {
		k := [2]int64{int64(math.Round(p[0] * 1e6)), int64(math.Round(p[1] * 1e6))}
		if i, ok := at[k]; ok {
			return i
		}
		at[k] = len(g.nodes)
		g.nodes = append(g.nodes, streetNode{p: p})
		return len(g.nodes) - 1
	}
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, a := range t.Assets {
		ls, ok := a.Geom.(orb.LineString)
		if !ok || a.Kind != vocab.Road || len(ls) < 2 {
			continue
		}
		e := streetEdge{a: node(ls[0]), b: node(ls[len(ls)-1]), ls: ls, len: lineLen(ls), mid: ls[len(ls)/2]}
		g.nodes[e.a].edges = append(g.nodes[e.a].edges, len(g.edges))
		g.nodes[e.b].edges = append(g.nodes[e.b].edges, len(g.edges))
		g.edges = append(g.edges, e)
		minX, maxX = math.Min(minX, e.mid[0]), math.Max(maxX, e.mid[0])
	}
	g.midX = (minX + maxX) / 2
	return g
}

// mine says whether an edge lies in inspector k's half of the town.
func (g *streetGraph) mine(k int, e streetEdge) bool { return (e.mid[0] < g.midX) == (k == 0) }

// walk is a round of about target meters from a node of inspector k's half on day d: at each crossing the
// inspector prefers the streets of their half they walked longest ago (last: edge → the day it was last walked,
// updated), so that the half is covered in turn over a week or so. It returns the path's points.
func (g *streetGraph) walk(rng *mrand.Rand, k, d int, target float64, last map[int]int) orb.LineString {
	var starts []int
	for i, n := range g.nodes {
		if len(n.edges) > 1 && (n.p[0] < g.midX) == (k == 0) {
			starts = append(starts, i)
		}
	}
	cur := starts[rng.IntN(len(starts))]
	path := orb.LineString{g.nodes[cur].p}
	walked := map[int]bool{}
	for done := 0.0; done < target; {
		es := g.nodes[cur].edges
		w := make([]float64, len(es))
		sum := 0.0
		for i, ei := range es {
			age := 30.0
			if l, ok := last[ei]; ok {
				age = math.Min(30, float64(d-l))
			}
			w[i] = 0.2 + age*age
			if walked[ei] {
				w[i] = 0.05
			}
			if !g.mine(k, g.edges[ei]) {
				w[i] *= 0.1
			}
			sum += w[i]
		}
		r := rng.Float64() * sum
		pick := es[len(es)-1]
		for i, ei := range es {
			if r < w[i] {
				pick = ei
				break
			}
			r -= w[i]
		}
		e := g.edges[pick]
		walked[pick] = true
		last[pick] = d
		ls := e.ls
		next := e.b
		if e.a != cur {
			ls, next = reversed(ls), e.a
		}
		path = append(path, ls[1:]...)
		done += e.len
		cur = next
	}
	return path
}

func reversed(ls orb.LineString) orb.LineString {
	out := make(orb.LineString, len(ls))
	for i, p := range ls {
		out[len(ls)-1-i] = p
	}
	return out
}

// fixes samples a path as a phone records it: a fix every patrolFixEvery at a walking pace from start, with GPS
// noise, and a short gap now and then (under a tree, in a doorway). It returns the points and their times.
func fixes(rng *mrand.Rand, path orb.LineString, start time.Time) ([]orb.Point, []time.Time) {
	speed := 1.15 + 0.25*rng.Float64()
	step := speed * patrolFixEvery.Seconds()
	var pts []orb.Point
	var ts []time.Time
	t := start
	i, leg := 1, 0.0 // the leg path[i-1]→path[i] and how far along it the walker is
	for i < len(path) {
		d := meters(path[i-1], path[i])
		if leg > d {
			leg -= d
			i++
			continue
		}
		a, b := path[i-1], path[i]
		f := leg / math.Max(d, 1e-9)
		p := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		leg += step
		t = t.Add(patrolFixEvery)
		if rng.Float64() < 0.01 {
			t = t.Add(time.Duration(30+rng.IntN(90)) * time.Second) // stopped: a word with a shopkeeper
		}
		if rng.Float64() < 0.03 {
			continue // no fix this time
		}
		pts = append(pts, offset(p, rng.NormFloat64()*patrolNoiseM, rng.NormFloat64()*patrolNoiseM))
		ts = append(ts, t)
	}
	return pts, ts
}

// trackJSON is the GeoJSON a phone uploads: one LineString Feature with properties.times.
func trackJSON(name string, pts []orb.Point, ts []time.Time) ([]byte, error) {
	coords := make([][2]float64, len(pts))
	times := make([]string, len(ts))
	for i, p := range pts {
		coords[i] = [2]float64{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
		times[i] = ts[i].UTC().Format(time.RFC3339)
	}
	return json.Marshal(map[string]any{"type": "Feature", "properties": map[string]any{"name": name, "times": times},
		"geometry": map[string]any{"type": "LineString", "coordinates": coords}})
}

// patrols uploads the inspectors' rounds of the last LifeDays days; it does nothing when patrols were recorded in
// that period already. It returns how many tracks it uploaded and the meters matched.
func (l *life) patrols(ctx context.Context, ps *service.Patrols, t Town) (int, float64, error) {
	cov, err := ps.Coverage(ctx, l.admin, domain.PatrolFilter{From: l.now.AddDate(0, 0, -LifeDays-1), To: l.now.Add(time.Minute)})
	if err != nil || cov.PatrolledM > 0 {
		return 0, 0, err
	}
	g := newStreetGraph(t)
	if len(g.edges) == 0 {
		return 0, 0, fmt.Errorf("demo patrols: the town has no roads")
	}
	rng := mrand.New(mrand.NewPCG(seedHi, 0x9A7))
	loc := time.FixedZone("CST", 8*3600)
	start := l.now.In(loc).AddDate(0, 0, -LifeDays)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	n, matched := 0, 0.0
	last := []map[int]int{{}, {}}
	for d := 0; d <= LifeDays; d++ {
		day := start.AddDate(0, 0, d)
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		for k, w := range l.insp {
			p := 0.8
			if weekend {
				p = 0.25
			}
			if k == 1 && d > LifeDays-patrolAwayDays {
				p = 0.2 // seconded to the evaluation: now and then a round
			}
			if rng.Float64() >= p {
				continue
			}
			at := day.Add(time.Duration(8*3600+rng.IntN(5400)) * time.Second)
			path := g.walk(rng, k, d, 3500+rng.Float64()*3000, last[k])
			pts, ts := fixes(rng, path, at)
			if len(ts) < 2 || ts[len(ts)-1].After(l.now) {
				continue
			}
			body, err := trackJSON(fmt.Sprintf("%s 巡查 %s", w.Name, day.Format("01-02")), pts, ts)
			if err != nil {
				return n, matched, err
			}
			pt, _, err := ps.Record(ctx, w, domain.NewPatrol{ContentType: "application/geo+json", Body: body,
				IdempotencyKey: fmt.Sprintf("%s%s-%s", patrolKeyPref, w.Name, day.Format(time.DateOnly))})
			if err != nil {
				return n, matched, fmt.Errorf("demo patrols: %s on %s: %w", w.Name, day.Format(time.DateOnly), err)
			}
			n++
			matched += pt.MatchedM
		}
	}
	return n, matched, nil
}
