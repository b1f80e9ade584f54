package demo

import (
	"context"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/vocab"
)

// demoCounty is the demo's county code (GB/T 2260 style), the first six digits of its 部件 codes.
const demoCounty = "410928"

// partRule places one kind of 部件 along the town's lines: every so many meters, so far to the side, owned (and
// maintained) by a unit.
type partRule struct {
	kind           vocab.PartKind
	every, side    float64
	owner, maint   string
	commercialOnly bool
}

var partRules = []partRule{
	{vocab.StreetLamp, 100, 9, "SZYLJ", "", false},
	{vocab.WasteBin, 50, 7, "CGZ", "AWB", true},
	{vocab.Manhole, 180, 2, "ZJJ", "", false},
	{vocab.StreetSign, 400, 8, "SZYLJ", "", false},
	{vocab.BusShelter, 600, 10, "JTGL", "", false},
	{vocab.NoticeBoard, 160, 8, "XCB", "WMB", true},
	{vocab.Toilet, 900, 14, "AWB", "CGZ", false},
}

// sidePoint is the point d meters along ls, side meters to its left (negative: right).
func sidePoint(ls orb.LineString, d, side float64) (orb.Point, bool) {
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		s := meters(a, b)
		if d <= s {
			f := d / math.Max(s, 1e-9)
			p := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
			ex, ny := (b[0]-a[0])*kx/math.Max(s, 1e-9), (b[1]-a[1])*ky/math.Max(s, 1e-9)
			return offset(p, -ny*side, ex*side), true
		}
		d -= s
	}
	return orb.Point{}, false
}

// parts places the town's street furniture and saves it through the service; nothing when 部件 exist already.
func (l *life) parts(ctx context.Context, s *service.Service, t Town) (int, error) {
	if have, err := s.Parts(ctx, l.admin, domain.PartFilter{Limit: 1}); err != nil || len(have) > 0 {
		return 0, err
	}
	rng := mrand.New(mrand.NewPCG(seedHi, 0xB0B))
	var ps []domain.Part
	checked := l.now.AddDate(0, -2, 0)
	for _, a := range t.Assets {
		ls, ok := a.Geom.(orb.LineString)
		if !ok || a.Kind != vocab.Road {
			continue
		}
		commercial := a.Attributes["commercial"] == true
		n := lineLen(ls)
		for _, r := range partRules {
			if r.commercialOnly && !commercial {
				continue
			}
			for d, k := r.every*rng.Float64(), 0; d < n; d, k = d+r.every*(0.8+0.4*rng.Float64()), k+1 {
				side := r.side
				if k%2 == 1 {
					side = -side // both sides of the street, in turn
				}
				p, ok := sidePoint(ls, d, side)
				if !ok {
					break
				}
				info, _ := r.kind.Info()
				state := vocab.Intact
				switch f := rng.Float64(); {
				case f < 0.03:
					state = vocab.Missing
				case f < 0.1:
					state = vocab.Damaged
				}
				on := checked.AddDate(0, 0, rng.IntN(50)).Format(time.DateOnly)
				pt := domain.Part{Kind: string(r.kind), Name: a.Name + info.Label.Zh, Geom: p, OwnerUnitID: l.unitCode[r.owner],
					State: string(state), CheckedOn: &on, Source: Source, SourceID: fmt.Sprintf("part-%s-%s-%d", a.SourceID, r.kind, k), County: demoCounty}
				if r.maint != "" {
					m := l.unitCode[r.maint]
					pt.MaintainerUnitID = &m
				}
				ps = append(ps, pt)
			}
		}
	}
	_, created, err := s.SaveParts(ctx, domain.Actor{ID: l.admin.ID, Name: l.admin.Name}, ps)
	return created, err
}

var (
	shopKinds = []string{"超市", "烧烤", "水果店", "药房", "早餐店", "五金店", "理发店", "烟酒店", "面馆", "服装店", "手机店", "蛋糕店", "饺子馆", "粮油店"}
	shopNames = []string{"华联", "鑫源", "老王", "好又多", "金鼎", "福满楼", "百姓", "顺发", "丽人", "家家乐", "德胜", "兴隆"}
)

// shops puts a few dozen shops along the commercial streets, each a footprint set back from the kerb (its
// frontage is derived by the service), most with a 门前三包 agreement — some of them expired. Nothing when shops
// exist already.
func (l *life) shops(ctx context.Context, s *service.Service, t Town) (int, int, error) {
	if have, err := s.Shops(ctx, l.admin, nil, nil, 1); err != nil || len(have) > 0 {
		return 0, 0, err
	}
	rng := mrand.New(mrand.NewPCG(seedHi, 0x5409))
	actor := domain.Actor{ID: l.admin.ID, Name: l.admin.Name}
	g := &gen{rng: rng}
	var shops []domain.Shop
	for _, a := range t.Assets {
		ls, ok := a.Geom.(orb.LineString)
		if !ok || a.Attributes["commercial"] != true {
			continue
		}
		n := lineLen(ls)
		for _, side := range []float64{1, -1} {
			for d := 6.0; d+8 < n && len(shops) < 48; d += 9 + 6*rng.Float64() {
				if rng.Float64() < 0.2 {
					continue // a gap: a doorway, an empty unit
				}
				w := 6 + 3*rng.Float64()
				var ring orb.Ring
				for _, c := range [][2]float64{{d, 7}, {d + w, 7}, {d + w, 17}, {d, 17}, {d, 7}} {
					p, _ := sidePoint(ls, c[0], side*c[1])
					ring = append(ring, p)
				}
				name := shopNames[rng.IntN(len(shopNames))] + shopKinds[rng.IntN(len(shopKinds))]
				shops = append(shops, domain.Shop{Name: name, Licence: fmt.Sprintf("92%s%010d", demoCounty, rng.IntN(1e9)),
					ContactPerson: g.person(), Phone: g.mobile(), Address: fmt.Sprintf("%s%d号", a.Name, 2*len(shops)+int(side+1)/2+1),
					Geom: orb.Polygon{ring}, Source: Source, SourceID: fmt.Sprintf("shop-%s-%d", a.SourceID, len(shops))})
			}
		}
	}
	ids, err := s.SaveShops(ctx, actor, shops)
	if err != nil {
		return 0, 0, err
	}
	expired := 0
	for _, id := range ids {
		f := rng.Float64()
		if f < 0.12 {
			continue // never signed
		}
		from := l.now.AddDate(-1, -1-rng.IntN(3), 0)
		if f > 0.4 {
			from = from.AddDate(1, 0, 0) // renewed this year
		} else {
			expired++
		}
		a := domain.Agreement{ShopID: id, SignedOn: from.Format(time.DateOnly), ValidFrom: from.Format(time.DateOnly),
			ValidTo: from.AddDate(1, 0, -1).Format(time.DateOnly), SignedBy: "城关镇城管中队"}
		if _, err := s.SignAgreement(ctx, actor, a); err != nil {
			return 0, 0, fmt.Errorf("demo: agreement of shop %d: %w", id, err)
		}
	}
	return len(ids), expired, nil
}
