package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/store"
	"everymeter/vocab"
)

// Frontage derivation, in meters.
const (
	// FrontageMaxDistanceM: a shop farther than this from every street gets no frontage.
	FrontageMaxDistanceM = 40.0
	// PointFrontageM is the frontage of a shop known only by a point: this much centred on its projection.
	PointFrontageM = 8.0
)

var (
	countyCode = regexp.MustCompile(`^[0-9]{6}$`)
	objectCode = regexp.MustCompile(`^[0-9]{16}$`)
	isoDate    = "2006-01-02"
)

// today is the day agreements are judged on.
func today() string { return time.Now().UTC().Format(isoDate) }

func validDate(s string) bool { _, err := time.Parse(isoDate, s); return err == nil }

// checkLonLat adds a field error when a geometry's coordinates are not [lon, lat] within range.
func checkLonLat(c *checker, field string, g orb.Geometry) {
	if g == nil {
		c.add(field, "a GeoJSON geometry is required")
		return
	}
	if err := geo.ValidateGeometry(g); err != nil {
		c.add(field, "%s", err.Error())
	}
}

// ---- 部件

func (s *Service) checkPart(ctx context.Context, tx *store.Store, p *store.Part) error {
	var c checker
	info, ok := vocab.PartKind(p.Kind).Info()
	c.check(ok, "kind", "kind must be %s", either(vocab.Strings(vocab.PartKinds)))
	if p.State == "" {
		p.State = string(vocab.Intact)
	}
	c.check(vocab.PartState(p.State).Valid(), "state", "state must be %s", either(vocab.Strings(vocab.PartStates)))
	c.check(utf8.RuneCountInString(p.Name) <= 200, "name", "at most 200 characters")
	c.check(p.CheckedOn == nil || validDate(*p.CheckedOn), "checked_on", "checked_on must be a date like 2026-05-01")
	checkLonLat(&c, "geometry", p.Geom)
	switch p.Geom.(type) {
	case orb.Point:
	case orb.LineString:
		c.check(!ok || info.Linear, "geometry", "a %s is a point", p.Kind)
	case nil:
	default:
		c.add("geometry", "a 部件 is a Point (or a short LineString)")
	}
	if p.ID == 0 {
		if p.Code != "" {
			c.check(objectCode.MatchString(p.Code), "code", "an object code has 16 digits: county (6) + 大类 (2) + 小类 (2) + sequence (6)")
			c.check(!ok || len(p.Code) != 16 || p.Code[6:10] == info.Major+info.Minor, "code",
				"digits 7–10 of a %s's code are its 大类 and 小类 %s%s", p.Kind, info.Major, info.Minor)
		} else {
			c.check(countyCode.MatchString(p.County), "county", "a 6-digit county code (GB/T 2260) is required when no code is given")
		}
	}
	if err := checkUnitRef(ctx, tx, &c, "owner_unit_id", p.OwnerUnitID); err != nil {
		return err
	}
	if p.MaintainerUnitID != nil {
		if err := checkUnitRef(ctx, tx, &c, "maintainer_unit_id", *p.MaintainerUnitID); err != nil {
			return err
		}
	}
	return c.err()
}

// Parts lists 部件 (map data: every signed-in user).
func (s *Service) Parts(ctx context.Context, p domain.Principal, f domain.PartFilter) ([]domain.Part, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	if f.Kind != "" && !vocab.PartKind(f.Kind).Valid() {
		return nil, invalid("kind", "kind must be %s", either(vocab.Strings(vocab.PartKinds)))
	}
	return s.Store.Parts(ctx, f)
}

// Part returns one 部件.
func (s *Service) Part(ctx context.Context, p domain.Principal, id int64) (domain.Part, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Part{}, err
	}
	return s.Store.Part(ctx, id)
}

