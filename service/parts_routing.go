package service

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/store"
	"everymeter/vocab"
)

// DefaultPartRadiusM is how far from a 部件 report the object of its kind may be for its owner to get it (部件先属主).
const DefaultPartRadiusM = 15.0

// links are the objects a routing decision rests on, kept in the filing's steps (report_events.details).
type links map[string]any

func withLinks(d map[string]any, l links) map[string]any {
	for k, v := range l {
		d[k] = v
	}
	return d
}

func (s *Reports) partRadius() float64 {
	if s.PartRadiusM > 0 {
		return s.PartRadiusM
	}
	return DefaultPartRadiusM
}

// routeToPart sends a 部件 report to the owner of the nearest object of the category's kind within the bound;
// ok is false (and the reason says why) when there is none.
func (s *Reports) routeToPart(ctx context.Context, r *store.Report, cat store.Category) (links, bool, error) {
	if cat.PartKind == "" {
		return nil, false, nil
	}
	kind := vocab.PartKind(cat.PartKind)
	np, err := s.Store.NearestPart(ctx, cat.PartKind, r.Geom, s.partRadius())
	if errors.Is(err, store.ErrNotFound) {
		r.SetReason(i18n.M("no %s within %s m", kind.Label().Zh, strconv.FormatFloat(s.partRadius(), 'f', 0, 64)))
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	p := np.Part
	r.UnitID, r.DecidedBy = &p.OwnerUnitID, "part_owner"
	name := p.Name
	if name == "" {
		name = kind.Label().Zh
	}
	reason := i18n.Msgs{i18n.M("部件先属主: %s %s (object %s, /api/v1/parts/%s), %s m from the pin, owned by %s",
		kind.Label().Zh, name, p.Code, strconv.FormatInt(p.ID, 10), strconv.FormatFloat(np.DistanceM, 'f', 1, 64), p.OwnerUnitName)}
	if p.MaintainerUnitName != "" {
		reason = append(reason, i18n.M("maintained by %s", p.MaintainerUnitName))
	}
	r.SetReason(reason...)
	return links{"part_id": p.ID, "part_code": p.Code}, true, nil
}

// frontageAt finds the shop whose frontage is at a point: on the nearest street within FrontageMaxDistanceM, on
// the point's side, the frontage containing its measure.
func frontageAt(ctx context.Context, st *store.Store, sc store.ContactScope, pt [2]float64) (*domain.Shop, error) {
	streets, err := st.NearestAssets(ctx, pt, vocab.Strings(vocab.LinearKinds), 6)
	if err != nil {
		return nil, err
	}
	var best *geo.Line
	var bestID int64
	bestD, bestM := math.Inf(1), 0.0
	for _, a := range streets {
		l, err := geo.NewLine(a.Geom)
		if err != nil {
			continue
		}
		if m, d := l.Locate(pt); d < bestD {
			best, bestID, bestD, bestM = l, a.ID, d, m
		}
	}
	if best == nil || bestD > FrontageMaxDistanceM {
		return nil, nil
	}
	side := vocab.Left
	if best.SideOf(pt) < 0 {
		side = vocab.Right
	}
	id, err := st.FrontageAt(ctx, bestID, string(side), bestM)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	sh, err := st.Shop(ctx, sc, today(), id)
	if err != nil {
		return nil, err
	}
	return &sh, nil
}

// atFrontage names, in an 事件's reason, the shop whose frontage the pin is at and its agreement; the report
// still goes by territory (事件先属地).
func (s *Reports) atFrontage(ctx context.Context, r *store.Report) (links, error) {
	sh, err := frontageAt(ctx, s.Store, store.ContactScope{}, r.Geom)
	if err != nil || sh == nil {
		return nil, err
	}
	l := links{"shop_id": sh.ID}
	what := i18n.M("no 门前三包 agreement")
	if a := sh.Agreement; a != nil {
		l["agreement_id"] = a.ID
		valid := "门前三包 agreement #%s with %s, %s to %s (valid)"
		if !a.Valid {
			valid = "门前三包 agreement #%s with %s, %s to %s (not valid today)"
		}
		what = i18n.M(valid, strconv.FormatInt(a.ID, 10), a.UnitName, a.ValidFrom, a.ValidTo)
	}
	side := vocab.Side(sh.Frontage.Side).Label().Zh
	at := i18n.M("at the frontage of shop %s (/api/v1/shops/%s, %s %s %s–%s m)", sh.Name, strconv.FormatInt(sh.ID, 10),
		sh.Frontage.AssetName, side, strconv.FormatFloat(sh.Frontage.FromM, 'f', 0, 64), strconv.FormatFloat(sh.Frontage.ToM, 'f', 0, 64))
	r.SetReason(slices.Concat(r.RoutingReasonParts, i18n.Msgs{at, what})...)
	return l, nil
}

// ReportShop returns the shop whose frontage a case was filed at, with its contact as the policy allows the
// principal (who must be able to see the case); ErrNotFound when the case is at no frontage.
func (s *Reports) ReportShop(ctx context.Context, who Who, reportID int64) (domain.Shop, error) {
	r, err := s.Report(ctx, who, reportID)
	if err != nil {
		return domain.Shop{}, err
	}
	id, err := s.Store.ReportShopID(ctx, r.ID)
	if err != nil {
		return domain.Shop{}, err
	}
	sc, err := contactScope(who)
	if err != nil {
		return domain.Shop{}, err
	}
	return s.Store.Shop(ctx, sc, today(), id)
}
