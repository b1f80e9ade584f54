package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
)

// Summary is domain.Summary (the definition moved to package domain).
type Summary = domain.Summary

// KindSummary is domain.KindSummary (the definition moved to package domain).
type KindSummary = domain.KindSummary

// UnitSummary is domain.UnitSummary (the definition moved to package domain).
type UnitSummary = domain.UnitSummary

// ArealSummary is domain.ArealSummary (the definition moved to package domain).
type ArealSummary = domain.ArealSummary

func percent(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(part/whole*100000) / 1000
}

// rollupCompactAt is how many roll-up rows a summary tolerates before it folds them.
const rollupCompactAt = 2000

// Summary returns the coverage summary: from the stored results, or computed on the fly (nothing written)
// for the time at when it is not nil.
func (e *Engine) Summary(ctx context.Context, st *store.Store, at *time.Time) (Summary, error) {
	var s Summary
	if at != nil {
		return e.summaryAt(ctx, st, *at)
	}
	// The summary reads the roll-up (migration 00020); its deltas are folded now and then so that it stays a
	// few rows per kind and unit.
	if _, err := st.CompactCoverageRollup(ctx, rollupCompactAt); err != nil {
		return s, err
	}
	kinds, err := st.CoverageByKind(ctx, service.LinearKinds)
	if err != nil {
		return s, err
	}
	for _, k := range kinds {
		s.ByKind = append(s.ByKind, KindSummary{Kind: k.Kind, TotalM: k.TotalM, CoveredM: k.CoveredM, GapM: k.GapM, OverlapM: k.OverlapM})
	}
	units, err := st.CoverageByUnit(ctx)
	if err != nil {
		return s, err
	}
	for _, u := range units {
		s.ByUnit = append(s.ByUnit, UnitSummary(u))
	}
	areal, err := st.ArealCoverageAt(ctx, nil, arealKinds(), nil)
	if err != nil {
		return s, err
	}
	finish(&s, areal)
	return s, nil
}

// summaryAt computes the whole network at one time without writing.
func (e *Engine) summaryAt(ctx context.Context, st *store.Store, at time.Time) (Summary, error) {
	s := Summary{At: &at}
	known := e.knownLines(nil, nil)
	assets, err := st.CoverageAssetsKnown(ctx, linearKinds(), lineKeys(known))
	if err != nil {
		return s, err
	}
	results, err := e.computeLoaded(ctx, st, e.prepareLines(assets, known), &at, nil)
	if err != nil {
		return s, err
	}
	byKind := map[string]*KindSummary{}
	for _, k := range service.LinearKinds {
		s.ByKind = append(s.ByKind, KindSummary{Kind: k})
	}
	for i := range s.ByKind {
		byKind[s.ByKind[i].Kind] = &s.ByKind[i]
	}
	for _, a := range assets {
		if k := byKind[a.Kind]; k != nil {
			k.TotalM += a.LengthM
		}
	}
	lead, overlap, support := map[int64]float64{}, map[int64]float64{}, map[int64]float64{}
	for _, r := range results {
		k := byKind[r.Asset.Kind]
		if k == nil {
			continue
		}
		for _, p := range r.Pieces {
			l := p.To - p.From
			if len(p.Owners) > 0 {
				k.CoveredM += l
			}
			if len(p.Owners) > 1 {
				k.OverlapM += l
			}
			for _, u := range p.Owners {
				lead[u] += l
				if len(p.Owners) > 1 {
					overlap[u] += l
				}
			}
		}
		for _, x := range r.Support {
			support[x.UnitID] += x.ToM - x.FromM
		}
	}
	units, err := st.Units(ctx)
	if err != nil {
		return s, err
	}
	for _, u := range units {
		s.ByUnit = append(s.ByUnit, UnitSummary{UnitID: u.ID, Code: u.Code, Name: u.Name, LeadM: lead[u.ID], OverlapM: overlap[u.ID], SupportM: support[u.ID]})
	}
	for i := range s.ByKind {
		s.ByKind[i].GapM = max(0, s.ByKind[i].TotalM-s.ByKind[i].CoveredM)
	}
	areal, err := st.ArealCoverageAt(ctx, nil, arealKinds(), &at)
	if err != nil {
		return s, err
	}
	finish(&s, areal)
	return s, nil
}