// SaveParts validates and stores 部件 in one transaction (all or none): new ones, or with a known source and
// source id the same ones again (imports are idempotent). It returns them and how many were new.
func (s *Service) SaveParts(ctx context.Context, actor domain.Actor, ps []domain.Part) ([]domain.Part, int, error) {
	out := make([]domain.Part, 0, len(ps))
	created := 0
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		for i := range ps {
			p := ps[i]
			p.ID = 0
			if err := s.checkPart(ctx, tx, &p); err != nil {
				if len(ps) > 1 {
					return fmt.Errorf("part %d: %w", i+1, err)
				}
				return err
			}
			info, _ := vocab.PartKind(p.Kind).Info()
			saved, isNew, err := tx.SavePart(ctx, p, info.Major+info.Minor)
			if err != nil {
				return err
			}
			if isNew {
				created++
			}
			if err := tx.Audit(ctx, actor, "create", "part", saved.ID, nil, saved); err != nil {
				return err
			}
			out = append(out, saved)
		}
		return nil
	})
	return out, created, err
}

// UpdatePart overwrites a 部件's kind, name, place, units, state and check date.
func (s *Service) UpdatePart(ctx context.Context, actor domain.Actor, p domain.Part) (domain.Part, error) {
	var out domain.Part
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.Part(ctx, p.ID)
		if err != nil {
			return err
		}
		if err := s.checkPart(ctx, tx, &p); err != nil {
			return err
		}
		if out, err = tx.UpdatePart(ctx, p); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "update", "part", p.ID, before, out)
	})
	return out, err
}

// DeletePart deletes a 部件.
func (s *Service) DeletePart(ctx context.Context, actor domain.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.DeletePart(ctx, id)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "delete", "part", id, before, nil)
	})
}

// ---- shops and frontages

// contactScope turns the policy's decision on shop contacts into the store's SQL condition.
func contactScope(p domain.Principal) (store.ContactScope, error) {
	v, err := view(p, ShopContacts)
	if err != nil {
		return store.ContactScope{}, err
	}
	if v.Denied {
		return store.ContactScope{}, nil
	}
	return store.ContactScope{All: v.Unit == nil, Unit: v.Unit}, nil
}

// Shops lists shops (map data) in a bbox or fronting a street; contacts only as the policy allows.
func (s *Service) Shops(ctx context.Context, p domain.Principal, bbox *orb.Bound, assetID *int64, limit int) ([]domain.Shop, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	sc, err := contactScope(p)
	if err != nil {
		return nil, err
	}
	return s.Store.Shops(ctx, sc, today(), store.ShopFilter{BBox: bbox, AssetID: assetID, Limit: limit})
}

// Shop returns one shop; its contact only as the policy allows.
func (s *Service) Shop(ctx context.Context, p domain.Principal, id int64) (domain.Shop, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Shop{}, err
	}
	sc, err := contactScope(p)
	if err != nil {
		return domain.Shop{}, err
	}
	return s.Store.Shop(ctx, sc, today(), id)
}

func checkShop(ctx context.Context, tx *store.Store, sh domain.Shop) error {
	var c checker
	n := utf8.RuneCountInString(sh.Name)
	c.check(n >= 1 && n <= 200, "name", "a name of 1 to 200 characters is required")
	c.check(utf8.RuneCountInString(sh.Licence) <= 64, "licence", "at most 64 characters")
	c.check(utf8.RuneCountInString(sh.ContactPerson) <= 100, "contact_person", "at most 100 characters")
	c.check(utf8.RuneCountInString(sh.Phone) <= 40, "phone", "at most 40 characters")
	c.check(utf8.RuneCountInString(sh.Address) <= 500, "address", "at most 500 characters")
	checkLonLat(&c, "geometry", sh.Geom)
	switch sh.Geom.(type) {
	case orb.Point, orb.Polygon, orb.MultiPolygon, nil:
	default:
		c.add("geometry", "a shop is a Point (its door) or a Polygon (its footprint)")
	}
	if sh.UnitID != nil {
		if err := checkUnitRef(ctx, tx, &c, "unit_id", *sh.UnitID); err != nil {
			return err
		}
	}
	return c.err()
}

