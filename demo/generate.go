package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"everymeter/vocab"
	"github.com/paulmach/orb"
)

// gen holds the generator's state; everything random comes from one seeded PCG, in one fixed order.
type gen struct {
	rng   *rand.Rand
	ew    []*road // south to north
	ns    []*road // west to east
	inter [][]xy  // inter[i][j]: where ew[i] meets ns[j]
	town  Town
	segs  []segment
	alley []alleyRec
	// the two commercial streets, laid out before the roads are cut so that the roads get a vertex
	// where a street joins them
	streets map[[2]int]*plannedStreet
	// blockList keeps the blocks for the base map (base.go), which is drawn after the town
	blockList []*block
}

// plannedStreet is a commercial street with its end points on the roads it joins.
type plannedStreet struct {
	r    *road
	a, z xy
}

// segment is a road segment asset (路段), remembered for the assignments.
type segment struct {
	id       string
	road     *road
	stub     bool // beyond the outermost cross road (出城路段)
	ring     bool // a ring road (环路)
	t0, t1   float64
	from, to string
}

// alleyRec is an alley waiting for its name: numbered along the road it leaves.
type alleyRec struct {
	asset int // index into town.Assets
	road  *road
	t     float64
}

// block is the land between two west–east and two south–north roads.
type block struct {
	r, c       int
	S, N, W, E fn // road centrelines around it
	guess      xy
	obstacles  [][]xy // rings alleys keep clear of
	lines      [][]xy // alleys and streets already placed
	clearLines []float64
}

func (g *gen) uni(a, b float64) float64 { return a + (b-a)*g.rng.Float64() }

func (g *gen) person() string {
	return string(surnames[g.rng.IntN(len(surnames))]) + givenNames[g.rng.IntN(len(givenNames))]
}

func (g *gen) mobile() string {
	pre := []string{"135", "137", "138", "139", "150", "151", "152", "158", "183", "187"}
	return fmt.Sprintf("%s%08d", pre[g.rng.IntN(len(pre))], g.rng.IntN(100000000))
}

func (g *gen) landline() string {
	return fmt.Sprintf("0393-%d%06d", 2+g.rng.IntN(7), g.rng.IntN(1000000))
}

const deg = math.Pi / 180

// Generate builds the demo town. It is pure and deterministic: the same Town on every call.
func Generate() Town {
	g := &gen{rng: rand.New(rand.NewPCG(seedHi, seedLo))}
	g.roads()
	g.planStreets()
	g.segments()
	g.blocks()
	g.nameAlleys()
	g.assign()
	g.base()
	return g.town
}

func (g *gen) roads() {
	ewBase := []float64{-1900, -1220, -520, 160, 880, 1620}
	nsBase := []float64{-2380, -1640, -860, -80, 700, 1480, 2260}
	for i, d := range ewRoads {
		g.ew = append(g.ew, &road{name: d.name, class: d.class, ew: true, c: curve{
			base: ewBase[i] + g.uni(-40, 40), slope: g.uni(-0.025, 0.025), amp: g.uni(12, 40),
			omega: 2 * math.Pi / g.uni(2500, 6000), phase: g.uni(0, 2*math.Pi)}})
	}
	for j, d := range nsRoads {
		g.ns = append(g.ns, &road{name: d.name, class: d.class, c: curve{
			base: nsBase[j] + g.uni(-40, 40), slope: g.uni(-0.025, 0.025), amp: g.uni(12, 40),
			omega: 2 * math.Pi / g.uni(2500, 6000), phase: g.uni(0, 2*math.Pi)}})
	}
	g.inter = make([][]xy, len(g.ew))
	for i, e := range g.ew {
		g.inter[i] = make([]xy, len(g.ns))
		for j, n := range g.ns {
			g.inter[i][j] = cross(e.c.at, n.c.at, xy{n.c.base, e.c.base})
		}
	}
	last := len(g.ns) - 1
	for i, e := range g.ew {
		e.lo, e.hi = g.inter[i][0].X-g.uni(120, 320), g.inter[i][last].X+g.uni(120, 320)
	}
	top := len(g.ew) - 1
	for j, n := range g.ns {
		n.lo, n.hi = g.inter[0][j].Y-g.uni(120, 320), g.inter[top][j].Y+g.uni(120, 320)
	}
}

