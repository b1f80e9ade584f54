package mapmatch

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"everymeter/geo"
	"everymeter/track"
)

// Options are the matcher's parameters; DefaultOptions suits phones (σ ≈ 10 m).
type Options struct {
	Sigma    float64       // GPS noise, meters: the emission's standard deviation
	Beta     float64       // meters: scale of the exponential on |route − straight line|
	Radius   float64       // meters: how far from a fix a road may be to be a candidate; beyond it the fix is off the network
	K        int           // candidates kept per fix
	Cluster  float64       // meters: fixes within this of the running centroid merge (dwell, dense sampling)
	Outlier  float64       // meters: a fix this far from the median of its neighbours is an outlier
	MaxGap   time.Duration // a longer pause between fixes breaks the track
	MaxJump  float64       // meters: a longer jump between fixes breaks the track
	MinPiece float64       // meters: shorter credited stretches are dropped
	SpurM    float64       // meters: a U-turn less deep than this is junction noise and earns nothing
}

// DefaultOptions are the parameters the server uses.
var DefaultOptions = Options{Sigma: 10, Beta: 10, Radius: 45, K: 8, Cluster: 15, Outlier: 40,
	MaxGap: 60 * time.Second, MaxJump: 150, MinPiece: 1, SpurM: 30}

// Piece is a stretch of one asset the track ran along, in the asset's measures, with the first and last
// time it was walked.
type Piece struct {
	AssetID     int64
	Kind        string
	From, To    float64
	First, Last time.Time
}

// Result is what matching one track gives.
type Result struct {
	Points int     // fixes in
	Kept   int     // fixes that took part in a matched stretch
	Breaks int     // places the track was broken (gaps, jumps, off-network runs, impossible transitions)
	Pieces []Piece // per asset, sorted by asset and From, non-overlapping
}

// MatchedM returns the meters of network credited.
func (r Result) MatchedM() float64 {
	t := 0.0
	for _, p := range r.Pieces {
		t += p.To - p.From
	}
	return t
}

// obs is one observation fed to the HMM: a centroid of clustered fixes.
type obs struct {
	x, y        float64
	fx, fy      float64 // the first fix
	lx, ly      float64 // the last fix
	first, last time.Time
	n           int
}

// Match matches a track's segments; segments are never joined.
func (n *Network) Match(segments [][]track.Point, opt Options) Result {
	m := matcher{n: n, opt: opt, r: newRouter(n), raw: map[int32][]rawPiece{}}
	var res Result
	for _, seg := range segments {
		res.Points += len(seg)
		for _, run := range m.runs(seg) {
			m.matchRun(m.cluster(run))
		}
	}
	res.Kept, res.Breaks = m.kept, m.breaks
	res.Pieces = m.pieces()
	return res
}

type rawPiece struct {
	from, to float64
	at       time.Time
}

type matcher struct {
	n      *Network
	opt    Options
	r      *router
	raw    map[int32][]rawPiece // asset index → credited stretches
	kept   int
	breaks int
}

type fix struct {
	x, y float64
	t    time.Time
}

// runs projects a segment, drops outliers (far from the median of their neighbours) and splits it where
// the gap in time or space is too long to bridge honestly.
func (m *matcher) runs(seg []track.Point) [][]fix {
	fs := make([]fix, len(seg))
	for i, p := range seg {
		x, y := m.n.project(p.P)
		fs[i] = fix{x, y, p.T}
	}
	const w = 3
	keep := make([]fix, 0, len(fs))
	xs, ys := make([]float64, 0, 2*w), make([]float64, 0, 2*w)
	for i, f := range fs {
		xs, ys = xs[:0], ys[:0]
		for j := max(0, i-w); j <= min(len(fs)-1, i+w); j++ {
			if j != i && absDur(fs[j].t.Sub(f.t)) <= m.opt.MaxGap {
				xs, ys = append(xs, fs[j].x), append(ys, fs[j].y)
			}
		}
		if len(xs) >= 2 && math.Hypot(f.x-median(xs), f.y-median(ys)) > m.opt.Outlier {
			continue
		}
		keep = append(keep, f)
	}
	var out [][]fix
	start := 0
	for i := 1; i <= len(keep); i++ {
		if i == len(keep) || keep[i].t.Sub(keep[i-1].t) > m.opt.MaxGap ||
			math.Hypot(keep[i].x-keep[i-1].x, keep[i].y-keep[i-1].y) > m.opt.MaxJump {
			out = append(out, keep[start:i])
			if i < len(keep) {
				m.breaks++
			}
			start = i
		}
	}
	return out
}