// DeriveFrontage projects a shop's footprint (or door) onto the nearest street and returns its frontage there: the
// range its vertices project to (a point: PointFrontageM around it), on the side its centre lies. ok is false
// when no street is within FrontageMaxDistanceM.
func DeriveFrontage(g orb.Geometry, streets []store.CoverageAsset) (f domain.Frontage, ok bool) {
	centre, vertices := footprint(g)
	best, bestD := -1, math.Inf(1)
	var lines []*geo.Line
	for i, a := range streets {
		l, err := geo.NewLine(a.Geom)
		lines = append(lines, l)
		if err != nil {
			continue
		}
		if _, d := l.Locate(centre); d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 || bestD > FrontageMaxDistanceM {
		return f, false
	}
	l := lines[best]
	from, to := math.Inf(1), math.Inf(-1)
	for _, v := range vertices {
		m, _ := l.Locate(v)
		from, to = math.Min(from, m), math.Max(to, m)
	}
	if len(vertices) == 1 || to-from < 1 {
		mid := (from + to) / 2
		from, to = mid-PointFrontageM/2, mid+PointFrontageM/2
	}
	from, to = math.Max(0, from), math.Min(l.Length(), to)
	if !(to > from) {
		return f, false
	}
	side := vocab.Left
	if l.SideOf(centre) < 0 {
		side = vocab.Right
	}
	a := streets[best]
	return domain.Frontage{AssetID: a.ID, AssetName: a.Name, Side: string(side), FromM: from, ToM: to, LengthM: to - from}, true
}

// footprint returns a shop geometry's centre and the points that project to its frontage.
func footprint(g orb.Geometry) (orb.Point, []orb.Point) {
	switch g := g.(type) {
	case orb.Point:
		return g, []orb.Point{g}
	case orb.Polygon:
		c, _ := planar.CentroidArea(g)
		return c, g[0]
	case orb.MultiPolygon:
		c, _ := planar.CentroidArea(g)
		var vs []orb.Point
		for _, p := range g {
			vs = append(vs, p[0]...)
		}
		return c, vs
	}
	return g.Bound().Center(), []orb.Point{g.Bound().Center()}
}

// deriveFrontage finds the streets near a shop and derives its frontage.
func deriveFrontage(ctx context.Context, tx *store.Store, g orb.Geometry) (domain.Frontage, bool, error) {
	c, _ := footprint(g)
	streets, err := tx.NearestAssets(ctx, c, vocab.Strings(vocab.LinearKinds), 6)
	if err != nil {
		return domain.Frontage{}, false, err
	}
	f, ok := DeriveFrontage(g, streets)
	return f, ok, nil
}

// SaveShops validates and stores shops in one transaction, deriving each one's frontage on the nearest street
// (kept where it was adjusted by hand); it returns their ids.
func (s *Service) SaveShops(ctx context.Context, actor domain.Actor, shops []domain.Shop) ([]int64, error) {
	var ids []int64
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		for i, sh := range shops {
			if err := checkShop(ctx, tx, sh); err != nil {
				if len(shops) > 1 {
					return fmt.Errorf("shop %d: %w", i+1, err)
				}
				return err
			}
			var before *domain.Shop
			if sh.ID != 0 {
				b, err := tx.Shop(ctx, store.ContactScope{All: true}, today(), sh.ID)
				if err != nil {
					return err
				}
				before = &b
			}
			id, err := tx.SaveShop(ctx, sh)
			if err != nil {
				return err
			}
			if before == nil || before.Frontage == nil || !before.Frontage.Adjusted {
				f, ok, err := deriveFrontage(ctx, tx, sh.Geom)
				if err != nil {
					return err
				}
				if ok {
					f.ShopID = id
					if err := tx.SetFrontage(ctx, f); err != nil {
						return err
					}
				}
			}
			action := "create"
			if before != nil {
				action = "update"
			}
			if err := tx.Audit(ctx, actor, action, "shop", id, before, map[string]any{"name": sh.Name}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// DeleteShop deletes a shop with its frontage and agreements.
func (s *Service) DeleteShop(ctx context.Context, actor domain.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteShop(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "delete", "shop", id, nil, nil)
	})
}

// AdjustFrontage moves a shop's frontage by hand: its two ends (meters along the street), and optionally its
// street and side; a later re-derivation keeps it.
func (s *Service) AdjustFrontage(ctx context.Context, actor domain.Actor, f domain.Frontage) (domain.Frontage, error) {
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		sh, err := tx.Shop(ctx, store.ContactScope{All: true}, today(), f.ShopID)
		if err != nil {
			return err
		}
		if f.AssetID == 0 && sh.Frontage != nil {
			f.AssetID = sh.Frontage.AssetID
		}
		if f.Side == "" && sh.Frontage != nil {
			f.Side = sh.Frontage.Side
		}
		var c checker
		c.check(f.AssetID > 0, "asset_id", "the shop has no frontage yet: name the street (asset_id)")
		c.check(vocab.Is(f.Side, vocab.OneSides), "side", "side must be left or right")
		c.check(!math.IsNaN(f.FromM) && !math.IsInf(f.FromM, 0) && f.FromM >= 0, "from_m", "from_m must be a number ≥ 0")
		c.check(!math.IsNaN(f.ToM) && !math.IsInf(f.ToM, 0) && f.ToM > f.FromM, "to_m", "to_m must be greater than from_m")
		if err := c.err(); err != nil {
			return err
		}
		a, err := tx.Asset(ctx, f.AssetID)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("asset_id", "no asset with id %d", f.AssetID)
		} else if err != nil {
			return err
		}
		if AssetKinds[a.Kind] != geo.Lineal {
			return invalid("asset_id", "asset %d is not a street", a.ID)
		}
		if f.ToM > a.LengthM+lengthSlack {
			return invalid("to_m", "to_m (%g) is beyond the end of %q, which is %.2f m long", f.ToM, a.Name, a.LengthM)
		}
		f.ToM = math.Min(f.ToM, a.LengthM)
		f.Adjusted, f.AssetName, f.LengthM = true, a.Name, f.ToM-f.FromM
		if err := tx.SetFrontage(ctx, f); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "update", "frontage", f.ShopID, sh.Frontage, f)
	})
	return f, err
}