// AssetCoverage is domain.AssetCoverage (the definition moved to package domain).
type AssetCoverage = domain.AssetCoverage

// PieceInfo is domain.PieceInfo (the definition moved to package domain).
type PieceInfo = domain.PieceInfo

// UnitInfo is domain.UnitInfo (the definition moved to package domain).
type UnitInfo = domain.UnitInfo

// SupportInfo is domain.SupportInfo (the definition moved to package domain).
type SupportInfo = domain.SupportInfo

// ArealCoverage is domain.ArealCoverage (the definition moved to package domain).
type ArealCoverage = domain.ArealCoverage

// AssetCoverage computes one asset's coverage with the source of every claim, at the time at (nil: now).
// It computes rather than reads so that it can name sources; the algorithm is the one that stores results.
func (e *Engine) AssetCoverage(ctx context.Context, st *store.Store, id int64, at *time.Time) (AssetCoverage, error) {
	return e.AssetCoverageSide(ctx, st, id, at, "")
}

// AssetCoverageSide is AssetCoverage on one side of a street (left or right): the zones and the assignments of
// that side or of both; side "" is the street as one line, every assignment counted.
func (e *Engine) AssetCoverageSide(ctx context.Context, st *store.Store, id int64, at *time.Time, side string) (AssetCoverage, error) {
	a, err := st.Asset(ctx, id)
	if err != nil {
		return AssetCoverage{}, err
	}
	out := AssetCoverage{AssetID: a.ID, Name: a.Name, Kind: a.Kind, LengthM: a.LengthM, Pieces: []PieceInfo{}, Support: []SupportInfo{}, At: at}
	if service.AssetKinds[a.Kind] == geo.Polygonal {
		cs, err := st.ArealCoverageAt(ctx, []int64{id}, arealKinds(), at)
		if err != nil {
			return out, err
		}
		ac := &ArealCoverage{UnitIDs: []int64{}}
		if len(cs) > 0 {
			ac = &ArealCoverage{AreaM2: cs[0].AreaM2, CoveredM2: cs[0].CoveredM2, Percent: percent(cs[0].CoveredM2, cs[0].AreaM2), UnitIDs: cs[0].UnitIDs}
		}
		out.Areal = ac
		return out, nil
	}
	if service.AssetKinds[a.Kind] != geo.Lineal {
		return out, nil
	}
	r, err := e.computeOneOn(ctx, st, id, at, side)
	if err != nil || r == nil {
		return out, err
	}
	names, err := unitNames(ctx, st, r.Claims)
	if err != nil {
		return out, err
	}
	for _, p := range r.Pieces {
		pi := PieceInfo{FromM: p.From, ToM: p.To, LengthM: p.To - p.From, Status: Status(p.Owners), UnitIDs: p.Owners, Units: []UnitInfo{}}
		for _, u := range p.Owners {
			c := bestClaim(r.Claims, u, p.From, p.To)
			n := names[u]
			ui := UnitInfo{ID: u, Code: n.Code, Name: n.Name, Person: n.ContactPerson, Phone: n.Phone}
			if c != nil {
				ui.Source, ui.SourceID = c.Source, c.SourceID
				if c.Person != "" || c.Phone != "" {
					ui.Person, ui.Phone = c.Person, c.Phone
				}
			}
			pi.Units = append(pi.Units, ui)
		}
		out.Pieces = append(out.Pieces, pi)
	}
	for _, c := range r.Claims {
		if !c.Lead {
			n := names[c.UnitID]
			out.Support = append(out.Support, SupportInfo{UnitID: c.UnitID, Code: n.Code, Name: n.Name, FromM: c.From, ToM: c.To, Source: c.Source, SourceID: c.SourceID})
		}
	}
	return out, nil
}

