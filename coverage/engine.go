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
// Freshness: every service write refreshes the assets it can affect inside its own transaction, so results
// are current when the write returns. Validity that starts or ends later is applied by RefreshDue/Watch
// (within one interval) or by `everymeter coverage --full`. Refreshes of the same assets are serialised by
// row locks, and a full recompute excludes them with an advisory lock; the per-meter oracle in the tests
// checks the results against PostGIS.
package coverage

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
)

// Tolerances of the computation, in meters.
const (
	// Tolerance: a stretch of line within this distance of a zone's boundary counts as inside the zone,
	// so a road drawn along the edge of a zone belongs to it.
	Tolerance = 0.5
	// MinPiece: slivers and pieces shorter than this are digitising noise and are absorbed.
	MinPiece = 0.5
)

// Engine computes coverage. It keeps no state between calls, so the server and the command line may both
// write; every refresh reads what it needs inside the caller's transaction.
type Engine struct {
	Log *slog.Logger
}

// New returns an engine; log may be nil.
func New(log *slog.Logger) *Engine {
	if log == nil {
		log = slog.Default()
	}
	return &Engine{Log: log}
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

// newZoneIndex prepares zones for clipping; a zone whose geometry cannot be prepared is logged and skipped
// (it was validated on the way in, so this means a database edited by hand).
func (e *Engine) newZoneIndex(zones []store.CoverageZone) *zoneIndex {
	ix := &zoneIndex{}
	for _, z := range zones {
		a, err := geo.NewArea(z.Geom)
		if err != nil {
			e.Log.Warn("coverage: zone skipped", "zone", z.ID, "err", err)
			continue
		}
		b := a.Bound()
		ix.tree.Insert(b.Min, b.Max, len(ix.zones))
		ix.zones = append(ix.zones, z)
		ix.areas = append(ix.areas, a)
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
func compute(a store.CoverageAsset, ix *zoneIndex, asg []store.Assignment) (*assetResult, error) {
	line, err := geo.NewLine(a.Geom)
	if err != nil {
		return nil, fmt.Errorf("asset %d: %w", a.ID, err)
	}
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
	return r, nil
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
func Status(owners []int64) string {
	switch len(owners) {
	case 0:
		return "gap"
	case 1:
		return "covered"
	}
	return "overlap"
}

// rows turns a result into the stored rows, each piece with its stretch of the line as geometry.
func (r *assetResult) rows() []store.CoveragePiece {
	out := make([]store.CoveragePiece, len(r.Pieces))
	for i, p := range r.Pieces {
		out[i] = store.CoveragePiece{AssetID: r.Asset.ID, FromM: p.From, ToM: p.To, Status: Status(p.Owners),
			UnitIDs: p.Owners, Geom: r.Line.Sub(p.From, p.To)}
	}
	return out
}

// computeAll computes the given assets at time at (nil: now) with the data st sees, in parallel;
// progress, if not nil, is called as assets finish. Zones are loaded for the assets' extent only.
func (e *Engine) computeAll(ctx context.Context, st *store.Store, assets []store.CoverageAsset, allZones bool, at *time.Time, progress func(done, total int)) ([]*assetResult, error) {
	if len(assets) == 0 {
		return nil, nil
	}
	var bound *orb.Bound
	if !allZones {
		b := assets[0].Geom.Bound()
		for _, a := range assets[1:] {
			b = b.Union(a.Geom.Bound())
		}
		b = grow(b, 2*Tolerance)
		bound = &b
	}
	zones, err := st.CoverageZones(ctx, bound, at)
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
	byAsset := map[int64][]store.Assignment{}
	for _, s := range asg {
		byAsset[s.AssetID] = append(byAsset[s.AssetID], s)
	}
	ix := e.newZoneIndex(zones)

	out := make([]*assetResult, len(assets))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(assets)/64))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		done int
		ferr error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(assets) || ferr != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				r, err := compute(assets[i], ix, byAsset[assets[i].ID])
				mu.Lock()
				if err != nil {
					// An asset whose geometry has no measurable part gets no pieces; say so and go on.
					e.Log.Warn("coverage: asset skipped", "asset", assets[i].ID, "err", err)
				}
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
	if ferr != nil {
		return nil, ferr
	}
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
	// Lock before loading: a concurrent refresh of the same assets waits here for this one to commit
	// and then computes from what it committed (and never collides with its rows).
	if err := tx.LockCoverage(ctx, false); err != nil {
		return err
	}
	locked, err := tx.LockCoverageAssets(ctx, ids)
	if err != nil {
		return err
	}
	assets := slices.DeleteFunc(locked, func(a store.CoverageAsset) bool { return service.AssetKinds[a.Kind] != geo.Lineal })
	results, err := e.computeAll(ctx, tx, assets, false, nil, nil)
	if err != nil {
		return err
	}
	changed, err := e.changed(ctx, tx, ids, results)
	if err != nil {
		return err
	}
	isChanged := make(map[int64]bool, len(changed))
	for _, id := range changed {
		isChanged[id] = true
	}
	var pieces []store.CoveragePiece
	var support []store.CoverageSupport
	for _, r := range results {
		if isChanged[r.Asset.ID] {
			pieces = append(pieces, r.rows()...)
			support = append(support, r.Support...)
		}
	}
	if len(changed) > 0 {
		if err := tx.ReplaceCoverage(ctx, changed, pieces, support); err != nil {
			return err
		}
	}
	return tx.RefreshAreal(ctx, ids, arealKinds())
}

// changed returns the ids whose computed pieces or support differ from the stored ones. Most assets a
// moved zone's bounds reach keep their coverage (they lie wholly inside before and after), and rewriting
// their rows and geometry index entries would cost more than computing them.
func (e *Engine) changed(ctx context.Context, tx *store.Store, ids []int64, results []*assetResult) ([]int64, error) {
	oldP, err := tx.CoveragePiecesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	oldS, err := tx.CoverageSupportOfAll(ctx, ids)
	if err != nil {
		return nil, err
	}
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
		case r == nil || o == nil || !samePieces(o.p, r.Pieces) || !sameSupport(o.s, r.Support):
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func samePieces(a []store.CoveragePiece, b []geo.Piece) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].FromM != b[i].From || a[i].ToM != b[i].To || !slices.Equal(a[i].UnitIDs, b[i].Owners) {
			return false
		}
	}
	return true
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

// RefreshTouching recomputes every asset that one of the geometries can affect: candidates come from the
// GIST index by bounds, and a linear asset is kept only when a polygonal geometry actually reaches it
// (within Tolerance), since a zone that reaches no part of a line cannot change the line's coverage.
func (e *Engine) RefreshTouching(ctx context.Context, tx *store.Store, geoms ...orb.Geometry) error {
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
			exact = false
		}
	}
	if len(bounds) == 0 {
		return nil
	}
	cands, err := tx.AssetsInBounds(ctx, bounds)
	if err != nil {
		return err
	}
	keep := make([]bool, len(cands))
	parallel(len(cands), func(i int) {
		a := cands[i]
		if service.AssetKinds[a.Kind] != geo.Lineal || !exact {
			keep[i] = true
			return
		}
		line, err := geo.NewLine(a.Geom)
		if err != nil {
			keep[i] = true
			return
		}
		for _, ar := range areas {
			if len(ar.Clip(line, Tolerance, 0)) > 0 {
				keep[i] = true
				return
			}
		}
	})
	var ids []int64
	for i, a := range cands {
		if keep[i] {
			ids = append(ids, a.ID)
		}
	}
	return e.RefreshAssets(ctx, tx, ids)
}