// SignAgreement records a 门前三包 agreement of a shop with a unit: by default the shop's unit, else the lead unit
// (the territory) of its frontage's middle.
func (s *Service) SignAgreement(ctx context.Context, actor domain.Actor, a domain.Agreement) (domain.Agreement, error) {
	var out domain.Agreement
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		sh, err := tx.Shop(ctx, store.ContactScope{All: true}, today(), a.ShopID)
		if err != nil {
			return err
		}
		if a.UnitID == 0 && sh.UnitID != nil {
			a.UnitID = *sh.UnitID
		}
		if a.UnitID == 0 && sh.Frontage != nil { // the territory: the lead unit of the frontage's middle
			us, err := tx.AssetLeadUnitsAt(ctx, sh.Frontage.AssetID, (sh.Frontage.FromM+sh.Frontage.ToM)/2)
			if err != nil {
				return err
			}
			if len(us) > 0 {
				a.UnitID = us[0].ID
			}
		}
		if len(a.Duties) == 0 {
			a.Duties = vocab.Strings(vocab.Duties)
		}
		if a.SignedOn == "" {
			a.SignedOn = today()
		}
		if a.ValidFrom == "" {
			a.ValidFrom = a.SignedOn
		}
		var c checker
		for _, d := range a.Duties {
			c.check(vocab.Duty(d).Valid(), "duties", "each duty must be %s", either(vocab.Strings(vocab.Duties)))
		}
		slices.Sort(a.Duties)
		a.Duties = slices.Compact(a.Duties)
		c.check(validDate(a.SignedOn), "signed_on", "signed_on must be a date like 2026-05-01")
		c.check(validDate(a.ValidFrom), "valid_from", "valid_from must be a date like 2026-05-01")
		c.check(validDate(a.ValidTo), "valid_to", "valid_to must be a date like 2027-04-30")
		c.check(a.ValidTo >= a.ValidFrom, "valid_to", "valid_to must not be before valid_from")
		c.check(utf8.RuneCountInString(a.SignedBy) <= 100, "signed_by", "at most 100 characters")
		if err := checkUnitRef(ctx, tx, &c, "unit_id", a.UnitID); err != nil {
			return err
		}
		if err := c.err(); err != nil {
			return err
		}
		id, err := tx.CreateAgreement(ctx, a)
		if err != nil {
			return err
		}
		if sh.UnitID == nil { // the territory the shop signed with sees its contact
			sh.UnitID = &a.UnitID
			if _, err := tx.SaveShop(ctx, sh); err != nil {
				return err
			}
		}
		a.ID = id
		a.Valid = a.ValidFrom <= today() && today() <= a.ValidTo
		out = a
		return tx.Audit(ctx, actor, "create", "agreement", id, nil, a)
	})
	return out, err
}

