package webtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/demo"
)

// baseDrawn counts, over the base map's painted canvas tiles, the pixels close to each of its fills (basemap.js):
// what the renderer actually drew, not what it was sent.
const baseDrawn = `(() => {
	const want = { landuse: [235, 231, 222], commercial: [241, 228, 223], park: [201, 231, 193], water: [168, 208, 239], building: [216, 207, 194] };
	const n = { landuse: 0, commercial: 0, park: 0, water: 0, building: 0, tiles: 0 };
	for (const c of document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile-loaded')) {
		if (!c.width) continue;
		n.tiles++;
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		for (let i = 0; i < d.length; i += 16) {
			for (const [k, [r, g, b]] of Object.entries(want)) {
				if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 6) n[k]++;
			}
		}
	}
	return n;
})()`

// TestDemoFirstScreens loads `everymeter demo` (the town, its base map and 90 days of county life) into an empty
// database, signs in as each demo role at desktop size and at 375 px, and checks each first screen against the
// database: the network and the base map drawn in every view; the leader's heat map with points, the ranking
// with the units that have enough reports and their rates, the trend; each unit's queue with exactly its running
// reports and their traffic lights; the planner's coverage. Screenshots of every role at both sizes go to
// artifacts/screenshots/demo-*.png.
func TestDemoFirstScreens(t *testing.T) {
	s := newSite(t, false)
	start := time.Now()
	town, err := demo.Load(t.Context(), s.Svc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	life, err := demo.Life(t.Context(), s.Svc, s.dataDir, time.Now(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	later, err := demo.Later(t.Context(), s.Svc, s.dataDir, time.Now(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo loaded in %s: %d reports, %d steps, %d still running; %d patrols, %d shops, %d evaluation verdicts",
		time.Since(start).Round(time.Millisecond), life.Reports, life.Steps, life.Open, later.Patrols, later.Shops, later.Results)
	pw := map[string]string{}
	for _, u := range town.Users {
		pw[u.Username] = u.Password
	}
	q := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := s.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	// The oracles, from the tables the service wrote.
	heatCells := q(`SELECT count(*) FROM heat_cells`)
	reports := q(`SELECT count(*) FROM reports`)
	// Units with at least 5 reports created in the last 30 days (the ranking's default period and threshold).
	ranked := q(`SELECT count(*) FROM (SELECT unit_id FROM reports WHERE created_at >= now() - interval '30 days'
		AND unit_id IS NOT NULL GROUP BY 1 HAVING count(*) >= 5) x`)
	running := func(code string) int {
		return q(`SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id WHERE u.code = $1
			AND r.status IN ('dispatched', 'accepted', 'rework')`, code)
	}
	// Meters of network walked in the patrol layer's year: the union of the matched pieces on each asset.
	var patrolled float64
	if err := s.Store.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(upper(r) - lower(r)), 0)::float8 FROM (
		SELECT unnest(range_agg(numrange(LEAST(p.from_m, a.length_m)::numeric, LEAST(p.to_m, a.length_m)::numeric))) r
		FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id WHERE p.last_at >= now() - interval '366 days' GROUP BY p.asset_id) x`).Scan(&patrolled); err != nil {
		t.Fatal(err)
	}
	if heatCells == 0 || ranked == 0 || patrolled == 0 {
		t.Fatalf("the demo made %d heat cells and %d rankable units", heatCells, ranked)
	}
	roles := []struct{ user, view, unit string }{
		{"leader", "leader", ""}, {"unit_cgz", "unit", "CGZ"}, {"unit_zhzfj", "unit", "ZHZFJ"},
		{"inspector", "inspector", ""}, {"planner", "planner", ""}, {"admin", "planner", ""},
	}
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 800, false}, {"375", 375, 812, true}}
	for _, r := range roles {
		for _, sz := range sizes {
			t.Run(r.user+"-"+sz.name, func(t *testing.T) {
				if pw[r.user] == "" {
					t.Fatalf("the demo made no account %s", r.user)
				}
				p := newPage(t, s.URL, sz.width, sz.height, sz.mobile)
				p.signIn(r.user, pw[r.user], r.view)
				p.waitJS("the network drawn", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
				p.waitJS("base-map tiles", `+(document.querySelector('#map')?.dataset.baseTiles || 0) > 0`, 30*time.Second)
				p.waitJS("the base map painted", `(() => { const n = `+baseDrawn+`; return n.landuse + n.commercial + n.park > 50; })()`, 30*time.Second)
				switch r.view {
				case "leader":
					p.waitJS("heat points", `+(document.querySelector('#heat-count')?.dataset.n || 0) > 0`, 30*time.Second)
					p.waitJS("the ranking", `document.querySelectorAll('#ranking tbody tr:not(.too-few)').length > 0`, 30*time.Second)
					p.waitJS("the trend chart", `!!document.querySelector('svg#trend-chart polyline')`, 30*time.Second)
					if n := eval[int](p, `+document.querySelector('#heat-count').dataset.n`); n == 0 || n > reports {
						t.Errorf("the heat map shows %d points for %d reports", n, reports)
					}
					rows := eval[[]string](p, `[...document.querySelectorAll('#ranking tbody tr:not(.too-few)')].map((tr) => tr.children[2].textContent)`)
					if len(rows) != ranked {
						t.Errorf("the ranking ranks %d units; %d units have 5 or more reports in 30 days", len(rows), ranked)
					}
					for i, v := range rows {
						if v == "" || v == "—" {
							t.Errorf("ranked row %d has no on-time rate (%q)", i+1, v)
						}
					}
					// 满意率 from the residents' ratings: shown for exactly the units rated in the period, at the rate
					// SQL gives (满意 and 基本满意 over all ratings).
					shown := eval[map[string]float64](p, `Object.fromEntries([...document.querySelectorAll('#ranking tbody tr')]
						.map((tr) => [tr.dataset.unitId, tr.querySelector('td.satisfaction').dataset.value]).filter(([, v]) => v !== '').map(([k, v]) => [k, +v]))`)
					satRows, err := s.Store.Pool.Query(context.Background(), `SELECT unit_id::text, (count(*) FILTER (WHERE rating IN ('satisfied', 'basically')))::float8 / count(*)
						FROM satisfaction WHERE unit_id IS NOT NULL AND at >= now() - interval '30 days' GROUP BY 1`)
					if err != nil {
						t.Fatal(err)
					}
					want := map[string]float64{}
					for satRows.Next() {
						var k string
						var v float64
						if err := satRows.Scan(&k, &v); err != nil {
							t.Fatal(err)
						}
						want[k] = v
					}
					satRows.Close()
					if len(want) == 0 {
						t.Fatal("no unit was rated by residents in the demo")
					}
					for k, v := range want {
						if got, ok := shown[k]; !ok || math.Abs(got-v) > 1e-6 {
							t.Errorf("unit %s: 满意率 shown %v (%v); the ratings give %.4f", k, got, ok, v)
						}
					}
					if len(shown) != len(want) {
						t.Errorf("满意率 shown for %d units; %d units were rated", len(shown), len(want))
					}
					// 巡查达标率 and 门前三包 coverage beside the score: the cells show the ranking's own figures, and the
					// living county has some of each.
					s.Tokens["leader"] = s.Login("leader", pw["leader"])
					var st struct {
						Items []struct {
							UnitID     int64    `json:"unit_id"`
							PatrolRate *float64 `json:"patrol_rate"`
							Frontage   *struct {
								Rate *float64 `json:"rate"`
							} `json:"frontage"`
						} `json:"items"`
					}
					s.get("leader", "/api/v1/stats/units", &st)
					cells := eval[map[string][]string](p, `Object.fromEntries([...document.querySelectorAll('#ranking tbody tr')]
						.map((tr) => [tr.dataset.unitId, [tr.querySelector('td.patrol-rate').dataset.value, tr.querySelector('td.frontage-rate').dataset.value]]))`)
					withPatrol, withFrontage := 0, 0
					for _, u := range st.Items {
						c, ok := cells[fmt.Sprint(u.UnitID)]
						if !ok {
							t.Errorf("unit %d of the ranking has no row on screen", u.UnitID)
							continue
						}
						var fr *float64
						if u.Frontage != nil {
							fr = u.Frontage.Rate
						}
						for i, want := range []*float64{u.PatrolRate, fr} {
							got := c[i]
							if want == nil {
								if got != "" {
									t.Errorf("unit %d: column %d shows %q; the ranking has none", u.UnitID, i, got)
								}
								continue
							}
							if i == 0 {
								withPatrol++
							} else if *want > 0 {
								withFrontage++
							}
							var v float64
							if _, err := fmt.Sscan(got, &v); err != nil || math.Abs(v-*want) > 1e-9 {
								t.Errorf("unit %d: column %d shows %q; the ranking has %v", u.UnitID, i, got, *want)
							}
						}
					}
					if withPatrol == 0 || withFrontage == 0 {
						t.Errorf("the ranking shows 巡查达标率 for %d units and 门前三包 coverage above 0 for %d; want some of each", withPatrol, withFrontage)
					}
					// The patrol layer: stretches coloured by the days since they were walked, some of them stale.
					p.waitJS("the patrol layer", `+(document.querySelector('#patrol-layer')?.dataset.patrolledM || 0) > 0`, 30*time.Second)
					if sz.mobile {
						break
					}
					// Fitted to the whole network, the layer draws every walked meter.
					drawn := eval[float64](p, `+document.querySelector('#patrol-layer').dataset.patrolledM`)
					if math.Abs(drawn-patrolled) > 0.005*patrolled+1 {
						t.Errorf("the patrol layer draws %.0f m as walked; the matched pieces cover %.0f m", drawn, patrolled)
					}
					if st := eval[float64](p, `+document.querySelector('#patrol-layer').dataset.staleM`); st <= 0 || st >= drawn {
						t.Errorf("the patrol layer draws %.0f m stale of %.0f m walked; want some", st, drawn)
					}
					// The leader's other reads: problems that recur (hotspots) and the weekly briefing.
					var hot struct {
						Items []map[string]any `json:"items"`
					}
					s.get("leader", "/api/v1/hotspots", &hot)
					if len(hot.Items) == 0 {
						t.Error("no hotspots in 90 days of county life")
					}
					top := eval[string](p, `document.querySelector('#ranking tbody tr:not(.too-few)').children[1].textContent`)
					p.do("open the briefing", chromedp.Navigate(s.URL+"/api/v1/briefing"), chromedp.WaitVisible("h1"))
					text := eval[string](p, `document.body.innerText`)
					for _, want := range []string{"责任单位综合评价排名", top} {
						if !strings.Contains(text, want) {
							t.Errorf("the briefing does not show %q", want)
						}
					}
					p.screenshot("demo-leader-briefing")
					p.do("back to the app", chromedp.Navigate(s.URL+"/"))
					p.waitJS("leader view", `document.body.dataset.view === 'leader' && !!window.everymeterMap`, 30*time.Second)
					p.waitJS("the network drawn", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
					p.waitJS("heat points again", `+(document.querySelector('#heat-count')?.dataset.n || 0) > 0`, 30*time.Second)
					p.waitJS("the patrol layer again", `+(document.querySelector('#patrol-layer')?.dataset.patrolledM || 0) > 0`, 30*time.Second)
				case "unit":
					want := running(r.unit)
					if want == 0 {
						t.Fatalf("unit %s has no running reports in the demo", r.unit)
					}
					p.waitJS("the queue", fmt.Sprintf(`document.querySelectorAll('#queue li[data-report-id]').length === %d`, want), 30*time.Second)
					lights := eval[[]string](p, `[...document.querySelectorAll('#queue li[data-report-id]')].map((li) => li.dataset.light)`)
					for i, l := range lights {
						if l != "green" && l != "yellow" && l != "red" {
							t.Errorf("queue row %d has traffic light %q", i+1, l)
						}
					}
				case "planner":
					p.waitJS("the coverage", `/\d/.test(document.querySelector('#coverage-percent')?.textContent || '')`, 30*time.Second)
				}
				p.screenshot("demo-" + r.user + "-" + sz.name)
			})
		}
	}

	// The leader's evaluation tab: the readiness screen with the mock round in its trend, the overdue lines the
	// ledger has, and the latest round's ledger opened with all its filed failures.
	t.Run("leader-eval", func(t *testing.T) {
		rounds := q(`SELECT count(*) FROM eval_rounds`)
		overdue := q(`SELECT count(*) FROM reports r WHERE r.id IN (SELECT report_id FROM eval_results UNION SELECT report_id FROM feedback_rows)
			AND r.deadline < now() AND r.status IN ('dispatched', 'accepted', 'rework')`)
		failures := q(`SELECT count(*) FROM eval_results WHERE report_id IS NOT NULL AND round_id = (SELECT max(id) FROM eval_rounds)`)
		if rounds == 0 || overdue == 0 || failures == 0 {
			t.Fatalf("the demo made %d rounds, %d overdue ledger lines, %d failures", rounds, overdue, failures)
		}
		p := newPage(t, s.URL, 1280, 800, false)
		p.signIn("leader", pw["leader"], "leader")
		p.do("open the evaluation tab", click("#tab-eval"))
		p.waitJS("the readiness screen", fmt.Sprintf(`document.querySelectorAll('#trend-list li[data-round-id]').length === %d`, rounds), 30*time.Second)
		if n := eval[int](p, `+document.querySelector('#readiness-overdue').dataset.n`); n != overdue {
			t.Errorf("the readiness screen shows %d overdue lines; the database has %d", n, overdue)
		}
		if n := eval[int](p, `document.querySelectorAll('#readiness-units tr[data-key]').length`); n == 0 {
			t.Error("no unit in the readiness shares")
		}
		p.waitJS("the round's ledger", fmt.Sprintf(`+(document.querySelector('#ledger-totals')?.dataset.total ?? -1) === %d`, failures), 30*time.Second)
		p.waitJS("the network drawn", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
		p.screenshot("demo-leader-eval")
	})

	// 门前三包: the planner's shops screen opens on one shop at a time (there is no list to draw yet), so the
	// demo's shops are checked where the frontage statistics read them: meters covered by a valid agreement on
	// each side, against the union of those frontages in SQL.
	t.Run("frontage", func(t *testing.T) {
		var want float64
		if err := s.Store.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(upper(r) - lower(r)), 0)::float8 FROM (
			SELECT unnest(range_agg(numrange(LEAST(f.from_m, a.length_m)::numeric, LEAST(f.to_m, a.length_m)::numeric))) r
			FROM frontages f JOIN assets a ON a.id = f.asset_id
			WHERE EXISTS (SELECT 1 FROM agreements g WHERE g.shop_id = f.shop_id AND current_date BETWEEN g.valid_from AND g.valid_to)
			GROUP BY f.asset_id, f.side) x`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		expired := q(`SELECT count(*) FROM shops s WHERE EXISTS (SELECT 1 FROM agreements a WHERE a.shop_id = s.id)
			AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.shop_id = s.id AND current_date <= a.valid_to)`)
		if want == 0 || expired == 0 {
			t.Fatalf("the demo's frontages cover %.0f m under valid agreements; %d shops' agreements expired", want, expired)
		}
		s.Tokens["planner"] = s.Login("planner", pw["planner"])
		var sum struct {
			Sides []struct {
				CoveredM float64 `json:"covered_m"`
			} `json:"sides"`
			Streets []map[string]any `json:"streets"`
		}
		s.get("planner", "/api/v1/frontage", &sum)
		got := 0.0
		for _, sd := range sum.Sides {
			got += sd.CoveredM
		}
		if math.Abs(got-want) > 0.5 || len(sum.Streets) == 0 {
			t.Errorf("the frontage summary covers %.1f m on %d streets; the valid agreements' frontages cover %.1f m", got, len(sum.Streets), want)
		}
	})

	// Zoomed in on the town centre every base layer is drawn: buildings, water, land use, and street names
	// placed along the roads.
	t.Run("base-layers", func(t *testing.T) {
		p := newPage(t, s.URL, 1280, 800, false)
		p.signIn("inspector", pw["inspector"], "inspector")
		var lon, lat float64
		if err := s.Store.Pool.QueryRow(context.Background(), `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(b.geom) c
			FROM base_features b JOIN base_features w ON w.class = 'pond' AND ST_DWithin(b.geom, w.geom, 0.004)
			WHERE b.layer = 'building' ORDER BY b.id LIMIT 1) x`).Scan(&lon, &lat); err != nil {
			t.Fatalf("a building near a pond: %v", err)
		}
		// After the first fit to the network (which would otherwise pull the map back to the whole town).
		p.waitJS("the network drawn", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
		eval[bool](p, fmt.Sprintf(`(() => { const m = window.everymeterMap; m.fitted = true; m.setView([%f, %f], 17, { animate: false }); return true; })()`, lat, lon))
		p.waitJS("buildings, water and land use painted", `(() => { const n = `+baseDrawn+`; return n.building > 50 && n.water > 10 && n.landuse + n.commercial + n.park > 50; })()`, 30*time.Second)
		p.waitJS("street names placed", `(() => { const b = window.everymeterBase, i = b && b.labelers.getIndex(17);
			return !!i && [...i.tree.all()].some((x) => x.indexedLabel.deduplicationKey); })()`, 30*time.Second)
		p.waitJS("every tile in view painted", `(() => { const m = window.everymeterMap; return m.getZoom() === 17 &&
			![...document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile')].some((c) => !c.classList.contains('leaflet-tile-loaded')); })()`, 30*time.Second)
		t.Logf("base map at z17: %v", eval[map[string]int](p, baseDrawn))
		p.screenshot("demo-basemap-z17")
	})
}