// segments splits every road at its intersections into 路段 assets named after the cross roads.
func (g *gen) segments() {
	do := func(r *road, prefix string, cuts []xy, crossNames []string, before, after string, ring bool) {
		pts := append([]xy{r.pt(r.lo)}, cuts...)
		pts = append(pts, r.pt(r.hi))
		for s := 0; s+1 < len(pts); s++ {
			var from, to, name string
			switch {
			case s == 0:
				from, to = "", crossNames[0]
				name = fmt.Sprintf("%s（%s以%s段）", r.name, crossNames[0], before)
			case s == len(pts)-2:
				from, to = crossNames[s-1], ""
				name = fmt.Sprintf("%s（%s以%s段）", r.name, crossNames[s-1], after)
			default:
				from, to = crossNames[s-1], crossNames[s]
				name = fmt.Sprintf("%s（%s—%s段）", r.name, from, to)
			}
			t0, t1 := r.param(pts[s]), r.param(pts[s+1])
			line := sample(r, t0, t1, pts[s], pts[s+1], step)
			id := fmt.Sprintf("%s-%d", prefix, s)
			stub := s == 0 || s == len(pts)-2
			g.town.Assets = append(g.town.Assets, Asset{SourceID: id, Kind: vocab.Road, Name: name, Geom: lineString(line),
				Attributes: map[string]any{"road": r.name, "class": r.class, "from": from, "to": to}})
			g.segs = append(g.segs, segment{id: id, road: r, stub: stub, ring: ring, t0: t0, t1: t1, from: from, to: to})
		}
	}
	nsNames := make([]string, len(g.ns))
	for j, n := range g.ns {
		nsNames[j] = n.name
	}
	ewNames := make([]string, len(g.ew))
	for i, e := range g.ew {
		ewNames[i] = e.name
	}
	for i, e := range g.ew {
		do(e, fmt.Sprintf("road-ew%d", i), g.inter[i], nsNames, "西", "东", i == 0 || i == len(g.ew)-1)
	}
	for j, n := range g.ns {
		cuts := make([]xy, len(g.ew))
		for i := range g.ew {
			cuts[i] = g.inter[i][j]
		}
		do(n, fmt.Sprintf("road-ns%d", j), cuts, ewNames, "南", "北", j == 0 || j == len(g.ns)-1)
	}
}

// Which community leads which block's grid; the old town in the middle is led by 城关镇 itself, and
// two blocks on the edge of town have no grid yet (a gap on purpose).
func blockOwner(r, c int) (code, label string) {
	switch {
	case (r == 0 && c == 5) || (r == 4 && c == 5):
		return "", ""
	case (r == 2 || r == 3) && (c == 2 || c == 3):
		return "CGZ", "城关镇直管"
	case r == 4:
		return "CGZ-BG", "北关社区"
	case r == 0 || (r == 1 && (c == 2 || c == 3)):
		return "CGZ-NG", "南关社区"
	case c >= 4:
		return "CGZ-DG", "东关社区"
	default:
		return "CGZ-XG", "西关社区"
	}
}

var (
	marketCells = map[[2]int]string{{2, 3}: "县城中心菜市场", {1, 4}: "绿园菜市场"}
	parkCells   = [][2]int{{0, 1}, {0, 4}, {1, 0}, {1, 2}, {2, 0}, {2, 4}, {2, 5}, {3, 1}, {3, 5}, {4, 0}, {4, 2}, {4, 4}}
	vStreet     = [2]int{3, 3} // 朝阳路商业街 runs south–north through this block, from 建设路 to 朝阳路
	hStreet     = [2]int{2, 1} // 金桥商业街 runs west–east through this block, from 金桥路 to 文化路
)