// ---- coverage by side

// sideCoverage computes one side of a street of length total from its frontages: the union of those whose shop
// has a valid agreement, its share, and the gaps between.
func sideCoverage(side string, total float64, rows []store.FrontageRow) domain.SideCoverage {
	sc := domain.SideCoverage{Side: side, LengthM: round2(total), Gaps: []domain.Interval{}, Frontages: []domain.FrontageRef{}}
	var ivs geo.Intervals
	for _, r := range rows {
		if r.Side != side {
			continue
		}
		sc.Frontages = append(sc.Frontages, domain.FrontageRef{ShopID: r.ShopID, Name: r.Name, FromM: r.FromM, ToM: r.ToM, Valid: r.Valid})
		if r.Valid {
			ivs = append(ivs, geo.Interval{From: math.Max(0, r.FromM), To: math.Min(total, r.ToM)})
		}
	}
	ivs = ivs.Normalize()
	covered := ivs.Total()
	at := 0.0
	for _, iv := range ivs {
		if iv.From > at {
			sc.Gaps = append(sc.Gaps, domain.Interval{FromM: round2(at), ToM: round2(iv.From)})
		}
		at = math.Max(at, iv.To)
	}
	if total > at {
		sc.Gaps = append(sc.Gaps, domain.Interval{FromM: round2(at), ToM: round2(total)})
	}
	sc.CoveredM = round2(covered)
	if total > 0 {
		sc.Percent = math.Round(covered/total*10000) / 100
	}
	return sc
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// FrontageCoverage is a street's 门前三包 coverage by side (side "": both sides; else left or right).
func (s *Service) FrontageCoverage(ctx context.Context, p domain.Principal, assetID int64, side string) (domain.FrontageCoverage, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.FrontageCoverage{}, err
	}
	if side != "" && !vocab.Is(side, vocab.OneSides) {
		return domain.FrontageCoverage{}, invalid("side", "side must be left or right")
	}
	a, err := s.Store.Asset(ctx, assetID)
	if err != nil {
		return domain.FrontageCoverage{}, err
	}
	out := domain.FrontageCoverage{AssetID: a.ID, Name: a.Name, Kind: a.Kind, LengthM: round2(a.LengthM), Sides: []domain.SideCoverage{}}
	if AssetKinds[a.Kind] != geo.Lineal {
		return out, nil
	}
	rows, err := s.Store.FrontageRows(ctx, []int64{a.ID}, today())
	if err != nil {
		return out, err
	}
	for _, sd := range vocab.OneSides {
		if side == "" || side == string(sd) {
			out.Sides = append(out.Sides, sideCoverage(string(sd), a.LengthM, rows))
		}
	}
	return out, nil
}

// AssetCoverageOn is an asset's coverage on one side: the lead owners from the zones and the assignments of that
// side or both, with the side's 门前三包 frontage coverage.
func (s *Service) AssetCoverageOn(ctx context.Context, p domain.Principal, id int64, at *time.Time, side string) (domain.AssetCoverage, error) {
	if !vocab.Is(side, vocab.OneSides) {
		return domain.AssetCoverage{}, invalid("side", "side must be left or right")
	}
	if err := s.allow(p, MapData); err != nil {
		return domain.AssetCoverage{}, err
	}
	out, err := s.Coverage.AssetCoverageSide(ctx, s.Store, id, at, side)
	if err != nil {
		return out, err
	}
	fc, err := s.FrontageCoverage(ctx, p, id, side)
	if err != nil {
		return out, err
	}
	out.Side = side
	if len(fc.Sides) == 1 {
		out.Frontage = &fc.Sides[0]
	}
	return out, nil
}