// computeOne computes one linear asset at time at; nil when the asset is not linear.
func (e *Engine) computeOne(ctx context.Context, st *store.Store, id int64, at *time.Time) (*assetResult, error) {
	return e.computeOneOn(ctx, st, id, at, "")
}

// computeOneOn computes one linear asset on one side (side "": as one line).
func (e *Engine) computeOneOn(ctx context.Context, st *store.Store, id int64, at *time.Time, side string) (*assetResult, error) {
	assets, err := st.CoverageAssets(ctx, []int64{id}, linearKinds())
	if err != nil || len(assets) == 0 {
		return nil, err
	}
	rs, err := e.computeOn(ctx, st, assets, false, at, side, nil)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// bestClaim returns unit u's lead claim overlapping [from, to] the most (an assignment wins ties, since it
// names a person).
func bestClaim(cs []claim, u int64, from, to float64) *claim {
	var best *claim
	bestLen := -1.0
	for i := range cs {
		c := &cs[i]
		if !c.Lead || c.UnitID != u {
			continue
		}
		l := math.Min(c.To, to) - math.Max(c.From, from)
		if l > bestLen+1e-9 || (math.Abs(l-bestLen) <= 1e-9 && c.Source == "assignment") {
			best, bestLen = c, l
		}
	}
	return best
}

func unitNames(ctx context.Context, st *store.Store, cs []claim) (map[int64]store.Unit, error) {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.UnitID)
	}
	slices.Sort(ids)
	us, err := st.UnitsByID(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	m := make(map[int64]store.Unit, len(us))
	for _, u := range us {
		m[u.ID] = u
	}
	return m, nil
}

// SegmentFilter selects stored pieces for the GeoJSON lists.
type SegmentFilter = store.PieceFilter

// ErrBadFilter wraps invalid filter values.
var ErrBadFilter = errors.New("coverage: invalid filter")

// Segments returns stored pieces as a GeoJSON FeatureCollection built by PostGIS.
func (e *Engine) Segments(ctx context.Context, st *store.Store, f SegmentFilter) ([]byte, error) {
	if f.Status != "" && !slices.Contains(domain.PieceStatuses, f.Status) {
		return nil, fmt.Errorf("%w: status %q", ErrBadFilter, f.Status)
	}
	return st.CoverageFeatures(ctx, f)
}

// Gaps lists stored gaps for the CSV export.
func (e *Engine) Gaps(ctx context.Context, st *store.Store, kind string, minLengthM float64) ([]store.GapRow, error) {
	return st.CoverageGaps(ctx, kind, minLengthM)
}

// finish fills totals, percentages and the areal list.
func finish(s *Summary, areal []store.ArealCoverage) {
	for i := range s.ByKind {
		k := &s.ByKind[i]
		k.Percent = percent(k.CoveredM, k.TotalM)
		s.TotalM += k.TotalM
		s.CoveredM += k.CoveredM
		s.GapM += k.GapM
		s.OverlapM += k.OverlapM
	}
	s.Percent = percent(s.CoveredM, s.TotalM)
	for _, k := range arealKinds() {
		a := ArealSummary{Kind: k}
		for _, c := range areal {
			if c.Kind == k {
				a.TotalM2 += c.AreaM2
				a.CoveredM2 += c.CoveredM2
			}
		}
		a.Percent = percent(a.CoveredM2, a.TotalM2)
		s.Areal = append(s.Areal, a)
	}
	if s.ByKind == nil {
		s.ByKind = []KindSummary{}
	}
	if s.ByUnit == nil {
		s.ByUnit = []UnitSummary{}
	}
}