func (g *gen) blocks() {
	parkAt := map[[2]int]string{}
	for k, cell := range parkCells {
		parkAt[cell] = parkNames[k]
	}
	counters := map[string]int{}
	gridZone := func(code, label string, polys ...[]xy) {
		if code == "" {
			return
		}
		counters[code]++
		mp := orb.MultiPolygon{}
		for _, p := range polys {
			mp = append(mp, polygon(p))
		}
		g.town.Zones = append(g.town.Zones, Zone{Name: fmt.Sprintf("%s第%d网格", label, counters[code]), Unit: code, Role: vocab.Lead, Kind: "网格", Geom: mp})
	}
	for r := 0; r+1 < len(g.ew); r++ {
		for c := 0; c+1 < len(g.ns); c++ {
			b := &block{r: r, c: c, S: g.ew[r].c.at, N: g.ew[r+1].c.at, W: g.ns[c].c.at, E: g.ns[c+1].c.at,
				guess: lerpXY(g.inter[r][c], g.inter[r+1][c+1], 0.5)}
			cell := [2]int{r, c}
			code, label := blockOwner(r, c)
			S, N, W, E := shift(b.S, gridInset), shift(b.N, -gridInset), shift(b.W, gridInset), shift(b.E, -gridInset)
			switch cell {
			case vStreet:
				st := g.street(cell, b)
				gridZone(code, label, region(S, N, W, shift(st.c.at, -20), b.guess), region(S, N, shift(st.c.at, 20), E, b.guess))
			case hStreet:
				st := g.street(cell, b)
				gridZone(code, label, region(S, shift(st.c.at, -20), W, E, b.guess), region(shift(st.c.at, 20), N, W, E, b.guess))
			default:
				gridZone(code, label, region(S, N, W, E, b.guess))
			}
			if name, ok := marketCells[cell]; ok {
				g.feature(b, vocab.Market, name)
			}
			if name, ok := parkAt[cell]; ok {
				g.feature(b, vocab.Park, name)
			}
			g.blockAlleys(b)
			g.blockList = append(g.blockList, b)
		}
	}
	// 城中村 alleys outside the ring roads: no grid covers them (gaps on purpose).
	top := len(g.ew) - 1
	for c := 0; c+1 < len(g.ns); c++ {
		north := &block{r: top, c: c, S: g.ew[top].c.at, N: shift(g.ew[top].c.at, 480), W: g.ns[c].c.at, E: g.ns[c+1].c.at,
			guess: lerpXY(g.inter[top][c], g.inter[top][c+1], 0.5)}
		south := &block{r: -1, c: c, S: shift(g.ew[0].c.at, -480), N: g.ew[0].c.at, W: g.ns[c].c.at, E: g.ns[c+1].c.at,
			guess: lerpXY(g.inter[0][c], g.inter[0][c+1], 0.5)}
		for _, f := range []float64{0.3, 0.7} {
			g.sideAlley(north, g.ew[top], 0, f, 300)
			g.sideAlley(south, g.ew[0], 1, f, 300)
		}
	}
}

// planStreets lays the two commercial streets (商业街) through the middle of their blocks, from road to
// road, and marks the junctions as knots of the roads they join.
func (g *gen) planStreets() {
	g.streets = map[[2]int]*plannedStreet{}
	for _, d := range []struct {
		cell [2]int
		name string
		ew   bool
	}{{vStreet, "朝阳路商业街", false}, {hStreet, "金桥商业街", true}} {
		r, c := d.cell[0], d.cell[1]
		S, N, W, E := g.ew[r], g.ew[r+1], g.ns[c], g.ns[c+1]
		mid := lerpXY(g.inter[r][c], g.inter[r+1][c+1], 0.5)
		st := &road{name: d.name, class: "pedestrian", ew: d.ew}
		p := &plannedStreet{r: st}
		if d.ew {
			st.c = curve{base: (S.c.at(mid.X) + N.c.at(mid.X)) / 2, slope: g.uni(-0.02, 0.02), amp: 4, omega: 2 * math.Pi / 500, phase: g.uni(0, math.Pi)}
			a, z := cross(st.c.at, W.c.at, mid), cross(st.c.at, E.c.at, mid)
			p.a, p.z = W.pt(a.Y), E.pt(z.Y) // the roads' own points: the street ends on a road vertex
			st.lo, st.hi = p.a.X, p.z.X
			W.knots, E.knots = append(W.knots, a.Y), append(E.knots, z.Y)
		} else {
			st.c = curve{base: (W.c.at(mid.Y) + E.c.at(mid.Y)) / 2, slope: g.uni(-0.02, 0.02), amp: 4, omega: 2 * math.Pi / 500, phase: g.uni(0, math.Pi)}
			a, z := cross(S.c.at, st.c.at, mid), cross(N.c.at, st.c.at, mid)
			p.a, p.z = S.pt(a.X), N.pt(z.X)
			st.lo, st.hi = p.a.Y, p.z.Y
			S.knots, N.knots = append(S.knots, a.X), append(N.knots, z.X)
		}
		g.streets[d.cell] = p
	}
}

