package service

import (
	"context"
	"fmt"
	"math"
	"strings"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// ShopRegister is the 门前三包 register as the sign boards' ShopDuties: one line per shop along the stretch whose
// agreement is valid today — its name, its side (left or right of the street's direction, and the compass side,
// 路北 etc., which is what a passer-by reads), its duties and until when the agreement holds.
type ShopRegister struct{}

// compass is the eight-point compass in Chinese, from north clockwise.
var compass = []string{"北", "东北", "东", "东南", "南", "西南", "西", "西北"}

// maxShopName bounds a shop's name on a board's line.
const maxShopName = 12

// DutiesAlong implements ShopDuties.
func (ShopRegister) DutiesAlong(ctx context.Context, st *store.Store, sign domain.Sign) ([]string, error) {
	ds, err := st.FrontageDuties(ctx, sign.AssetID, sign.FromM, sign.ToM, today())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, dutyLine(d))
	}
	return out, nil
}

// dutyLine is one shop's line on a board, e.g. "好又多超市（左侧·路北）：包卫生、包秩序、包绿化，有效期至 2027-04-30".
func dutyLine(d store.FrontageDuty) string {
	name := []rune(d.Name)
	if len(name) > maxShopName {
		name = append(name[:maxShopName-1], '…')
	}
	side := vocab.Side(d.Side).Label().Zh
	if d.Bearing != nil {
		toward := *d.Bearing + 90 // the right side of a street heading θ faces θ + 90°
		if d.Side == string(vocab.Left) {
			toward = *d.Bearing - 90
		}
		side += "·路" + compass[int(math.Round(math.Mod(toward+720, 360)/45))%8]
	}
	duties := make([]string, 0, len(d.Duties))
	for _, v := range vocab.Duties { // in the order of the three duties, not the stored one
		for _, x := range d.Duties {
			if x == string(v) {
				duties = append(duties, v.Label().Zh)
			}
		}
	}
	return fmt.Sprintf("%s（%s）：%s，有效期至 %s", string(name), side, strings.Join(duties, "、"), d.ValidTo)
}