// cluster merges consecutive fixes within Cluster meters of their running centroid: a dwell becomes one
// observation, and dense fixes average their noise away before matching.
func (m *matcher) cluster(run []fix) []obs {
	var out []obs
	var sx, sy float64
	var cur obs
	for _, f := range run {
		if cur.n > 0 && math.Hypot(f.x-cur.x, f.y-cur.y) <= m.opt.Cluster {
			sx, sy = sx+f.x, sy+f.y
			cur.n++
			cur.x, cur.y, cur.last = sx/float64(cur.n), sy/float64(cur.n), f.t
			cur.lx, cur.ly = f.x, f.y
			continue
		}
		if cur.n > 0 {
			out = append(out, cur)
		}
		sx, sy = f.x, f.y
		cur = obs{x: f.x, y: f.y, fx: f.x, fy: f.y, lx: f.x, ly: f.y, first: f.t, last: f.t, n: 1}
	}
	if cur.n > 0 {
		out = append(out, cur)
	}
	return out
}

// matchRun runs Viterbi over a run's observations, breaking the chain where an observation has no
// candidate (off the network: a square crossed, a building entered) or no candidate of it can be reached
// from the previous ones within the route bound.
func (m *matcher) matchRun(os []obs) {
	var chain []obs
	var cands [][]candidate
	var score []float64
	var back [][]int8
	flush := func() {
		m.credit(chain, cands, score, back)
		chain, cands, back = nil, nil, nil
	}
	for _, o := range os {
		cs := m.n.candidates(o.x, o.y, m.opt.Radius, m.opt.K, nil)
		if len(cs) == 0 {
			if len(chain) > 0 {
				m.breaks++
			}
			flush()
			continue
		}
		em := make([]float64, len(cs))
		for j, c := range cs {
			em[j] = -0.5 * (c.d / m.opt.Sigma) * (c.d / m.opt.Sigma)
		}
		if len(chain) == 0 {
			chain, cands, score, back = append(chain, o), append(cands, cs), em, append(back, nil)
			continue
		}
		prev := chain[len(chain)-1]
		gc := math.Hypot(o.x-prev.x, o.y-prev.y)
		limit := 2*gc + 2*m.opt.Radius + 50
		next := make([]float64, len(cs))
		bk := make([]int8, len(cs))
		for j := range next {
			next[j] = math.Inf(-1)
		}
		targets := map[int32]bool{}
		for _, c := range cs {
			e := &m.n.edges[c.edge]
			targets[e.a], targets[e.b] = true, true
		}
		pc := cands[len(cands)-1]
		for i, src := range pc {
			if math.IsInf(score[i], -1) {
				continue
			}
			m.r.search(src, limit, targets)
			for j, c := range cs {
				d, _ := m.r.to(src, c)
				if d > limit {
					continue
				}
				if s := score[i] - math.Abs(d-gc)/m.opt.Beta + em[j]; s > next[j] {
					next[j], bk[j] = s, int8(i)
				}
			}
		}
		if slices.Max(next) == math.Inf(-1) {
			m.breaks++
			flush()
			chain, cands, score, back = append(chain, o), append(cands, cs), em, append(back, nil)
			continue
		}
		chain, cands, score, back = append(chain, o), append(cands, cs), next, append(back, bk)
	}
	flush()
}