// street places a planned commercial street in its block.
func (g *gen) street(cell [2]int, b *block) *road {
	p := g.streets[cell]
	g.addStreet(p.r, sample(p.r, p.r.lo, p.r.hi, p.a, p.z, 20), b)
	return p.r
}

func (g *gen) addStreet(st *road, line []xy, b *block) {
	id := "street-" + map[bool]string{true: "jinqiao", false: "chaoyang"}[st.ew]
	g.town.Assets = append(g.town.Assets, Asset{SourceID: id, Kind: vocab.Road, Name: st.name, Geom: lineString(line),
		Attributes: map[string]any{"commercial": true, "class": "pedestrian", "road": st.name}})
	g.segs = append(g.segs, segment{id: id, road: st, t0: st.lo, t1: st.hi})
	b.lines = append(b.lines, line)
	b.clearLines = append(b.clearLines, 30)
	g.town.Zones = append(g.town.Zones,
		Zone{Name: st.name + "门前三包责任区", Unit: "ZHZFJ", Role: vocab.Support, Kind: "门前三包", Geom: orb.MultiPolygon{polygon(corridor(st, st.lo, st.hi, 25))}},
		Zone{Name: st.name + "市场秩序监管区", Unit: "GSZJJ", Role: vocab.Support, Kind: "门前三包", Geom: orb.MultiPolygon{polygon(corridor(st, st.lo, st.hi, 25))}})
}

// feature places a market or a park in the middle of a block, clear of the roads, with its zones.
func (g *gen) feature(b *block, kind vocab.AssetKind, name string) {
	u, v := 0.5+g.uni(-0.12, 0.12), 0.5+g.uni(-0.08, 0.08)
	r, c := b.r, b.c
	sw, se, ne, nw := g.inter[r][c], g.inter[r][c+1], g.inter[r+1][c+1], g.inter[r+1][c]
	ctr := lerpXY(lerpXY(sw, se, u), lerpXY(nw, ne, u), v)
	d := b.S(ctr.X+1) - b.S(ctr.X-1)
	rot := math.Atan2(d, 2)
	var shape []xy // star-shaped around the centre, so any radial growth stays a simple ring
	if kind == vocab.Market || g.rng.IntN(3) == 0 {
		hw, hh := g.uni(35, 80), g.uni(30, 60)
		if kind == vocab.Market {
			hw, hh = g.uni(55, 75), g.uni(40, 55)
		}
		for _, q := range []xy{{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}} {
			shape = append(shape, q)
		}
	} else {
		n := 7 + g.rng.IntN(4)
		rad, stretch := g.uni(40, 70), g.uni(1.0, 1.5)
		for k := range n {
			a := 2*math.Pi*float64(k)/float64(n) + g.uni(-0.25, 0.25)*2*math.Pi/float64(n)
			p := polar(a, rad*g.uni(0.88, 1.12))
			shape = append(shape, xy{p.X * stretch, p.Y})
		}
	}
	place := func(grow float64) []xy {
		ring := make([]xy, 0, len(shape)+1)
		for _, q := range shape {
			q = q.mul((q.norm() + grow) / q.norm())
			ring = append(ring, ctr.add(xy{q.X*math.Cos(rot) - q.Y*math.Sin(rot), q.X*math.Sin(rot) + q.Y*math.Cos(rot)}))
		}
		return append(ring, ring[0])
	}
	id := fmt.Sprintf("%s-%d-%d", kind, r, c)
	attrs := map[string]any{}
	if kind == vocab.Market {
		attrs["type"] = "农贸市场"
	} else {
		attrs["type"] = "小游园"
	}
	g.town.Assets = append(g.town.Assets, Asset{SourceID: id, Kind: kind, Name: name, Geom: polygon(place(0)), Attributes: attrs})
	b.obstacles = append(b.obstacles, place(15))
	zone := orb.MultiPolygon{polygon(place(8))}
	if kind == vocab.Market {
		g.town.Zones = append(g.town.Zones,
			Zone{Name: name + "市场管理责任区", Unit: "GSZJJ", Role: vocab.Lead, Kind: "门前三包", Geom: zone},
			Zone{Name: name + "食品安全监管区", Unit: "SYJ", Role: vocab.Support, Kind: "门前三包", Geom: zone},
			Zone{Name: name + "周边秩序整治区", Unit: "ZHZFJ", Role: vocab.Support, Kind: "门前三包", Geom: zone})
	} else {
		g.town.Zones = append(g.town.Zones, Zone{Name: name + "养护责任区", Unit: "SZYLJ", Role: vocab.Lead, Kind: "网格", Geom: zone})
	}
}

