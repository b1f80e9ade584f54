package service

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"time"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/store"
	"everymeter/vocab"
)

// 门前三包 for the leaders (issue 16 item 5): the frontage coverage of the stretches each unit leads, for the
// ranking context, and the network's and each street's by side, for the briefing. A unit's stretches are the
// stored coverage pieces naming it (covered or overlap, as its km in the ranking); on each side of such a stretch
// the covered meters are those inside the union of that side's frontages whose shop holds an agreement valid
// today, whoever the agreement is with: the question is how much of what the unit answers for is under 门前三包.

// validFrontage is the union of the valid frontages on each (street, side), clipped to [0, length].
type validFrontage map[int64]map[string]geo.Intervals

func validFrontages(rows []store.FrontageRow) validFrontage {
	out := validFrontage{}
	for _, r := range rows {
		if !r.Valid {
			continue
		}
		if out[r.AssetID] == nil {
			out[r.AssetID] = map[string]geo.Intervals{}
		}
		out[r.AssetID][r.Side] = append(out[r.AssetID][r.Side], geo.Interval{From: r.FromM, To: r.ToM})
	}
	for _, sides := range out {
		for sd, ivs := range sides {
			sides[sd] = ivs.Normalize()
		}
	}
	return out
}

// within is how many meters of [from, to] the normalized intervals cover.
func within(ivs geo.Intervals, from, to float64) float64 {
	m := 0.0
	for _, iv := range ivs {
		m += math.Max(0, math.Min(iv.To, to)-math.Max(iv.From, from))
	}
	return m
}

// sidePieces is the lead pieces of the fronted streets on each side of them, and the meters each unit leads on
// each side of every street.
type sidePieces struct {
	left, right         []store.LeadPiece
	leadLeft, leadRight map[int64]float64
}

// unitFrontage folds the lead pieces of each side and that side's frontages into each unit's covered meters on
// each side; lead is the meters each unit leads in all as one line (the ranking's km).
func unitFrontage(sp sidePieces, rows []store.FrontageRow, lead map[int64]float64) map[int64]*domain.UnitFrontage {
	vf := validFrontages(rows)
	out := map[int64]*domain.UnitFrontage{}
	for u, m := range lead {
		out[u] = &domain.UnitFrontage{LeadM: m}
	}
	credit := func(pieces []store.LeadPiece, side vocab.Side, add func(f *domain.UnitFrontage, m float64)) {
		for _, p := range pieces {
			m := within(vf[p.AssetID][string(side)], p.FromM, p.ToM)
			for _, u := range slices.Compact(slices.Sorted(slices.Values(p.UnitIDs))) {
				if f := out[u]; f != nil {
					add(f, m)
				}
			}
		}
	}
	credit(sp.left, vocab.Left, func(f *domain.UnitFrontage, m float64) { f.LeftM += m })
	credit(sp.right, vocab.Right, func(f *domain.UnitFrontage, m float64) { f.RightM += m })
	for u, f := range out {
		l, r := sp.leadLeft[u], sp.leadRight[u]
		f.CoveredM = f.LeftM + f.RightM
		f.Left, f.Right, f.Rate = ratioOf(f.LeftM, l), ratioOf(f.RightM, r), ratioOf(f.CoveredM, l+r)
		f.LeadM, f.LeadLeftM, f.LeadRightM = round2(f.LeadM), round2(l), round2(r)
		f.LeftM, f.RightM, f.CoveredM = round2(f.LeftM), round2(f.RightM), round2(f.CoveredM)
	}
	return out
}

