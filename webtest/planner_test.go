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

// gapFeature is one piece of GET /api/v1/coverage/gaps.
type gapFeature struct {
	Geometry struct {
		Type        string      `json:"type"`
		Coordinates [][]float64 `json:"coordinates"`
	} `json:"geometry"`
	Properties struct {
		AssetID   int64   `json:"asset_id"`
		AssetName string  `json:"asset_name"`
		Kind      string  `json:"kind"`
		FromM     float64 `json:"from_m"`
		ToM       float64 `json:"to_m"`
		LengthM   float64 `json:"length_m"`
	} `json:"properties"`
}

// pickGap chooses a gap that is the only gap of its asset, 40–400 m long and nearly straight, so that a
// four-cornered zone drawn around it covers it without reaching far into other roads.
func pickGap(t *testing.T, gaps []gapFeature) gapFeature {
	t.Helper()
	perAsset := map[int64]int{}
	for _, g := range gaps {
		perAsset[g.Properties.AssetID]++
	}
	best, bestScore := -1, math.Inf(1)
	for i, g := range gaps {
		c := g.Geometry.Coordinates
		if perAsset[g.Properties.AssetID] != 1 || g.Geometry.Type != "LineString" || len(c) < 2 ||
			g.Properties.LengthM < 40 || g.Properties.LengthM > 400 {
			continue
		}
		// Straightness: the largest distance of a vertex from the chord, as a share of the chord.
		ax, ay, bx, by := c[0][0], c[0][1], c[len(c)-1][0], c[len(c)-1][1]
		chord := math.Hypot(bx-ax, by-ay)
		if chord == 0 {
			continue
		}
		dev := 0.0
		for _, p := range c {
			dev = math.Max(dev, math.Abs((bx-ax)*(ay-p[1])-(ax-p[0])*(by-ay))/chord)
		}
		if score := dev / chord; score < 0.08 && score+math.Abs(g.Properties.LengthM-150)/1000 < bestScore {
			best, bestScore = i, score+math.Abs(g.Properties.LengthM-150)/1000
		}
	}
	if best < 0 {
		t.Fatalf("the demo town has no straight single gap of 40–400 m among %d gaps", len(gaps))
	}
	return gaps[best]
}