// blockAlleys lines a block's four sides with back alleys running into it.
func (g *gen) blockAlleys(b *block) {
	for _, side := range []int{2, 3} { // west and east sides first: one lane each at mid-depth
		g.sideAlley(b, nil, side, 0.5, 0)
	}
	for _, side := range []int{0, 1} {
		sw := cross(shift(b.S, gridInset), shift(b.W, gridInset), b.guess)
		se := cross(shift(b.S, gridInset), shift(b.E, -gridInset), b.guess)
		k := int((se.X - sw.X) / 120)
		for m := range k {
			g.sideAlley(b, nil, side, (float64(m)+0.5)/float64(k), 0)
		}
	}
}

// sideAlley tries to put one alley on a side of b (0 south, 1 north, 2 west, 3 east) at fraction f along
// it; maxL caps its length (0: by the block's size). Alleys that would come near another alley, a street,
// a park or a market, or leave the block, are shortened and at last dropped.
func (g *gen) sideAlley(b *block, from *road, side int, f, maxL float64) {
	var start xy
	var heading, depth float64
	var parent *road
	switch side {
	case 0, 1:
		sw := cross(b.S, b.W, b.guess)
		se := cross(b.S, b.E, b.guess)
		x := sw.X + 25 + (se.X-sw.X-50)*f + g.uni(-15, 15)
		depth = b.N(x) - b.S(x)
		if side == 0 {
			start, heading, parent = xy{x, b.S(x) + alleyStart}, 90*deg, g.ewAt(b.r)
		} else {
			start, heading, parent = xy{x, b.N(x) - alleyStart}, -90*deg, g.ewAt(b.r+1)
		}
	default:
		mid := b.guess
		y := (b.S(mid.X)+b.N(mid.X))/2 + g.uni(-60, 60)
		depth = b.E(y) - b.W(y)
		if side == 2 {
			start, heading, parent = xy{b.W(y) + alleyStart, y}, 0, g.ns[b.c]
		} else {
			start, heading, parent = xy{b.E(y) - alleyStart, y}, 180*deg, g.ns[b.c+1]
		}
	}
	if from != nil {
		parent = from
	}
	capL := 0.45*depth - alleyStart
	if side >= 2 {
		capL = 0.3 * depth
	}
	if maxL > 0 {
		capL = math.Min(capL, maxL)
	}
	capL = math.Min(capL, alleyMax)
	l := g.uni(alleyMin, math.Max(alleyMin, capL))
	legs := 2 + g.rng.IntN(3)
	h := heading + g.uni(-5, 5)*deg
	pts := []xy{start}
	p := start
	for k := range legs {
		if k > 0 {
			h = math.Max(heading-8*deg, math.Min(heading+8*deg, h+g.uni(-4, 4)*deg))
		}
		p = p.add(polar(h, l/float64(legs)))
		pts = append(pts, p)
	}
	if g.rng.IntN(4) == 0 { // a dog-leg at the far end, as old lanes have
		turn := g.uni(60, 85) * deg
		if g.rng.IntN(2) == 0 {
			turn = -turn
		}
		pts = append(pts, p.add(polar(h+turn, g.uni(25, 50))))
	}
	for _, frac := range []float64{1, 0.6, 0.35} {
		cand := truncate(pts, pathLen(pts)*frac)
		if pathLen(cand) < alleyMin {
			break
		}
		if g.fits(b, cand) {
			b.lines = append(b.lines, cand)
			b.clearLines = append(b.clearLines, 12)
			g.alley = append(g.alley, alleyRec{asset: len(g.town.Assets), road: parent, t: parent.param(start)})
			g.town.Assets = append(g.town.Assets, Asset{SourceID: fmt.Sprintf("alley-%03d", len(g.alley)), Kind: vocab.Alley,
				Geom: lineString(cand), Attributes: map[string]any{"road": parent.name}})
			return
		}
	}
}

