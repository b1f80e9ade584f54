package coverage

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/store"
)

// Owner lookup parameters, in meters.
const (
	// OwnerTolerance: the nearest meter of street must be this close to the point to decide.
	OwnerTolerance = 30.0
	// AmbiguityM: a second street this much farther than the nearest, or a piece boundary this close
	// along it, with other owners makes the answer ambiguous.
	AmbiguityM = 3.0
	// knn is how many assets the index returns; the index orders by degrees, so a few extra are
	// re-ranked in meters.
	knn = 6
	// maxCandidates is how many candidates a 404 lists.
	maxCandidates = 5
)

// ErrNoOwner means no street is within OwnerTolerance of the point and no lead zone contains it;
// OwnerResult.Candidates then lists the nearest assets.
var ErrNoOwner = domain.ErrNoOwner

// OwnerResult is domain.OwnerResult (the definition moved to package domain).
type OwnerResult = domain.OwnerResult

// AssetRef is domain.AssetRef (the definition moved to package domain).
type AssetRef = domain.AssetRef

// OwnerUnit is domain.OwnerUnit (the definition moved to package domain).
type OwnerUnit = domain.OwnerUnit

// Candidate is domain.Candidate (the definition moved to package domain).
type Candidate = domain.Candidate

type located struct {
	a    store.CoverageAsset
	line *geo.Line
	m, d float64
}

// Owner finds who owns the meter of street nearest p, at time at (nil: now, from the stored results).
// With nothing within OwnerTolerance it falls back to the lead zone containing p; with neither it returns
// ErrNoOwner and a result whose Candidates list the nearest assets.
func (e *Engine) Owner(ctx context.Context, st *store.Store, p orb.Point, at *time.Time) (OwnerResult, error) {
	res := OwnerResult{Units: []OwnerUnit{}, DecidedBy: "none", At: at}
	// Now (the common case) is answered from the stored results in one round trip; another time computes
	// the nearby assets' pieces for that time.
	var d store.OwnerData
	var err error
	var locs []located
	indexed := false
	if ix := e.owners.Load(); at == nil && ix != nil {
		// From memory, when the index can say and a street decides (the zones are read from the database).
		if d, indexed = ix.lookup(p, time.Now()); indexed {
			if locs = locate(d.Assets, p); len(locs) == 0 || locs[0].d > OwnerTolerance-1 {
				indexed = false
			}
		}
		if indexed {
			ix.hits.Add(1)
		} else {
			ix.misses.Add(1)
		}
	}
	if !indexed {
		if at == nil {
			// The database's geography distance and geo's agree to millimetres; a meter of slack makes sure
			// the zones are read whenever the decision below may need them.
			d, err = st.OwnerLookup(ctx, p, linearKinds(), knn, OwnerTolerance-1)
		} else {
			d = store.OwnerData{}
			d.Assets, err = st.NearestAssets(ctx, p, linearKinds(), knn)
		}
		if err != nil {
			return res, err
		}
		locs = locate(d.Assets, p)
	}

	if len(locs) == 0 || locs[0].d > OwnerTolerance {
		return e.ownerByZone(ctx, st, p, at, locs, res, d)
	}
	best := locs[0]
	res.Asset = &AssetRef{ID: best.a.ID, Name: best.a.Name, Kind: best.a.Kind}
	res.MeasureM, res.DistanceM = ptr(round2(best.m)), ptr(round2(best.d))
	res.DecidedBy = "nearest_meter"

	// Owners along the nearest asset, and along a second one nearly as near (a crossing, parallel lanes).
	ids := []int64{best.a.ID}
	var second *located
	for i := 1; i < len(locs); i++ {
		if locs[i].d-best.d <= AmbiguityM {
			second = &locs[i]
			ids = append(ids, locs[i].a.ID)
			break
		}
	}
	pieces, asg, known, err := e.ownerFacts(ctx, st, ids, at, d)
	if err != nil {
		return res, err
	}
	owners := ownersAt(pieces[best.a.ID], best.m)
	all := slices.Clone(owners)
	var why i18n.Msgs
	// Near a piece boundary with other owners: both sides are plausible (a gap next door is not a rival).
	for _, pc := range pieces[best.a.ID] {
		if len(pc.UnitIDs) > 0 && !slices.Equal(pc.UnitIDs, owners) && best.m >= pc.FromM-AmbiguityM && best.m <= pc.ToM+AmbiguityM {
			res.Ambiguous = true
			all = union(all, pc.UnitIDs)
			why = append(why, i18n.M("ambiguous: within %s m of where ownership changes", meters0(AmbiguityM)))
			break
		}
	}
	if second != nil {
		o2 := ownersAt(pieces[second.a.ID], second.m)
		if len(o2) > 0 && !slices.Equal(o2, owners) {
			res.Ambiguous = true
			all = union(all, o2)
			why = append(why, i18n.M("ambiguous: %s is also %s m away", assetLabel(second.a), meters1(second.d)))
		}
	}
	if len(owners) > 1 {
		res.Ambiguous = true
		why = append(why, i18n.M("ambiguous: this stretch has several lead units (overlap)"))
	}
	units, err := unitsOf(ctx, st, all, known)
	if err != nil {
		return res, err
	}
	// Owners of the nearest meter first, then the other plausible ones.
	slices.SortStableFunc(units, func(x, y store.Unit) int {
		return boolInt(!slices.Contains(owners, x.ID)) - boolInt(!slices.Contains(owners, y.ID))
	})
	for _, u := range units {
		res.Units = append(res.Units, OwnerUnit{ID: u.ID, Code: u.Code, Name: u.Name})
	}
	if len(owners) == 1 {
		res.Person, res.Phone = person(asg, owners[0], best.m, units)
	}
	names := make([]string, 0, len(owners))
	for _, u := range units {
		if slices.Contains(owners, u.ID) {
			names = append(names, u.Name)
		}
	}
	first := i18n.M("nearest meter %s m along %s, which has no lead unit (a gap), %s m away", meters0(best.m), assetLabel(best.a), meters1(best.d))
	if len(names) > 0 {
		first = i18n.M("nearest meter %s m along %s, owned by %s, %s m away", meters0(best.m), assetLabel(best.a), strings.Join(names, "、"), meters1(best.d))
	}
	setReason(&res, append(i18n.Msgs{first}, why...))
	return res, nil
}