// parallel runs fn(0) … fn(n-1) on up to GOMAXPROCS goroutines; fn must only touch index i of shared slices.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Stats summarises a full recompute.
type Stats struct {
	Assets  int
	Pieces  int
	Support int
	Took    time.Duration
}

// Full recomputes the coverage of every asset in one transaction (TRUNCATE and COPY), so an interrupted
// run leaves the previous results in place; progress, if not nil, is called as assets finish.
func (e *Engine) Full(ctx context.Context, st *store.Store, progress func(done, total int)) (Stats, error) {
	start := time.Now()
	var s Stats
	err := st.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.BulkRecompute(ctx, 30*time.Minute); err != nil {
			return err
		}
		// Exclusive: refreshes in flight finish first, and new ones wait, so none is lost under the TRUNCATE.
		if err := tx.LockCoverage(ctx, true); err != nil {
			return err
		}
		t0 := time.Now()
		assets, err := tx.CoverageAssets(ctx, nil, linearKinds())
		if err != nil {
			return err
		}
		t1 := time.Now()
		results, err := e.computeAll(ctx, tx, assets, true, nil, progress)
		if err != nil {
			return err
		}
		var pieces []store.CoveragePiece
		var support []store.CoverageSupport
		for _, r := range results {
			pieces = append(pieces, r.rows()...)
			support = append(support, r.Support...)
		}
		t2 := time.Now()
		if err := tx.ReplaceAllCoverage(ctx, pieces, support); err != nil {
			return err
		}
		t3 := time.Now()
		s = Stats{Assets: len(assets), Pieces: len(pieces), Support: len(support)}
		err = tx.RefreshAreal(ctx, nil, arealKinds())
		e.Log.Debug("coverage: full recompute", "assets", len(assets), "pieces", len(pieces), "load", t1.Sub(t0),
			"compute", t2.Sub(t1), "write", t3.Sub(t2), "areal", time.Since(t3))
		return err
	})
	s.Took = time.Since(start)
	return s, err
}