func (g *gen) ewAt(i int) *road { return g.ew[max(0, min(i, len(g.ew)-1))] }

// fits reports whether an alley stays inside its block, off the roads, and clear of everything placed.
func (g *gen) fits(b *block, p []xy) bool {
	return b.clear(p, alleyStart-0.01, 1, func(k int) float64 { return b.clearLines[k] })
}

// clear reports whether the polyline p keeps margin meters inside the block's roads, stays out of and
// fromObstacle meters clear of its markets and parks, and fromLine(k) meters clear of its k-th alley or street.
func (b *block) clear(p []xy, margin, fromObstacle float64, fromLine func(k int) float64) bool {
	for _, q := range p {
		if q.Y < b.S(q.X)+margin || q.Y > b.N(q.X)-margin || q.X < b.W(q.Y)+margin || q.X > b.E(q.Y)-margin {
			return false
		}
		for _, o := range b.obstacles {
			if inRing(q, o) {
				return false
			}
		}
	}
	for _, o := range b.obstacles {
		if pathDist(p, o) < fromObstacle {
			return false
		}
	}
	for k, l := range b.lines {
		if pathDist(p, l) < fromLine(k) {
			return false
		}
	}
	return true
}

// nameAlleys numbers alleys along the road they leave (建设路3巷), giving some old-town names instead.
func (g *gen) nameAlleys() {
	special := slices.Clone(specialAlleys)
	g.rng.Shuffle(len(special), func(i, j int) { special[i], special[j] = special[j], special[i] })
	byRoad := map[*road][]alleyRec{}
	var order []*road
	for _, a := range g.alley {
		if len(special) > 0 && g.rng.IntN(9) == 0 {
			g.town.Assets[a.asset].Name = special[0]
			special = special[1:]
			continue
		}
		if _, ok := byRoad[a.road]; !ok {
			order = append(order, a.road)
		}
		byRoad[a.road] = append(byRoad[a.road], a)
	}
	for _, r := range order {
		as := byRoad[r]
		sort.SliceStable(as, func(i, j int) bool { return as[i].t < as[j].t })
		for n, a := range as {
			g.town.Assets[a.asset].Name = fmt.Sprintf("%s%d巷", r.name, n+1)
		}
	}
}