// leadBySide splits the stored lead pieces of the fronted streets by side. The stored pieces are computed as one
// line, so on a street where some lead assignment holds on one side only they would credit that unit with the
// other side too: such streets are computed again for each side (zones, and the assignments of that side or of
// both), and each unit's meters led on each side corrected by the difference.
func (s *Service) leadBySide(ctx context.Context, lead map[int64]float64) (sidePieces, error) {
	sp := sidePieces{leadLeft: maps.Clone(lead), leadRight: maps.Clone(lead)}
	fronted, err := s.Store.FrontedLeadPieces(ctx)
	if err != nil {
		return sp, err
	}
	ids, err := s.Store.OneSidedLines(ctx)
	if err != nil || len(ids) == 0 {
		sp.left, sp.right = fronted, fronted
		return sp, err
	}
	one := map[int64]bool{}
	for _, id := range ids {
		one[id] = true
	}
	for _, p := range fronted {
		if !one[p.AssetID] {
			sp.left, sp.right = append(sp.left, p), append(sp.right, p)
		}
	}
	stored, err := s.Store.LeadPiecesOf(ctx, ids)
	if err != nil {
		return sp, err
	}
	for _, p := range stored {
		for _, u := range slices.Compact(slices.Sorted(slices.Values(p.UnitIDs))) {
			sp.leadLeft[u] -= p.ToM - p.FromM
			sp.leadRight[u] -= p.ToM - p.FromM
		}
	}
	for _, id := range ids {
		for _, side := range []vocab.Side{vocab.Left, vocab.Right} {
			c, err := s.Coverage.AssetCoverageSide(ctx, s.Store, id, nil, string(side))
			if errors.Is(err, domain.ErrNotFound) {
				continue
			}
			if err != nil {
				return sp, err
			}
			led := sp.leadLeft
			if side == vocab.Right {
				led = sp.leadRight
			}
			for _, pc := range c.Pieces {
				if len(pc.UnitIDs) == 0 {
					continue
				}
				p := store.LeadPiece{AssetID: id, FromM: pc.FromM, ToM: pc.ToM, UnitIDs: pc.UnitIDs}
				for _, u := range slices.Compact(slices.Sorted(slices.Values(p.UnitIDs))) {
					led[u] += p.ToM - p.FromM
				}
				if side == vocab.Left {
					sp.left = append(sp.left, p)
				} else {
					sp.right = append(sp.right, p)
				}
			}
		}
	}
	for _, led := range []map[int64]float64{sp.leadLeft, sp.leadRight} {
		for u, m := range led {
			led[u] = math.Max(0, m) // rounding of the stored pieces' sums
		}
	}
	return sp, nil
}

// ratioOf is a/b as a share (0–1), nil for an empty whole.
func ratioOf(a, b float64) *float64 {
	if b <= 0 {
		return nil
	}
	v := a / b
	return &v
}

// addFrontage puts each unit's 门前三包 coverage on its ranking row (a unit leading nothing gets zeros, no rates).
func (s *Service) addFrontage(ctx context.Context, units []domain.UnitStat) error {
	rows, err := s.Store.FrontageRows(ctx, nil, today())
	if err != nil {
		return err
	}
	lead := make(map[int64]float64, len(units))
	for _, u := range units {
		lead[u.UnitID] = u.Km * 1000 // the pieces naming it, as the ranking's km
	}
	sp, err := s.leadBySide(ctx, lead)
	if err != nil {
		return err
	}
	byUnit := unitFrontage(sp, rows, lead)
	for i := range units {
		f := byUnit[units[i].UnitID]
		if f == nil {
			f = &domain.UnitFrontage{}
		}
		units[i].Frontage = f
	}
	return nil
}

// frontageBriefing is the briefing's 门前三包 section: the network by side, and every street with a frontage by
// side, least covered first.
func (s *Service) frontageBriefing(ctx context.Context) (*domain.FrontageBriefing, error) {
	streets, byAsset, err := s.streetFrontages(ctx, today())
	if err != nil {
		return nil, err
	}
	out := &domain.FrontageBriefing{Sides: networkSides(streets, byAsset), Streets: []domain.StreetSides{}}
	for _, st := range streets {
		fr := byAsset[st.ID]
		if len(fr) == 0 {
			continue
		}
		l := sideCoverage(string(vocab.Left), st.LengthM, fr)
		r := sideCoverage(string(vocab.Right), st.LengthM, fr)
		row := domain.StreetSides{AssetID: st.ID, Name: st.Name, LengthM: round2(st.LengthM), LeftM: l.CoveredM, RightM: r.CoveredM, Shops: len(fr)}
		row.Left, row.Right = ratioOf(l.CoveredM, st.LengthM), ratioOf(r.CoveredM, st.LengthM)
		out.Streets = append(out.Streets, row)
	}
	slices.SortStableFunc(out.Streets, func(a, b domain.StreetSides) int {
		return cmp.Or(cmp.Compare(val(a.Left)+val(a.Right), val(b.Left)+val(b.Right)), cmp.Compare(a.AssetID, b.AssetID))
	})
	out.StreetsTotal = len(out.Streets)
	out.Streets = out.Streets[:min(len(out.Streets), domain.BriefingStreets)]
	return out, nil
}

