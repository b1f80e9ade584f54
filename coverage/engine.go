// Package coverage owns the coverage engine: which meters of each linear asset have a lead unit (covered),
// none (gap) or several (overlap), computed in Go from zones and assignments loaded once and indexed in
// memory, kept current after every write, and the owner lookup built on it.
//
// Rules: measures are geodesic meters from the asset's start (geo.Line). A zone claims the stretches of a
// line inside it, split exactly where the line crosses its boundary, plus stretches running within
// Tolerance of the boundary; an assignment claims its from_m–to_m. Only lead claims make owners; support
// claims are stored and reported apart. Claims are swept into maximal pieces with one owner set, and
// slivers under MinPiece are absorbed. Only zones and assignments valid at the computed time count
// (valid_from ≤ t < valid_to). Totals are the assets' lengths, so an asset never computed counts as a gap.
//
// Speed: each zone keeps an edge grid whose empty cells are wholly inside or outside it, so only lines
// (and segments) near a zone's boundary are clipped; prepared zones and lines are cached by row version;
// a refresh reads in one round trip and writes, only the assets whose results changed, in another.
//
// Freshness: every service write refreshes the assets it can affect inside its own transaction, so results
// are current when the write returns. Validity that starts or ends later is applied by RefreshDue/Watch
// (within one interval) or by `everymeter coverage --full`. Refreshes of the same assets are serialised by
// row locks, and a full recompute excludes them with an advisory lock; the per-meter oracle in the tests
// checks the results against PostGIS.
package coverage