// assign hands road segments to units (路段分包) with a named 路段长, leaving some gaps and overlaps on
// purpose, and adds the support zones of the seed's 背街小巷 campaign.
func (g *gen) assign() {
	add := func(s segment, unit string, role vocab.ZoneRole, ff, fo, tf, to float64) {
		g.town.Assignments = append(g.town.Assignments, Assignment{Asset: s.id, Unit: unit, Role: role,
			Person: g.person(), Phone: g.mobile(), FromFrac: ff, FromOff: fo, ToFrac: tf, ToOff: to})
	}
	// The shared stretch of 胜利街 between 解放路 and 人民路: both neighbouring communities drew it into
	// their grids and claim the middle 100 m twice.
	shared := g.ns[4]
	y0, y1 := g.inter[1][4].Y, g.inter[2][4].Y
	ym := (y0 + y1) / 2
	g.town.Zones = append(g.town.Zones,
		Zone{Name: "南关社区胜利街沿街网格", Unit: "CGZ-NG", Role: vocab.Lead, Kind: "网格", Geom: orb.MultiPolygon{polygon(corridor(shared, y0+30, ym+50, 6))}},
		Zone{Name: "东关社区胜利街沿街网格", Unit: "CGZ-DG", Role: vocab.Lead, Kind: "网格", Geom: orb.MultiPolygon{polygon(corridor(shared, ym-50, y1-30, 6))}})
	sharedID := "road-ns4-2"

	var inner []int
	for k, s := range g.segs {
		if !s.stub && !s.ring && s.road.class != "pedestrian" && s.id != sharedID {
			inner = append(inner, k)
		}
	}
	perm := g.rng.Perm(len(inner))
	overlap, partial := map[int]bool{}, map[int]bool{}
	for _, k := range perm[:2] {
		overlap[inner[k]] = true
	}
	for _, k := range perm[2:8] {
		partial[inner[k]] = true
	}
	taker := 0
	next := func() string {
		u := roadTakers[taker%len(roadTakers)]
		taker++
		return u
	}
	for k, s := range g.segs {
		switch {
		case s.id == sharedID:
		case s.road.class == "pedestrian":
			add(s, "GSZJJ", vocab.Lead, 0, 0, 1, 0)
		case s.stub:
			if s.road == g.ew[2] { // 人民路's two ends out of town are looked after by the road bureau
				add(s, "JTGL", vocab.Lead, 0, 0, 1, 0)
			}
		case s.ring:
			add(s, "JTGL", vocab.Lead, 0, 0, 1, 0)
		case overlap[k]:
			add(s, next(), vocab.Lead, 0, 0, 0.5, 50)
			add(s, next(), vocab.Lead, 0.5, -50, 1, 0)
		case partial[k]:
			if g.rng.IntN(2) == 0 {
				add(s, next(), vocab.Lead, 0, 0, 1, -g.uni(60, 150))
			} else {
				add(s, next(), vocab.Lead, 0, g.uni(60, 150), 1, 0)
			}
		default:
			add(s, next(), vocab.Lead, 0, 0, 1, 0)
		}
		if !s.stub && s.road.class == "main" { // 综合执法局: 主次干道门头牌匾整治
			add(s, "ZHZFJ", vocab.Support, 0, 0, 1, 0)
		}
	}
	// 背街小巷: 城关镇 leads (through its grids), these departments support across the old town.
	town := region(shift(g.ew[0].c.at, gridInset), shift(g.ew[len(g.ew)-1].c.at, -gridInset),
		shift(g.ns[0].c.at, gridInset), shift(g.ns[len(g.ns)-1].c.at, -gridInset), xy{})
	for _, u := range []struct{ code, name string }{{"ZHZFJ", "县综合执法局"}, {"ZJJ", "住建局"}, {"SZYLJ", "市政园林局"}, {"AWB", "爱卫办"}} {
		g.town.Zones = append(g.town.Zones, Zone{Name: "背街小巷环境整治配合区（" + u.name + "）", Unit: u.code, Role: vocab.Support, Kind: "网格",
			Geom: orb.MultiPolygon{polygon(town)}})
	}
	// 县公安交警: 交通秩序整治 along the two main west–east roads.
	for _, r := range []*road{g.ew[1], g.ew[2]} {
		g.town.Zones = append(g.town.Zones, Zone{Name: r.name + "交通秩序整治路段", Unit: "GAJJ", Role: vocab.Support, Kind: "路段分包",
			Geom: orb.MultiPolygon{polygon(corridor(r, r.lo, r.hi, 15))}})
	}
}