// networkSides is the 门前三包 coverage of every street's left and right sides together.
func networkSides(streets []store.StreetLength, byAsset map[int64][]store.FrontageRow) []domain.SideTotal {
	out := make([]domain.SideTotal, 0, len(vocab.OneSides))
	for _, sd := range vocab.OneSides {
		var total, covered float64
		for _, st := range streets {
			total += st.LengthM
			covered += sideCoverage(string(sd), st.LengthM, byAsset[st.ID]).CoveredM
		}
		t := domain.SideTotal{Side: string(sd), LengthM: round2(total), CoveredM: round2(covered)}
		if total > 0 {
			t.Percent = math.Round(covered/total*10000) / 100
		}
		out = append(out, t)
	}
	return out
}

// frontageSides is the network's 门前三包 coverage by side for the coverage summary: the frontages as they are,
// their agreements judged on at's day (nil: today).
func (s *Service) frontageSides(ctx context.Context, at *time.Time) ([]domain.SideTotal, error) {
	day := today()
	if at != nil {
		day = at.UTC().Format(isoDate)
	}
	streets, byAsset, err := s.streetFrontages(ctx, day)
	if err != nil {
		return nil, err
	}
	return networkSides(streets, byAsset), nil
}

// streetFrontages returns every street with its length and its frontages (whether valid on day or not), by street.
func (s *Service) streetFrontages(ctx context.Context, day string) ([]store.StreetLength, map[int64][]store.FrontageRow, error) {
	streets, err := s.Store.StreetLengths(ctx, vocab.Strings(vocab.LinearKinds))
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.Store.FrontageRows(ctx, nil, day)
	if err != nil {
		return nil, nil, err
	}
	byAsset := map[int64][]store.FrontageRow{}
	for _, r := range rows {
		byAsset[r.AssetID] = append(byAsset[r.AssetID], r)
	}
	return streets, byAsset, nil
}

// ShopRepeats ranks the shops by the cases filed at their frontage in a period, per street (the streets with the
// most first): the shops that break their 门前三包 agreement most. The cases counted are those the case-aggregates
// entry lets the principal count; the contacts those the shop-contacts entry lets it see.
func (s *Service) ShopRepeats(ctx context.Context, p domain.Principal, q domain.RepeatQuery) ([]domain.StreetRepeats, error) {
	v, err := view(p, CaseAggregates)
	if err != nil {
		return nil, err
	}
	sc, err := contactScope(p)
	if err != nil {
		return nil, err
	}
	var c checker
	checkPeriod(&c, q.From, q.To)
	c.check(q.MinCount >= 1 && q.MinCount <= 1000, "min_count", "min_count must be from 1 to 1000")
	if err := c.err(); err != nil {
		return nil, err
	}
	if q.AssetID != nil {
		if _, err := s.Store.Asset(ctx, *q.AssetID); err != nil {
			return nil, err
		}
	}
	rows, err := s.Store.ShopRepeats(ctx, sc, today(), q, v.only())
	if err != nil {
		return nil, err
	}
	out := []domain.StreetRepeats{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].AssetID != r.AssetID {
			out = append(out, domain.StreetRepeats{AssetID: r.AssetID, Name: r.Street, Shops: []domain.ShopRepeat{}})
		}
		st := &out[len(out)-1]
		st.Cases += r.Cases
		st.Shops = append(st.Shops, r.ShopRepeat)
	}
	slices.SortStableFunc(out, func(a, b domain.StreetRepeats) int { return cmp.Compare(b.Cases, a.Cases) })
	return out, nil
}