import (
	"context"
	"crypto/md5"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/tidwall/rtree"

	"everymeter/change"
	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Tolerances of the computation, in meters.
const (
	// Tolerance: a stretch of line within this distance of a zone's boundary counts as inside the zone,
	// so a road drawn along the edge of a zone belongs to it.
	Tolerance = 0.5
	// MinPiece: slivers and pieces shorter than this are digitising noise and are absorbed.
	MinPiece = 0.5
)

// Engine computes coverage. Every refresh reads what it needs inside the caller's transaction, so the
// server and the command line may both write. The only state kept between calls is a cache of prepared
// zone and asset geometries keyed by their row version (id and xmin, which every update changes, so it
// can never serve an outdated shape). What a refresh rewrites it records in the caller's unit of work
// (change.Coverage, with the bounds of the assets whose results changed), which publishes it after the
// commit; so the engine needs to hear of no commit itself.
type Engine struct {
	Log *slog.Logger

	mu    sync.Mutex
	areas map[store.RowKey]*geo.Area
	lines *lineCache

	owners atomic.Pointer[ownerIndex] // set by IndexOwners
}

// New returns an engine; log may be nil.
func New(log *slog.Logger) *Engine {
	if log == nil {
		log = slog.Default()
	}
	return &Engine{Log: log, areas: map[store.RowKey]*geo.Area{}, lines: newLineCache()}
}

// maxCachedLines bounds the prepared-asset cache (a line costs about 40 bytes a vertex).
const maxCachedLines = 500000

// knownLines returns a snapshot of the prepared assets whose bounds meet one of bounds (all when bounds
// is nil), or whose ids are among ids when that is not nil.
func (e *Engine) knownLines(bounds []orb.Bound, ids []int64) map[store.RowKey]*geo.Line {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[store.RowKey]*geo.Line{}
	switch {
	case ids != nil:
		e.lines.ofIDs(ids, out)
	case bounds != nil:
		e.lines.meeting(bounds, out)
	default:
		e.lines.all(out)
	}
	return out
}

// prepareLines attaches a prepared line to every linear asset: from known when its version is there
// (the database then sent no geometry), else built and cached. Assets that cannot be prepared are
// logged and left out.
func (e *Engine) prepareLines(assets []store.CoverageAsset, known map[store.RowKey]*geo.Line) []lineAsset {
	out := make([]lineAsset, 0, len(assets))
	fresh := map[store.RowKey]*geo.Line{}
	for _, a := range assets {
		key := store.RowKey{ID: a.ID, Version: a.Version}
		l := known[key]
		if l == nil {
			if a.Geom == nil {
				e.Log.Warn("coverage: asset sent without geometry and not prepared", "asset", a.ID)
				continue
			}
			var err error
			if l, err = geo.NewLine(a.Geom); err != nil {
				// An asset whose geometry has no measurable part gets no pieces; say so and go on.
				e.Log.Warn("coverage: asset skipped", "asset", a.ID, "err", err)
				continue
			}
			if a.Version != 0 {
				fresh[key] = l
			}
		}
		out = append(out, lineAsset{a, l})
	}
	if len(fresh) > 0 {
		e.mu.Lock()
		if e.lines.len()+len(fresh) > maxCachedLines {
			e.lines = newLineCache()
		}
		for k, l := range fresh {
			e.lines.put(k, l)
		}
		e.mu.Unlock()
	}
	return out
}

// lineAsset is a linear asset with its prepared line.
type lineAsset struct {
	store.CoverageAsset
	line *geo.Line
}

func lineKeys(m map[store.RowKey]*geo.Line) []store.RowKey {
	out := make([]store.RowKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// maxCachedAreas bounds the prepared-zone cache; past it the cache starts over (a full recompute
// refills it in one pass).
const maxCachedAreas = 50000

// knownAreas returns a snapshot of the prepared zones, to tell the database which geometries not to send
// and to build an index from (the snapshot stays valid whatever other calls do to the cache).
func (e *Engine) knownAreas() map[store.RowKey]*geo.Area {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[store.RowKey]*geo.Area, len(e.areas))
	for k, a := range e.areas {
		out[k] = a
	}
	return out
}

// refreshBound is where the zones a refresh of sel reads can lie, when it is known before reading: the
// selection's bounds, or the extent of its assets when every one is prepared already; nil when not known.
func refreshBound(sel store.RefreshSelection, known map[store.RowKey]*geo.Line) *orb.Bound {
	var b *orb.Bound
	add := func(x orb.Bound) {
		x = grow(x, 4*Tolerance)
		if b == nil {
			b = &x
		} else {
			u := b.Union(x)
			b = &u
		}
	}
	if sel.Bounds != nil {
		for _, x := range sel.Bounds {
			add(x)
		}
		return b
	}
	if len(known) < len(sel.IDs) {
		return nil
	}
	for _, l := range known {
		add(l.Bound())
	}
	return b
}

// keysNear returns the versions of the prepared zones whose bounds meet b (all when b is nil): a refresh
// tells the database which zones it need not send, and a province's thousands of zones far away need not
// be named (unnamed, a zone comes with its geometry, so a bound too small costs bytes, never correctness).
func keysNear(m map[store.RowKey]*geo.Area, b *orb.Bound) []store.RowKey {
	if b == nil {
		return keysOf(m)
	}
	var out []store.RowKey
	for k, a := range m {
		if a.Bound().Intersects(*b) {
			out = append(out, k)
		}
	}
	return out
}

func keysOf(m map[store.RowKey]*geo.Area) []store.RowKey {
	out := make([]store.RowKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

var _ service.Coverage = (*Engine)(nil)

// kindsOf returns the asset kinds of a geometry class, sorted.
func kindsOf(c geo.Class) []string {
	var ks []string
	for k, v := range service.AssetKinds {
		if v == c {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func linearKinds() []string { return kindsOf(geo.Lineal) }
func arealKinds() []string  { return kindsOf(geo.Polygonal) }

// claim is one unit's stretch of an asset and where it comes from.
type claim struct {
	From, To float64
	UnitID   int64
	Lead     bool
	Source   string // zone or assignment
	SourceID int64
	Person   string
	Phone    string
}

// assetResult is the computed coverage of one linear asset.
type assetResult struct {
	Asset   store.CoverageAsset
	Line    *geo.Line
	Claims  []claim
	Pieces  []geo.Piece
	Support []store.CoverageSupport
}

// zoneIndex holds the prepared zones of one computation, indexed by their bounds.
type zoneIndex struct {
	zones []store.CoverageZone
	areas []*geo.Area
	tree  rtree.RTreeG[int]
}

// newZoneIndex prepares zones for clipping, taking prepared ones from known (a zone loaded without
// geometry must be there) and caching the new ones; a zone whose geometry cannot be prepared is logged and
// skipped (it was validated on the way in, so this means a database edited by hand).
func (e *Engine) newZoneIndex(zones []store.CoverageZone, known map[store.RowKey]*geo.Area) *zoneIndex {
	ix := &zoneIndex{}
	var fresh map[store.RowKey]*geo.Area
	for _, z := range zones {
		key := store.RowKey{ID: z.ID, Version: z.Version}
		a := known[key]
		if a == nil {
			var err error
			if a, err = geo.NewArea(z.Geom); err != nil {
				e.Log.Warn("coverage: zone skipped", "zone", z.ID, "err", err)
				continue
			}
			if fresh == nil {
				fresh = map[store.RowKey]*geo.Area{}
			}
			fresh[key] = a
		}
		b := a.Bound()
		ix.tree.Insert(b.Min, b.Max, len(ix.zones))
		ix.zones = append(ix.zones, z)
		ix.areas = append(ix.areas, a)
	}
	if len(fresh) > 0 {
		e.mu.Lock()
		if len(e.areas)+len(fresh) > maxCachedAreas {
			e.areas = map[store.RowKey]*geo.Area{}
		}
		for k, a := range fresh {
			e.areas[k] = a
		}
		e.mu.Unlock()
	}
	return ix
}

// grow widens a bound by about m meters (at least) at its latitude.
func grow(b orb.Bound, m float64) orb.Bound {
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dx := m / (111320 * math.Max(math.Cos(lat*math.Pi/180), 0.01))
	dy := m / 110540
	return orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
}

// compute clips an asset against the zones and adds its assignments, then sweeps the lead claims into pieces.
func compute(la lineAsset, ix *zoneIndex, asg []store.Assignment) *assetResult {
	a, line := la.CoverageAsset, la.line
	r := &assetResult{Asset: a, Line: line}
	b := grow(line.Bound(), 2*Tolerance)
	ix.tree.Search(b.Min, b.Max, func(_, _ [2]float64, i int) bool {
		z := ix.zones[i]
		for _, iv := range clipZone(ix.areas[i], line) {
			r.Claims = append(r.Claims, claim{From: iv.From, To: iv.To, UnitID: z.UnitID, Lead: z.Role == "lead", Source: "zone", SourceID: z.ID})
		}
		return true
	})
	total := line.Length()
	for _, s := range asg {
		f, t := math.Max(0, s.FromM), math.Min(total, s.ToM)
		if !(t > f) {
			continue
		}
		r.Claims = append(r.Claims, claim{From: f, To: t, UnitID: s.UnitID, Lead: s.Role == "lead", Source: "assignment",
			SourceID: s.ID, Person: s.Person, Phone: s.Phone})
	}
	slices.SortStableFunc(r.Claims, func(x, y claim) int {
		if x.From != y.From {
			return cmpF(x.From, y.From)
		}
		return cmpF(x.To, y.To)
	})
	var lead []geo.Claim
	support := map[int64]geo.Intervals{}
	for _, c := range r.Claims {
		if c.Lead {
			lead = append(lead, geo.Claim{From: c.From, To: c.To, Owner: c.UnitID})
		} else {
			support[c.UnitID] = append(support[c.UnitID], geo.Interval{From: c.From, To: c.To})
		}
	}
	r.Pieces = geo.Sweep(total, lead, MinPiece)
	for u, ivs := range support {
		for _, iv := range ivs.Normalize() {
			r.Support = append(r.Support, store.CoverageSupport{AssetID: a.ID, UnitID: u, FromM: iv.From, ToM: iv.To})
		}
	}
	slices.SortFunc(r.Support, func(x, y store.CoverageSupport) int {
		if x.FromM != y.FromM {
			return cmpF(x.FromM, y.FromM)
		}
		return int(x.UnitID - y.UnitID)
	})
	return r
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Status names a piece by its number of lead owners.
func Status(owners []int64) string { return string(vocab.CoverageOf(len(owners))) }

// rows turns a result into the stored rows, each piece with its stretch of the line as geometry.
func (r *assetResult) rows() []store.CoveragePiece {
	out := make([]store.CoveragePiece, len(r.Pieces))
	for i := range r.Pieces {
		out[i] = r.row(i)
	}
	return out
}

// row is the stored row of piece i.
func (r *assetResult) row(i int) store.CoveragePiece {
	p := r.Pieces[i]
	return store.CoveragePiece{AssetID: r.Asset.ID, FromM: p.From, ToM: p.To, Status: Status(p.Owners),
		UnitIDs: p.Owners, Geom: r.Line.Sub(p.From, p.To)}
}

// marginDeg is m meters in degrees (lon, lat), generous up to 80° of latitude, for growing a bound when
// its latitude is not known yet.
func marginDeg(m float64) [2]float64 {
	return [2]float64{m / (111320 * math.Cos(80*math.Pi/180)), m / 110540}
}

// computeAll computes the given assets at time at (nil: now) with the data st sees, in parallel;
// progress, if not nil, is called as assets finish. Zones are loaded for the assets' extent only.
func (e *Engine) computeAll(ctx context.Context, st *store.Store, assets []store.CoverageAsset, allZones bool, at *time.Time, progress func(done, total int)) ([]*assetResult, error) {
	return e.computeOn(ctx, st, assets, allZones, at, "", progress)
}

// onSide keeps the assignments that hold on one side of their street (that side, or both); side "" keeps all,
// which is the street's coverage as one line.
func onSide(asg []store.Assignment, side string) []store.Assignment {
	if side == "" {
		return asg
	}
	return slices.DeleteFunc(asg, func(a store.Assignment) bool { return a.Side != side && a.Side != string(vocab.Both) })
}

// computeOn is computeAll on one side of the streets (side "": as one line).
func (e *Engine) computeOn(ctx context.Context, st *store.Store, assets []store.CoverageAsset, allZones bool, at *time.Time, side string, progress func(done, total int)) ([]*assetResult, error) {
	if len(assets) == 0 {
		return nil, nil
	}
	las := e.prepareLines(assets, e.knownLines(nil, idsOf(assets)))
	if len(las) == 0 {
		return nil, nil
	}
	var bound *orb.Bound
	if !allZones {
		b := las[0].line.Bound()
		for _, a := range las[1:] {
			b = b.Union(a.line.Bound())
		}
		b = grow(b, 2*Tolerance)
		bound = &b
	}
	known := e.knownAreas()
	zones, err := st.CoverageZones(ctx, bound, at, keysOf(known))
	if err != nil {
		return nil, err
	}
	var ids []int64
	if !allZones {
		ids = make([]int64, len(assets))
		for i, a := range assets {
			ids[i] = a.ID
		}
	}
	asg, err := st.CoverageAssignments(ctx, ids, at)
	if err != nil {
		return nil, err
	}
	return e.computeWith(ctx, las, e.newZoneIndex(zones, known), onSide(asg, side), progress)
}

func idsOf(assets []store.CoverageAsset) []int64 {
	out := make([]int64, len(assets))
	for i, a := range assets {
		out[i] = a.ID
	}
	return out
}

// computeLoaded computes prepared assets with every zone and assignment valid at at (nil: now).
func (e *Engine) computeLoaded(ctx context.Context, st *store.Store, las []lineAsset, at *time.Time, progress func(done, total int)) ([]*assetResult, error) {
	known := e.knownAreas()
	zones, err := st.CoverageZones(ctx, nil, at, keysOf(known))
	if err != nil {
		return nil, err
	}
	asg, err := st.CoverageAssignments(ctx, nil, at)
	if err != nil {
		return nil, err
	}
	return e.computeWith(ctx, las, e.newZoneIndex(zones, known), asg, progress)
}

// computeWith computes the given assets against prepared zones and their assignments, in parallel.
func (e *Engine) computeWith(ctx context.Context, assets []lineAsset, ix *zoneIndex, asg []store.Assignment, progress func(done, total int)) ([]*assetResult, error) {
	byAsset := map[int64][]store.Assignment{}
	for _, s := range asg {
		byAsset[s.AssetID] = append(byAsset[s.AssetID], s)
	}
	out := make([]*assetResult, len(assets))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(assets)/64))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		done int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(assets) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				r := compute(assets[i], ix, byAsset[assets[i].ID])
				mu.Lock()
				out[i] = r
				done++
				if progress != nil && (done%64 == 0 || done == len(assets)) {
					progress(done, len(assets))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(r *assetResult) bool { return r == nil }), nil
}

// RefreshAssets recomputes the coverage of the given assets in the caller's transaction; ids of deleted
// assets are simply dropped.
func (e *Engine) RefreshAssets(ctx context.Context, tx *store.Store, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return e.refresh(ctx, tx, store.RefreshSelection{IDs: ids}, true)
}

// RefreshTouching recomputes every asset that one of the geometries can affect. Candidates are the
// assets whose bounds meet a geometry's bounds (the GIST index); a linear one is kept only when the
// geometry reaches it within the tolerance (the zone grids settle most without clipping), since a zone
// that reaches no part of a line cannot change the line's coverage. For a municipality that leaves about
// a fifth of the candidates to lock, read and recompute.
//
// Pieces that change reach beyond the geometries (a road leaving the zone runs on outside it); the unit
// of work is told the whole of every asset whose results changed (see refresh).
func (e *Engine) RefreshTouching(ctx context.Context, tx *store.Store, geoms ...orb.Geometry) error {
	t0 := time.Now()
	var bounds []orb.Bound
	var areas []*geo.Area
	exact := true
	for _, g := range geoms {
		if g == nil {
			continue
		}
		bounds = append(bounds, grow(g.Bound(), 2*Tolerance))
		if a, err := geo.NewArea(g); err == nil {
			areas = append(areas, a)
		} else {
			exact = false // not an area (a hand-edited database): recompute every candidate
		}
	}
	if len(bounds) == 0 {
		return nil
	}
	if !exact {
		return e.refresh(ctx, tx, store.RefreshSelection{Bounds: bounds}, false)
	}
	t1 := time.Now()
	known := e.knownLines(bounds, nil)
	cands, err := tx.RefreshCandidates(ctx, bounds)
	if err != nil {
		return err
	}
	var linear []store.CoverageAsset
	var unknown []int64
	ids := []int64{}
	for _, a := range cands {
		switch {
		case service.AssetKinds[a.Kind] != geo.Lineal:
			ids = append(ids, a.ID) // areal results are recomputed in SQL, which does its own test
		case known[store.RowKey{ID: a.ID, Version: a.Version}] == nil:
			unknown = append(unknown, a.ID)
		default:
			linear = append(linear, a)
		}
	}
	if len(unknown) > 0 {
		more, err := tx.AssetGeometries(ctx, unknown)
		if err != nil {
			return err
		}
		for _, a := range more {
			if service.AssetKinds[a.Kind] == geo.Lineal {
				linear = append(linear, a)
			}
		}
	}
	t2 := time.Now()
	for _, la := range e.prepareLines(linear, known) {
		if reaches(areas, la.line) {
			ids = append(ids, la.ID)
		}
	}
	e.Log.Debug("coverage: touching", "candidates", len(cands), "reached", len(ids), "areas", t1.Sub(t0),
		"candidates_read", t2.Sub(t1), "filter", time.Since(t2))
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return e.refresh(ctx, tx, store.RefreshSelection{IDs: ids}, false)
}

// reaches reports whether one of the areas comes within Tolerance of the line (so it may claim some of it).
func reaches(areas []*geo.Area, line *geo.Line) bool {
	for _, a := range areas {
		switch a.Relate(line.Bound(), Tolerance) {
		case geo.Inside:
			return true
		case geo.Boundary:
			if len(a.ClipGrid(line, Tolerance, 0)) > 0 {
				return true
			}
		}
	}
	return false
}

// refresh recomputes the selected assets in the caller's transaction: one round trip locks them and reads
// what they need, the computation runs in memory, and one round trip writes the assets whose results
// changed; it records those assets, with their bounds, in the unit of work (change.Coverage).
//
// checkGeom compares the stored pieces' geometry too (see changedAssets): needed when the assets' own
// geometry may have changed, not after a zone edit.
func (e *Engine) refresh(ctx context.Context, tx *store.Store, sel store.RefreshSelection, checkGeom bool) error {
	t0 := time.Now()
	sel.PieceMD5 = checkGeom
	known := e.knownAreas()
	knownL := e.knownLines(sel.Bounds, sel.IDs)
	// Locking before reading: a concurrent refresh of the same assets waits for this one to commit and
	// then computes from what it committed (and never collides with its rows).
	d, err := tx.LoadForRefresh(ctx, sel, marginDeg(2*Tolerance), keysNear(known, refreshBound(sel, knownL)), lineKeys(knownL))
	if err != nil {
		return err
	}
	t1 := time.Now()
	var linear []store.CoverageAsset
	var areal, ids []int64
	for _, a := range d.Assets {
		ids = append(ids, a.ID)
		switch service.AssetKinds[a.Kind] {
		case geo.Lineal:
			linear = append(linear, a)
		case geo.Polygonal:
			areal = append(areal, a.ID)
		}
	}
	if sel.Bounds == nil {
		ids = sel.IDs // an asset deleted meanwhile has no results left: its rows went with it
	}
	results, err := e.computeWith(ctx, e.prepareLines(linear, knownL), e.newZoneIndex(d.Zones, known), d.Assignments, nil)
	if err != nil {
		return err
	}
	changed := changedAssets(ids, results, d.Pieces, d.Support, checkGeom)
	t2 := time.Now()
	var support []store.CoverageSupport
	isChanged := make(map[int64]bool, len(changed))
	for _, id := range changed {
		isChanged[id] = true
	}
	// Only pieces that differ are rewritten: old ones not among the new are dropped, new ones not among
	// the old are inserted (with their geometry, the costly part of the write).
	type pieceKey struct {
		asset    int64
		from, to float64
		owners   string
		geom     string
	}
	key := func(a int64, from, to float64, owners []int64, geom string) pieceKey {
		if !checkGeom {
			geom = ""
		}
		return pieceKey{a, from, to, fmt.Sprint(owners), geom}
	}
	stored := map[pieceKey]bool{}
	for _, p := range d.Pieces {
		if isChanged[p.AssetID] {
			stored[key(p.AssetID, p.FromM, p.ToM, p.UnitIDs, p.GeomMD5)] = true
		}
	}
	var pieces []store.CoveragePiece
	for _, r := range results {
		if !isChanged[r.Asset.ID] {
			continue
		}
		support = append(support, r.Support...)
		for i, p := range r.Pieces {
			var h string
			if checkGeom {
				h = r.geomMD5(i)
			}
			k := key(r.Asset.ID, p.From, p.To, p.Owners, h)
			if stored[k] {
				delete(stored, k) // still right: keep the row
				continue
			}
			pieces = append(pieces, r.row(i))
		}
	}
	drop := []store.CoveragePiece{}
	for k := range stored {
		drop = append(drop, store.CoveragePiece{AssetID: k.asset, FromM: k.from})
	}
	recordChanged(tx, changed, results)
	if err := tx.PatchCoverage(ctx, changed, drop, pieces, support); err != nil {
		return err
	}
	t3 := time.Now()
	if len(areal) > 0 {
		if err := tx.RefreshAreal(ctx, areal, arealKinds()); err != nil {
			return err
		}
	}
	e.Log.Debug("coverage: refresh", "assets", len(d.Assets), "zones", len(d.Zones), "changed", len(changed),
		"load", t1.Sub(t0), "compute", t2.Sub(t1), "write", t3.Sub(t2), "areal", time.Since(t3))
	return nil
}

// recordChanged tells the unit of work that the coverage of the changed assets was rewritten, each with
// its line's bound (which holds every piece, old and new, since pieces are stretches of the line; an
// asset without a result — deleted — is recorded without one, its own deletion having given its bound).
func recordChanged(tx *store.Store, changed []int64, results []*assetResult) {
	lines := make(map[int64]*geo.Line, len(results))
	for _, r := range results {
		lines[r.Asset.ID] = r.Line
	}
	for _, id := range changed {
		if l := lines[id]; l != nil {
			tx.Changed(change.Coverage, id, l.Bound())
		} else {
			tx.Changed(change.Coverage, id)
		}
	}
}

// changedAssets returns the ids whose computed pieces or support differ from the stored ones. Most assets
// a moved zone's bounds reach keep their coverage (they lie wholly inside before and after), and rewriting
// their rows and geometry index entries would cost more than computing them.
//
// With checkGeom the stored geometry is compared too: an asset moved or reshaped in a way that keeps its
// measures (shifted along the street, say) keeps from/to and owners, but its pieces must follow it.
func changedAssets(ids []int64, results []*assetResult, oldP []store.CoveragePiece, oldS []store.CoverageSupport, checkGeom bool) []int64 {
	type stored struct {
		p []store.CoveragePiece
		s []store.CoverageSupport
	}
	old := map[int64]*stored{}
	get := func(id int64) *stored {
		if old[id] == nil {
			old[id] = &stored{}
		}
		return old[id]
	}
	for _, p := range oldP {
		get(p.AssetID).p = append(get(p.AssetID).p, p)
	}
	for _, s := range oldS {
		get(s.AssetID).s = append(get(s.AssetID).s, s)
	}
	computed := map[int64]*assetResult{}
	for _, r := range results {
		computed[r.Asset.ID] = r
	}
	var out []int64
	for _, id := range ids {
		o, r := old[id], computed[id]
		switch {
		case r == nil && o == nil:
		case r == nil || o == nil || !samePieces(o.p, r, checkGeom) || !sameSupport(o.s, r.Support):
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func samePieces(a []store.CoveragePiece, r *assetResult, checkGeom bool) bool {
	b := r.Pieces
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].FromM != b[i].From || a[i].ToM != b[i].To || !slices.Equal(a[i].UnitIDs, b[i].Owners) ||
			(checkGeom && a[i].GeomMD5 != r.geomMD5(i)) {
			return false
		}
	}
	return true
}

// geomMD5 is the md5 (hex) of piece i's geometry as WKB, which is what PostGIS's ST_AsBinary returns
// for the geometry stored from it.
func (r *assetResult) geomMD5(i int) string {
	b, err := wkb.Marshal(r.Line.Sub(r.Pieces[i].From, r.Pieces[i].To))
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%x", md5.Sum(b))
}

func sameSupport(a, b []store.CoverageSupport) bool {
	if len(a) != len(b) {
		return false
	}
	sortS := func(s []store.CoverageSupport) []store.CoverageSupport {
		s = slices.Clone(s)
		slices.SortFunc(s, func(x, y store.CoverageSupport) int {
			if x.UnitID != y.UnitID {
				return int(x.UnitID - y.UnitID)
			}
			return cmpF(x.FromM, y.FromM)
		})
		return s
	}
	return slices.Equal(sortS(a), sortS(b))
}

// Stats summarises a full recompute.
type Stats struct {
	Assets  int
	Pieces  int
	Support int
	Written int // assets whose stored results changed and were rewritten
	Took    time.Duration
}

// Full recomputes the coverage of every asset in one transaction, so an interrupted run leaves the
// previous results in place; progress, if not nil, is called as assets finish. The results are compared
// with the stored ones and only assets whose results changed are rewritten; when most did (a first run),
// the tables are emptied and written with COPY instead.
func (e *Engine) Full(ctx context.Context, st *store.Store, progress func(done, total int)) (Stats, error) {
	start := time.Now()
	var s Stats
	rewrite := false
	err := st.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.BulkRecompute(ctx, 30*time.Minute); err != nil {
			return err
		}
		// Exclusive: refreshes in flight finish first, and new ones wait, so none is lost under the TRUNCATE.
		if err := tx.LockCoverage(ctx, true); err != nil {
			return err
		}
		t0 := time.Now()
		known := e.knownLines(nil, nil)
		assets, err := tx.CoverageAssetsKnown(ctx, linearKinds(), lineKeys(known))
		if err != nil {
			return err
		}
		oldP, oldS, err := tx.StoredCoverage(ctx)
		if err != nil {
			return err
		}
		t1 := time.Now()
		results, err := e.computeLoaded(ctx, tx, e.prepareLines(assets, known), nil, progress)
		if err != nil {
			return err
		}
		ids := idsOf(assets)
		for _, p := range oldP {
			ids = append(ids, p.AssetID) // pieces of an asset no longer linear go too
		}
		slices.Sort(ids)
		changed := changedAssets(slices.Compact(ids), results, oldP, oldS, true)
		isChanged := make(map[int64]bool, len(changed))
		for _, id := range changed {
			isChanged[id] = true
		}
		rewrite = len(changed) > len(assets)/4
		var pieces []store.CoveragePiece
		var support []store.CoverageSupport
		for _, r := range results {
			s.Pieces += len(r.Pieces)
			s.Support += len(r.Support)
			if rewrite || isChanged[r.Asset.ID] {
				pieces = append(pieces, r.rows()...)
				support = append(support, r.Support...)
			}
		}
		recordChanged(tx, changed, results)
		t2 := time.Now()
		if rewrite {
			err = tx.ReplaceAllCoverage(ctx, pieces, support)
		} else {
			err = tx.WriteCoverage(ctx, changed, pieces, support)
		}
		if err != nil {
			return err
		}
		t3 := time.Now()
		s.Assets, s.Written = len(assets), len(changed)
		err = tx.RefreshAreal(ctx, nil, arealKinds())
		e.Log.Debug("coverage: full recompute", "assets", len(assets), "pieces", s.Pieces, "rewritten", len(changed),
			"load", t1.Sub(t0), "compute", t2.Sub(t1), "write", t3.Sub(t2), "areal", time.Since(t3))
		return err
	})
	if err == nil && rewrite {
		// The tables were emptied and copied anew: give the planner their new size before the next edit plans
		// its reads on the old statistics. The results are committed either way, so a failure is only logged.
		if aerr := st.AnalyzeCoverage(ctx); aerr != nil {
			e.Log.Warn("coverage: statistics not refreshed after the full recompute", "err", aerr)
		}
	}
	s.Took = time.Since(start)
	return s, err
}

// Forget drops the prepared zones and lines and reloads the owner index (a server resynchronising after missed changes starts over).
func (e *Engine) Forget() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.areas = map[store.RowKey]*geo.Area{}
	e.lines = newLineCache()
	if ix := e.owners.Load(); ix != nil {
		ix.resync()
	}
}