// FrontageSummary is the 门前三包 coverage of the whole network by side, per street (those with a frontage,
// least covered first) and per unit (the meters of valid frontage signed with it against both sides of what it
// leads), with the cases filed at the frontages.
func (s *Service) FrontageSummary(ctx context.Context, p domain.Principal) (domain.FrontageSummary, error) {
	out := domain.FrontageSummary{Sides: []domain.SideTotal{}, Streets: []domain.FrontageStat{}, Units: []domain.FrontageStat{}}
	if err := s.allow(p, MapData); err != nil {
		return out, err
	}
	streets, byAsset, err := s.streetFrontages(ctx, today())
	if err != nil {
		return out, err
	}
	out.Sides = make([]domain.SideTotal, len(vocab.OneSides))
	totals := map[string]*domain.SideTotal{}
	for i, sd := range vocab.OneSides {
		out.Sides[i].Side = string(sd)
		totals[string(sd)] = &out.Sides[i]
	}
	type unitAcc struct {
		covered float64
		shops   map[int64]bool
		cases   int
	}
	units := map[int64]*unitAcc{}
	for _, st := range streets {
		fr := byAsset[st.ID]
		stat := domain.FrontageStat{ID: st.ID, Name: st.Name, LengthM: round2(2 * st.LengthM)}
		covered := 0.0
		for _, sd := range vocab.OneSides {
			sc := sideCoverage(string(sd), st.LengthM, fr)
			t := totals[string(sd)]
			t.LengthM += st.LengthM
			t.CoveredM += sc.CoveredM
			covered += sc.CoveredM
		}
		// Per unit: the union of its valid frontages on each side of this street.
		perUnit := map[int64][]store.FrontageRow{}
		for _, r := range fr {
			stat.Shops++
			stat.Cases += r.Cases
			if r.Valid && r.UnitID != nil {
				perUnit[*r.UnitID] = append(perUnit[*r.UnitID], r)
			}
		}
		for u, urs := range perUnit {
			acc := units[u]
			if acc == nil {
				acc = &unitAcc{shops: map[int64]bool{}}
				units[u] = acc
			}
			for _, sd := range vocab.OneSides {
				acc.covered += sideCoverage(string(sd), st.LengthM, urs).CoveredM
			}
			for _, r := range urs {
				if !acc.shops[r.ShopID] {
					acc.shops[r.ShopID] = true
					acc.cases += r.Cases
				}
			}
		}
		if len(fr) == 0 {
			continue
		}
		stat.CoveredM = round2(covered)
		if stat.LengthM > 0 {
			stat.Percent = math.Round(covered/(2*st.LengthM)*10000) / 100
		}
		out.Streets = append(out.Streets, stat)
	}
	for i := range out.Sides {
		t := &out.Sides[i]
		if t.LengthM > 0 {
			t.Percent = math.Round(t.CoveredM/t.LengthM*10000) / 100
		}
		t.LengthM, t.CoveredM = round2(t.LengthM), round2(t.CoveredM)
	}
	slices.SortStableFunc(out.Streets, func(a, b domain.FrontageStat) int { return cmp.Compare(a.Percent, b.Percent) })
	if len(units) > 0 {
		lead, err := s.Store.LeadLengths(ctx)
		if err != nil {
			return out, err
		}
		var ids []int64
		for u := range units {
			ids = append(ids, u)
		}
		slices.Sort(ids)
		us, err := s.Store.UnitsByID(ctx, ids)
		if err != nil {
			return out, err
		}
		for _, u := range us {
			acc := units[u.ID]
			st := domain.FrontageStat{ID: u.ID, Name: u.Name, LengthM: round2(2 * lead[u.ID]), CoveredM: round2(acc.covered), Shops: len(acc.shops), Cases: acc.cases}
			if lead[u.ID] > 0 {
				st.Percent = math.Round(acc.covered/(2*lead[u.ID])*10000) / 100
			}
			out.Units = append(out.Units, st)
		}
		slices.SortStableFunc(out.Units, func(a, b domain.FrontageStat) int { return cmp.Compare(b.Percent, a.Percent) })
	}
	return out, nil
}