// credit walks the best path of a chain back and records the stretches between consecutive states.
func (m *matcher) credit(chain []obs, cands [][]candidate, score []float64, back [][]int8) {
	if len(chain) < 2 {
		return
	}
	j := 0
	for i := range score {
		if score[i] > score[j] {
			j = i
		}
	}
	states := make([]int, len(chain))
	for t := len(chain) - 1; t >= 0; t-- {
		states[t] = j
		if t > 0 {
			j = int(back[t][j])
		}
	}
	// The route between consecutive states; a state whose route comes in by a node and leaves by the same
	// node is a U-turn, and one less than SpurM deep is noise at a junction, not a walk into the side street.
	type leg struct {
		spans       []span
		entry, exit int32
	}
	legs := make([]leg, len(chain))
	for t := 1; t < len(chain); t++ {
		src, dst := cands[t-1][states[t-1]], cands[t][states[t]]
		e := &m.n.edges[dst.edge]
		m.r.search(src, math.Inf(1), map[int32]bool{e.a: true, e.b: true})
		_, via := m.r.to(src, dst)
		sp, exit := m.r.path(src, dst, via, nil)
		legs[t] = leg{spans: sp, entry: via, exit: exit}
	}
	for t := 1; t < len(chain); t++ {
		sp := legs[t].spans
		if t+1 < len(chain) && legs[t].entry >= 0 && legs[t].entry == legs[t+1].exit && spanLen(sp[0]) < m.opt.SpurM {
			sp = sp[1:] // the way in to state t; the way out is dropped below
		}
		if t > 1 && legs[t].exit >= 0 && legs[t].exit == legs[t-1].entry && len(sp) > 0 && spanLen(sp[len(sp)-1]) < m.opt.SpurM &&
			len(legs[t-1].spans) > 0 {
			sp = sp[:len(sp)-1]
		}
		for _, s := range sp {
			ed := &m.n.edges[s.edge]
			m.raw[ed.asset] = append(m.raw[ed.asset], rawPiece{ed.ma + s.from, ed.ma + s.to, chain[t].first})
		}
	}
	// A centroid sits inside its cluster: the walk began at the first fix of the first one and ended at the
	// last fix of the last one, so the ends are credited out to those fixes along their edges.
	m.extend(cands[0][states[0]], chain[0].fx, chain[0].fy, chain[0].first)
	n := len(chain) - 1
	m.extend(cands[n][states[n]], chain[n].lx, chain[n].ly, chain[n].last)
	for _, o := range chain {
		m.kept += o.n
	}
}

// pieces merges the credited stretches per asset: a meter walked twice counts once, with its times.
func (m *matcher) pieces() []Piece {
	var out []Piece
	ids := make([]int32, 0, len(m.raw))
	for a := range m.raw {
		ids = append(ids, a)
	}
	slices.Sort(ids)
	for _, a := range ids {
		raw := m.raw[a]
		sort.Slice(raw, func(i, j int) bool { return raw[i].from < raw[j].from })
		asset := m.n.assets[a]
		start := len(out)
		for _, r := range raw {
			if len(out) > start && r.from <= out[len(out)-1].To {
				cur := &out[len(out)-1]
				cur.To = max(cur.To, r.to)
				cur.First, cur.Last = minTime(cur.First, r.at), maxTime(cur.Last, r.at)
				continue
			}
			out = append(out, Piece{AssetID: asset.ID, Kind: asset.Kind, From: r.from, To: r.to, First: r.at, Last: r.at})
		}
	}
	out = slices.DeleteFunc(out, func(p Piece) bool { return p.To-p.From < m.opt.MinPiece })
	slices.SortStableFunc(out, func(a, b Piece) int { return cmp.Compare(a.AssetID, b.AssetID) })
	return out
}

// Intervals returns a result's pieces of one asset as geo intervals.
func (r Result) Intervals(assetID int64) geo.Intervals {
	var iv geo.Intervals
	for _, p := range r.Pieces {
		if p.AssetID == assetID {
			iv = append(iv, geo.Interval{From: p.From, To: p.To})
		}
	}
	return iv
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func spanLen(s span) float64 { return s.to - s.from }

// extend credits the stretch of c's edge between c and the projection of (x, y) on that edge.
func (m *matcher) extend(c candidate, x, y float64, at time.Time) {
	e := &m.n.edges[c.edge]
	dx, dy := e.bx-e.ax, e.by-e.ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((x-e.ax)*dx+(y-e.ay)*dy)/l2))
	}
	s := t * (e.mb - e.ma)
	if s != c.s {
		m.raw[e.asset] = append(m.raw[e.asset], rawPiece{e.ma + min(s, c.s), e.ma + max(s, c.s), at})
	}
}