// TestPlannerDrawsZoneOverGap: a planner draws a zone polygon around a gap with Leaflet-Geoman (real
// mouse clicks on the map), picks a unit and the lead role, saves, and sees the percent covered rise
// and the gap leave the gap list.
func TestPlannerDrawsZoneOverGap(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("planner_j1", "planner", "")
	var gaps struct {
		Features []gapFeature `json:"features"`
	}
	s.get("planner_j1", "/api/v1/coverage/gaps", &gaps)
	gap := pickGap(t, gaps.Features)
	asset := gap.Properties.AssetID
	t.Logf("gap: asset %d %q (%s) %.0f–%.0f m", asset, gap.Properties.AssetName, gap.Properties.Kind, gap.Properties.FromM, gap.Properties.ToM)
	var units struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	s.get("planner_j1", "/api/v1/units", &units)
	if len(units.Items) == 0 {
		t.Fatal("the demo has no units")
	}
	unit := units.Items[0]
	var before struct {
		Percent float64 `json:"percent"`
		GapM    float64 `json:"gap_m"`
	}
	s.get("planner_j1", "/api/v1/coverage", &before)

	p := newPage(t, s.URL, 1280, 800, false)
	p.signIn("planner_j1", testapp.Password, "planner")
	p.waitJS("the percent covered", `!!document.querySelector('#coverage-percent[data-value]')`, 20*time.Second)
	p0 := eval[float64](p, `+document.querySelector('#coverage-percent').dataset.value`)
	if math.Abs(p0-before.Percent) > 0.01 {
		t.Errorf("the panel shows %.3f%% covered; the API says %.3f%%", p0, before.Percent)
	}
	inList := fmt.Sprintf(`!!document.querySelector('#gap-list button[data-asset-id="%d"]')`, asset)
	p.waitJS("the gap in the gap list", inList, 20*time.Second)
	p.waitJS("the network drawn", `!!document.querySelector('#map[data-loaded]')`, 20*time.Second)
	p.screenshot("planner")

	// Zoom to the gap, then work out a corridor around it in page pixels: the chord, widened by the
	// largest bend plus 14 px and lengthened 8 px past each end.
	coords := gap.Geometry.Coordinates
	pts := eval[[][2]float64](p, fmt.Sprintf(`new Promise((done) => {
		const m = window.everymeterMap, c = %s.map(([x, y]) => L.latLng(y, x));
		m.once('moveend', () => setTimeout(() => {
			const r = m.getContainer().getBoundingClientRect();
			const px = c.map((ll) => m.latLngToContainerPoint(ll));
			const a = px[0], b = px[px.length - 1], len = a.distanceTo(b);
			const d = b.subtract(a).divideBy(len), n = L.point(-d.y, d.x);
			let w = 0;
			for (const q of px) w = Math.max(w, Math.abs((q.x - a.x) * n.x + (q.y - a.y) * n.y));
			w += 14;
			const A = a.subtract(d.multiplyBy(8)), B = b.add(d.multiplyBy(8));
			done([A.add(n.multiplyBy(w)), B.add(n.multiplyBy(w)), B.subtract(n.multiplyBy(w)), A.subtract(n.multiplyBy(w))]
				.map((q) => [q.x + r.left, q.y + r.top]));
		}, 100));
		m.fitBounds(L.latLngBounds(c), { padding: [180, 180], maxZoom: 18, animate: false });
	})`, jsonArray(coords)))

	p.do("start drawing", click("#draw-zone"))
	p.waitJS("draw mode", `window.everymeterMap.pm.globalDrawModeEnabled()`, 5*time.Second)
	// Alt held: Geoman does not snap to the roads, so the vertices land where they are clicked.
	alt := chromedp.ButtonModifiers(chromedp.ModifierAlt)
	var steps []chromedp.Action[chromedp.Void]
	for _, q := range append(pts, pts[0]) { // clicking the first vertex again closes the polygon
		steps = append(steps,
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, q[0], q[1], alt, chromedp.ButtonNone),
			chromedp.Sleep(60*time.Millisecond),
			chromedp.MouseClickXY(q[0], q[1], alt),
			chromedp.Sleep(120*time.Millisecond))
	}
	p.do("draw the zone", steps...)
	p.waitJS("the zone form", `!document.querySelector('#zone-form').hidden`, 5*time.Second)
	p.do("fill the zone form",
		sendKeys("#zone-name", "测试网格 "+gap.Properties.AssetName),
		chromedp.SetValue("#zone-unit", fmt.Sprint(unit.ID)),
		chromedp.SetValue("#zone-role", "lead"))
	p.screenshot("planner-zone-form")
	p.do("save the zone", click("#zone-save"))

	p.waitJS("the percent to rise", fmt.Sprintf(`+document.querySelector('#coverage-percent').dataset.value > %v`, p0), 20*time.Second)
	p.waitJS("the gap to leave the gap list", `!`+inList, 20*time.Second)
	p1 := eval[float64](p, `+document.querySelector('#coverage-percent').dataset.value`)
	t.Logf("percent covered %.3f%% → %.3f%%", p0, p1)

	var after struct {
		Percent float64 `json:"percent"`
		GapM    float64 `json:"gap_m"`
	}
	s.get("planner_j1", "/api/v1/coverage", &after)
	if after.GapM >= before.GapM-gap.Properties.LengthM*0.9 {
		t.Errorf("gap meters %.1f → %.1f; the zone should have closed the %.1f m gap", before.GapM, after.GapM, gap.Properties.LengthM)
	}
	var left struct {
		Features []gapFeature `json:"features"`
	}
	s.get("planner_j1", "/api/v1/coverage/gaps?min_length_m=1", &left)
	for _, g := range left.Features {
		if g.Properties.AssetID == asset {
			t.Errorf("asset %d still has a gap %.1f–%.1f m", asset, g.Properties.FromM, g.Properties.ToM)
		}
	}
	var zones struct {
		Features []struct {
			Properties struct {
				UnitID int64  `json:"unit_id"`
				Role   string `json:"role"`
			} `json:"properties"`
		} `json:"features"`
	}
	s.get("planner_j1", "/api/v1/zones", &zones)
	found := false
	for _, z := range zones.Features {
		found = found || (z.Properties.UnitID == unit.ID && z.Properties.Role == "lead")
	}
	if !found {
		t.Errorf("no lead zone of unit %d after saving", unit.ID)
	}
	p.screenshot("planner-after-zone")
}

// jsonArray writes coordinates as a JavaScript array literal.
func jsonArray(c [][]float64) string {
	s := "["
	for i, p := range c {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("[%g,%g]", p[0], p[1])
	}
	return s + "]"
}