// locate places p along each asset, nearest first.
func locate(assets []store.CoverageAsset, p orb.Point) []located {
	var locs []located
	for _, a := range assets {
		line, err := geo.NewLine(a.Geom)
		if err != nil {
			continue
		}
		m, d := line.Locate(p)
		locs = append(locs, located{a, line, m, d})
	}
	slices.SortStableFunc(locs, func(x, y located) int { return cmpF(x.d, y.d) })
	return locs
}

// ownerByZone answers from the lead zone containing p, or fails with candidates; d holds the zones and
// units when the lookup is for now.
func (e *Engine) ownerByZone(ctx context.Context, st *store.Store, p orb.Point, at *time.Time, locs []located, res OwnerResult, d store.OwnerData) (OwnerResult, error) {
	zones := d.Zones
	if at != nil || !d.ZonesRead {
		var err error
		if zones, err = st.LeadZonesContaining(ctx, p, at); err != nil {
			return res, err
		}
	}
	if len(zones) == 0 {
		for i, l := range locs {
			if i == maxCandidates {
				break
			}
			res.Candidates = append(res.Candidates, Candidate{Asset: AssetRef{ID: l.a.ID, Name: l.a.Name, Kind: l.a.Kind}, MeasureM: round2(l.m), DistanceM: round2(l.d)})
		}
		if res.Candidates == nil {
			res.Candidates = []Candidate{}
		}
		why := i18n.M("no street within %s m and no lead zone here", meters0(OwnerTolerance))
		if len(locs) > 0 {
			why = i18n.M("no street within %s m (nearest: %s, %s m away) and no lead zone here", meters0(OwnerTolerance), assetLabel(locs[0].a), meters0(locs[0].d))
		}
		setReason(&res, i18n.Msgs{why})
		return res, ErrNoOwner
	}
	var ids []int64
	for _, z := range zones {
		ids = append(ids, z.UnitID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	units, err := unitsOf(ctx, st, ids, d.Units)
	if err != nil {
		return res, err
	}
	var names []string
	for _, u := range units {
		res.Units = append(res.Units, OwnerUnit{ID: u.ID, Code: u.Code, Name: u.Name})
		names = append(names, u.Name)
	}
	if len(units) == 1 {
		res.Person, res.Phone = units[0].ContactPerson, units[0].Phone
	}
	res.DecidedBy, res.ZoneID = "zone", zones[0].ID
	res.Ambiguous = len(units) > 1
	zname := zones[0].Name
	if zname == "" {
		zname = fmt.Sprintf("#%d", zones[0].ID)
	}
	setReason(&res, i18n.Msgs{i18n.M("no street within %s m; the point lies in lead zone %s of %s", meters0(OwnerTolerance), zname, strings.Join(names, "、"))})
	if len(locs) > 0 {
		res.Candidates = []Candidate{{Asset: AssetRef{ID: locs[0].a.ID, Name: locs[0].a.Name, Kind: locs[0].a.Kind}, MeasureM: round2(locs[0].m), DistanceM: round2(locs[0].d)}}
	}
	return res, nil
}

// piecesOf groups the stored pieces by asset and computes those of assets without any (never computed,
// or another time than now).
func (e *Engine) piecesOf(ctx context.Context, st *store.Store, ids []int64, at *time.Time, stored []store.CoveragePiece) (map[int64][]store.CoveragePiece, error) {
	out := map[int64][]store.CoveragePiece{}
	for _, p := range stored {
		out[p.AssetID] = append(out[p.AssetID], p)
	}
	for _, id := range ids {
		if len(out[id]) > 0 {
			continue
		}
		r, err := e.computeOne(ctx, st, id, at)
		if err != nil {
			return nil, err
		}
		if r != nil {
			for _, p := range r.Pieces {
				out[id] = append(out[id], store.CoveragePiece{AssetID: id, FromM: p.From, ToM: p.To, Status: Status(p.Owners), UnitIDs: p.Owners})
			}
		}
	}
	return out, nil
}

// person names the person for unit u at measure m: from a lead assignment covering it, else the unit's contact.
func person(asg []store.Assignment, u int64, m float64, units []store.Unit) (string, string) {
	for _, s := range asg {
		if s.Role == "lead" && s.UnitID == u && s.FromM <= m && m <= s.ToM && (s.Person != "" || s.Phone != "") {
			return s.Person, s.Phone
		}
	}
	for _, x := range units {
		if x.ID == u {
			return x.ContactPerson, x.Phone
		}
	}
	return "", ""
}

// ownerFacts returns the pieces of the assets, the valid lead assignments of the first, and the units
// the stored pieces name: from d when the lookup is for now, else computed for the time at.
func (e *Engine) ownerFacts(ctx context.Context, st *store.Store, ids []int64, at *time.Time, d store.OwnerData) (map[int64][]store.CoveragePiece, []store.Assignment, []store.Unit, error) {
	var asg []store.Assignment
	var err error
	if at == nil {
		for _, s := range d.Assignments {
			if s.AssetID == ids[0] {
				asg = append(asg, s)
			}
		}
	} else if asg, err = st.CoverageAssignments(ctx, ids[:1], at); err != nil {
		return nil, nil, nil, err
	}
	pieces, err := e.piecesOf(ctx, st, ids, at, d.Pieces)
	return pieces, asg, d.Units, err
}

// unitsOf returns the units with the given ids, from known when all are there.
func unitsOf(ctx context.Context, st *store.Store, ids []int64, known []store.Unit) ([]store.Unit, error) {
	var out []store.Unit
	for _, id := range ids {
		i := slices.IndexFunc(known, func(u store.Unit) bool { return u.ID == id })
		if i < 0 {
			return st.UnitsByID(ctx, ids)
		}
		out = append(out, known[i])
	}
	if out == nil {
		out = []store.Unit{}
	}
	return out, nil
}

// ownersAt returns the owners of the piece containing m (the later piece at a boundary).
func ownersAt(ps []store.CoveragePiece, m float64) []int64 {
	var out []int64
	for _, p := range ps {
		if m >= p.FromM && m <= p.ToM {
			out = p.UnitIDs
			if m < p.ToM {
				break
			}
		}
	}
	if out == nil {
		return []int64{}
	}
	return out
}

func union(a, b []int64) []int64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func assetLabel(a store.CoverageAsset) string {
	if a.Name != "" {
		return a.Name
	}
	return fmt.Sprintf("%s #%d", a.Kind, a.ID)
}

// setReason writes the reason in its parts and, for readers of the text, in English.
func setReason(res *OwnerResult, parts i18n.Msgs) {
	res.ReasonParts, res.Reason = parts, parts.String()
}

// meters0 and meters1 format a distance for a reason (its arguments are text, so that it survives being stored).
func meters0(m float64) string { return strconv.FormatFloat(m, 'f', 0, 64) }
func meters1(m float64) string { return strconv.FormatFloat(m, 'f', 1, 64) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func ptr[T any](v T) *T { return &v }
