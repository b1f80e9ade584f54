package webtest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
)

// roadFeature is one road of GET /api/v1/assets.
type roadFeature struct {
	Geometry struct {
		Type        string      `json:"type"`
		Coordinates [][]float64 `json:"coordinates"`
	} `json:"geometry"`
	Properties struct {
		ID      int64   `json:"id"`
		Name    string  `json:"name"`
		LengthM float64 `json:"length_m"`
	} `json:"properties"`
}

// frontageOf reads the shop panel's frontage (its street, side and ends in meters).
type frontageOf struct {
	AssetID string `json:"assetId"`
	Side    string `json:"side"`
	From    string `json:"from"`
	To      string `json:"to"`
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if _, err := fmt.Sscan(s, &v); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

// TestPlannerShopFrontage: a planner registers a shop by clicking its door 12 m left of a straight street, drags
// the far end of its frontage 25 m along, signs its 门前三包 agreement, and sees the street's left side covered by
// exactly the frontage's length; a case filed at that frontage shows the shop to the unit that gets it.
func TestPlannerShopFrontage(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("planner_s1", "planner", "")
	s.user("inspector_s1", "inspector", "")
	var roads struct {
		Features []roadFeature `json:"features"`
	}
	s.get("planner_s1", "/api/v1/assets?kind=road&limit=2000", &roads)
	// A straight two-ended road, 150–600 m, whose middle and the point 12 m to its left both find it nearest.
	var road roadFeature
	var kx, ky, ux, uy, mid float64
	var door [2]float64
	for _, r := range roads.Features {
		c := r.Geometry.Coordinates
		if r.Geometry.Type != "LineString" || r.Properties.LengthM < 150 || r.Properties.LengthM > 600 {
			continue
		}
		a, b := c[0], c[len(c)-1]
		kx, ky = 111320*math.Cos(a[1]*math.Pi/180), 110540.0
		dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*ky
		chord := math.Hypot(dx, dy)
		if chord < 0.995*r.Properties.LengthM {
			continue
		}
		ux, uy = dx/chord, dy/chord
		mx, my := (a[0]+b[0])/2, (a[1]+b[1])/2
		door = [2]float64{mx - uy*12/kx, my + ux*12/ky} // 12 m to the left of the direction of travel
		var o struct {
			Asset    *struct{ ID int64 }  `json:"asset"`
			MeasureM float64              `json:"measure_m"`
			Units    []struct{ ID int64 } `json:"units"`
		}
		res := s.Do("planner_s1", "GET", fmt.Sprintf("/api/v1/owner?lon=%.7f&lat=%.7f", door[0], door[1]), nil)
		if res.Status != 200 {
			continue
		}
		res.Decode(t, &o)
		if o.Asset != nil && o.Asset.ID == r.Properties.ID && len(o.Units) == 1 {
			road, mid = r, o.MeasureM
			break
		}
	}
	if road.Properties.ID == 0 {
		t.Fatal("the demo town has no straight road of 150–600 m to front a shop on")
	}
	start := road.Geometry.Coordinates[0]
	at := func(m, left float64) [2]float64 { // the point m along the road and left meters off it
		return [2]float64{start[0] + (ux*m-uy*left)/kx, start[1] + (uy*m+ux*left)/ky}
	}
	type sideCov struct {
		Frontage struct {
			CoveredM float64 `json:"covered_m"`
		} `json:"frontage"`
	}
	var before sideCov
	s.get("planner_s1", fmt.Sprintf("/api/v1/assets/%d/coverage?side=left", road.Properties.ID), &before)
	t.Logf("road %d %q, %.0f m; the door at %.1f m, 12 m left", road.Properties.ID, road.Properties.Name, road.Properties.LengthM, mid)

	p := newPage(t, s.URL, 1280, 800, false)
	p.signIn("planner_s1", testapp.Password, "planner")
	p.waitJS("the network drawn", `!!document.querySelector('#map[data-loaded]')`, 20*time.Second)
	page := func(pt [2]float64) [2]float64 {
		return eval[[2]float64](p, fmt.Sprintf(`(() => { const m = window.everymeterMap, r = m.getContainer().getBoundingClientRect();
			const q = m.latLngToContainerPoint(L.latLng(%.8f, %.8f)); return [q.x + r.left, q.y + r.top]; })()`, pt[1], pt[0]))
	}
	eval[bool](p, fmt.Sprintf(`new Promise((done) => { const m = window.everymeterMap;
		m.once('moveend', () => setTimeout(() => done(true), 150)); m.setView(L.latLng(%.8f, %.8f), 19, { animate: false }); })`, door[1], door[0]))

	// Register the shop: the button, a click at its door, the form.
	p.do("start registering", click("#shop-add"))
	q := page(door)
	p.do("click the door", chromedp.MouseClickXY(q[0], q[1]))
	p.waitJS("the shop form", `!document.querySelector('#shop-form').hidden`, 5*time.Second)
	p.do("fill the shop form", sendKeys("#shop-name", "便民超市"), sendKeys("#shop-contact", "李店长"), sendKeys("#shop-phone", "13900000000"))
	p.do("save the shop", click("#shop-save"))
	p.waitJS("the frontage", `!!document.querySelector('#shop-frontage').dataset.to && !!document.querySelector('#side-left').dataset.value`, 10*time.Second)
	f0 := eval[frontageOf](p, `({...document.querySelector('#shop-frontage').dataset})`)
	if f0.AssetID != fmt.Sprint(road.Properties.ID) || f0.Side != "left" || math.Abs(num(t, f0.From)-(mid-4)) > 1 || math.Abs(num(t, f0.To)-(mid+4)) > 1 {
		t.Fatalf("frontage %+v, want road %d left %.1f–%.1f m", f0, road.Properties.ID, mid-4, mid+4)
	}
	p.screenshot("planner-shop")

	// Drag the far end 25 m along the street.
	from := page(at(num(t, f0.To), 6.4))
	handle := eval[[2]float64](p, `(() => { const r = document.querySelector('#frontage-to').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	if math.Hypot(handle[0]-from[0], handle[1]-from[1]) > 12 {
		t.Fatalf("the frontage's end is drawn at %v, not where its meter is (%v)", handle, from)
	}
	to := page(at(num(t, f0.To)+25, 6.4))
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, handle[0], handle[1]),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, handle[0], handle[1], chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	for i := 1; i <= 10; i++ {
		x, y := handle[0]+(to[0]-handle[0])*float64(i)/10, handle[1]+(to[1]-handle[1])*float64(i)/10
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft), chromedp.Sleep(30*time.Millisecond))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, to[0], to[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	p.do("drag the frontage's end", steps...)
	p.waitJS("the frontage to grow", fmt.Sprintf(`+document.querySelector('#shop-frontage').dataset.to > %v`, num(t, f0.To)+15), 10*time.Second)
	f1 := eval[frontageOf](p, `({...document.querySelector('#shop-frontage').dataset})`)
	if math.Abs(num(t, f1.To)-(num(t, f0.To)+25)) > 2 || num(t, f1.From) != num(t, f0.From) {
		t.Fatalf("after the drag the frontage is %s–%s m, want %s–%.1f m", f1.From, f1.To, f0.From, num(t, f0.To)+25)
	}
	length := num(t, f1.To) - num(t, f1.From)

	// Sign: the left side's coverage rises by the frontage's length, in the panel and in the API.
	p.do("sign the agreement", click("#shop-sign"))
	p.waitJS("the agreement", `document.querySelector('#shop-agreement').dataset.valid === 'true'`, 10*time.Second)
	p.waitJS("the left side covered", fmt.Sprintf(`+document.querySelector('#side-left').dataset.value > %v`, before.Frontage.CoveredM+length-0.5), 10*time.Second)
	p.screenshot("planner-shop-signed")
	var after sideCov
	s.get("planner_s1", fmt.Sprintf("/api/v1/assets/%d/coverage?side=left", road.Properties.ID), &after)
	if d := after.Frontage.CoveredM - before.Frontage.CoveredM; math.Abs(d-length) > 0.05 {
		t.Fatalf("the left side's covered meters rose by %.2f, want the frontage's %.2f", d, length)
	}
	if ui := eval[float64](p, `+document.querySelector('#side-left').dataset.value`); math.Abs(ui-after.Frontage.CoveredM) > 0.01 {
		t.Fatalf("the panel shows %.2f m covered, the API %.2f", ui, after.Frontage.CoveredM)
	}
	checkSidesDrawn(t, p, [2]float64{start[0], start[1]}, kx, ky, ux, uy, road.Properties.LengthM, (num(t, f1.From)+num(t, f1.To))/2)

	// A case at the frontage (店外经营, 2 m off the street at its middle) names the shop to the unit that gets it.
	case1 := at((num(t, f1.From)+num(t, f1.To))/2, 2)
	res := s.Do("inspector_s1", "POST", "/api/v1/reports", map[string]any{"category": "JMZX-02",
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{case1[0], case1[1]}}}).MustStatus(t, 201).JSON()
	rep := res["report"].(map[string]any)
	var unit struct {
		Code string `json:"code"`
	}
	s.get("planner_s1", fmt.Sprintf("/api/v1/units/%d", int64(rep["unit_id"].(float64))), &unit)
	s.user("staff_s1", "unit_staff", unit.Code)
	var shop struct {
		Properties struct {
			Name          string `json:"name"`
			ContactPerson string `json:"contact_person"`
		} `json:"properties"`
	}
	s.get("planner_s1", fmt.Sprintf("/api/v1/reports/%d/shop", int64(rep["id"].(float64))), &shop)
	if shop.Properties.Name != "便民超市" || shop.Properties.ContactPerson != "李店长" {
		t.Fatalf("the case's shop is %+v", shop.Properties)
	}
	q2 := newPage(t, s.URL, 1280, 800, false)
	q2.signIn("staff_s1", testapp.Password, "unit")
	q2.waitJS("the case naming the shop", `document.body.innerText.includes('便民超市')`, 20*time.Second)
	q2.screenshot("unit-case-at-frontage")
}

// checkSidesDrawn reads the street's two sides off the map (the grey side lines and the green covered stretches the
// planner draws) and holds each vertex to its side: 4 m (SIDE_OFFSET_M) left of the centreline for the left side,
// 4 m right for the right, each running the street's length, and a green stretch on the left over the frontage's
// middle mid. Coordinates are turned into meters along (m) and left of (off) the straight street from start.
func checkSidesDrawn(t *testing.T, p *page, start [2]float64, kx, ky, ux, uy, length, mid float64) {
	t.Helper()
	type line struct {
		Color string       `json:"color"`
		C     [][2]float64 `json:"c"`
	}
	lines := eval[[]line](p, `(() => { const out = []; window.everymeterMap.eachLayer((l) => {
		if (l instanceof L.Polyline && !(l instanceof L.Polygon) && !l.options.interactive && (l.options.color === '#999' || l.options.color === '#2ca02c'))
			out.push({ color: l.options.color, c: l.getLatLngs().flat(Infinity).map((q) => [q.lng, q.lat]) }); }); return out; })()`)
	var sides [2]bool // left, right grey lines along the whole street
	greenOver := false
	for _, l := range lines {
		lo, hi, offMin, offMax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, q := range l.C {
			dx, dy := (q[0]-start[0])*kx, (q[1]-start[1])*ky
			m, off := ux*dx+uy*dy, -uy*dx+ux*dy
			lo, hi, offMin, offMax = math.Min(lo, m), math.Max(hi, m), math.Min(offMin, off), math.Max(offMax, off)
		}
		if lo < -1 || hi > length+1 || offMax-offMin > 1 { // another street's, or not a parallel line
			continue
		}
		left := math.Abs((offMin+offMax)/2-4) < 0.6
		right := math.Abs((offMin+offMax)/2+4) < 0.6
		switch {
		case l.Color == "#999" && hi-lo > 0.98*length && left:
			sides[0] = true
		case l.Color == "#999" && hi-lo > 0.98*length && right:
			sides[1] = true
		case l.Color == "#2ca02c" && left && lo <= mid && mid <= hi:
			greenOver = true
		}
	}
	if !sides[0] || !sides[1] || !greenOver {
		t.Fatalf("the map draws the left side %v and the right side %v 4 m off the centreline, the covered frontage on the left %v; lines %+v",
			sides[0], sides[1], greenOver, lines)
	}
}
