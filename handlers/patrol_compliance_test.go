package handlers_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"everymeter/domain"
)

// TestPatrolComplianceHandTable: four whole days, roads due daily and alleys every two days (the defaults),
// walks laid out by hand; the 巡查达标率 per stretch, per unit and overall must be the table's, computed here
// from the table and the lengths PostGIS measured.
func TestPatrolComplianceHandTable(t *testing.T) {
	w := newPatrolWorld(t)
	cst := time.FixedZone("CST", 8*3600)
	y, m, d := time.Now().In(cst).AddDate(0, 0, -10).Date()
	d0 := time.Date(y, m, d, 0, 0, 0, 0, cst)
	day := func(k int) time.Time { return d0.AddDate(0, 0, k).Add(10 * time.Hour) }
	from, to := d0.Format(time.DateOnly), d0.AddDate(0, 0, 4).Format(time.DateOnly)

	// The unit TEST leads the grid's west half: x from -0.5 to 1.5 (alleys 0 and 1, the west half of each road).
	a, b := gridPoint(-0.5, -0.5), gridPoint(1.5, 2.5)
	zone := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
		a[0], a[1], b[0], a[1], b[0], b[1], a[0], b[1], a[0], a[1])
	w.a.Do("planner", "POST", "/api/v1/zones", feature(zone, map[string]any{"name": "西半", "unit_id": w.a.UnitID, "role": "lead"})).MustStatus(t, 201)

	walk := func(role string, k int, seed uint64, path ...[2]float64) {
		t.Helper()
		w.postTrack(role, "", "application/gpx+xml", gpxWalk(seed, day(k), path...), "").MustStatus(t, http.StatusCreated)
	}
	row := func(y float64, x1 float64) [][2]float64 { return [][2]float64{{0, y}, {x1, y}} }
	col := func(x float64) [][2]float64 { return [][2]float64{{x, 0}, {x, 2}} }
	walk("inspector", 0, 1, row(0, 3)...)
	walk("inspector", 1, 2, row(0, 3)...)
	walk("inspector", 3, 3, row(0, 3)...)
	walk("inspector", 0, 4, row(1, 3)...)
	walk("inspector", 2, 5, row(1, 1.5)...) // half of 横1路: not the road's 80%, all of what TEST leads of it
	walk("inspector", 1, 6, col(0)...)
	walk("inspector", 3, 7, col(0)...)
	walk("inspector", 0, 8, col(1)...)
	walk("inspector", 1, 9, col(1)...) // the same two-day period again: still one period met
	for k := 0; k < 4; k++ {
		walk("volunteer", k, uint64(20+k), row(2, 3)...) // presence, never inspection
	}
	walk("inspector", 5, 30, row(2, 3)...) // after the window

	// The hand table: periods and met periods per stretch; for TEST, met periods on the meters it leads.
	type line struct {
		id                    int64
		periods, met, unitMet int
		led                   bool
	}
	table := []line{
		{w.rows[0], 4, 3, 3, true}, {w.rows[1], 4, 1, 2, true}, {w.rows[2], 4, 0, 0, true},
		{w.cols[0], 2, 2, 2, true}, {w.cols[1], 2, 1, 1, true}, {w.cols[2], 2, 0, 0, false}, {w.cols[3], 2, 0, 0, false},
	}
	length := map[int64]float64{}
	lead := map[int64]float64{}
	rows, err := w.a.Store.Pool.Query(t.Context(), `SELECT a.id, ST_Length(a.geom::geography),
			COALESCE((SELECT sum(cp.to_m - cp.from_m) FROM coverage_pieces cp WHERE cp.asset_id = a.id AND $1 = ANY(cp.unit_ids)), 0)
		FROM assets a`, w.a.UnitID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var l, ld float64
		if err := rows.Scan(&id, &l, &ld); err != nil {
			t.Fatal(err)
		}
		length[id], lead[id] = l, ld
	}
	rows.Close()
	var met, all, umet, uall float64
	for _, x := range table {
		met += length[x.id] * float64(x.met)
		all += length[x.id] * float64(x.periods)
		if x.led != (lead[x.id] > 1) {
			t.Fatalf("asset %d: TEST leads %.1f m of it; the table says led=%v", x.id, lead[x.id], x.led)
		}
		umet += lead[x.id] * float64(x.unitMet)
		uall += lead[x.id] * float64(x.periods)
	}
	wantAll, wantUnit := 100*met/all, 100*umet/uall

	var c domain.PatrolCompliance
	w.a.Do("leader", "GET", "/api/v1/patrols/compliance?from="+from+"&to="+to, nil).MustStatus(t, 200).Decode(t, &c)
	if c.Days != 4 || c.From != from || c.To != to {
		t.Errorf("window %s..%s (%d days), want %s..%s (4)", c.From, c.To, c.Days, from, to)
	}
	got := map[int64]domain.PatrolComplianceStretch{}
	for _, s := range c.Stretches {
		got[s.AssetID] = s
	}
	for _, x := range table {
		s := got[x.id]
		if s.Periods != x.periods || s.Met != x.met || s.Percent == nil || math.Abs(*s.Percent-100*float64(x.met)/float64(x.periods)) > 0.01 {
			t.Errorf("%s: %d of %d periods met (%v%%), want %d of %d", s.Name, s.Met, s.Periods, s.Percent, x.met, x.periods)
		}
	}
	if c.Percent == nil || math.Abs(*c.Percent-wantAll) > 0.01 {
		t.Errorf("overall %v%%, want %.2f%%", c.Percent, wantAll)
	}
	if len(c.ByUnit) != 1 || c.ByUnit[0].UnitID != w.a.UnitID || c.ByUnit[0].Stretches != 5 || c.ByUnit[0].Percent == nil ||
		math.Abs(*c.ByUnit[0].Percent-wantUnit) > 0.01 {
		t.Errorf("by unit %+v, want TEST with 5 stretches at %.2f%%", c.ByUnit, wantUnit)
	}

	// The ranking carries the same rate (as a share, like its other rates).
	var st struct {
		Items []domain.UnitStat `json:"items"`
	}
	w.a.Do("leader", "GET", "/api/v1/stats/units?from="+from+"&to="+to, nil).MustStatus(t, 200).Decode(t, &st)
	found := false
	for _, u := range st.Items {
		if u.UnitID == w.a.UnitID {
			found = true
			if u.PatrolRate == nil || math.Abs(*u.PatrolRate-wantUnit/100) > 0.0001 {
				t.Errorf("stats/units patrol_rate %v, want %.4f", u.PatrolRate, wantUnit/100)
			}
		}
	}
	if !found {
		t.Errorf("unit TEST missing from stats/units: %+v", st.Items)
	}
	// The briefing prints it (HTML; the PDF prints that page) and its workbook has the sheets.
	html := string(w.a.Do("leader", "GET", "/api/v1/briefing?from="+from+"&to="+to, nil).MustStatus(t, 200).Body)
	if !strings.Contains(html, "巡查达标率") || !strings.Contains(html, fmt.Sprintf("%.1f%%", wantAll)) ||
		!strings.Contains(html, fmt.Sprintf("%.1f%%", wantUnit)) || !strings.Contains(html, "横2路") {
		t.Errorf("briefing lacks the patrol section with %.1f%% and %.1f%% and the worst stretch 横2路", wantAll, wantUnit)
	}
	xb := w.a.Do("leader", "GET", "/api/v1/briefing?from="+from+"&to="+to+"&format=xlsx", nil).MustStatus(t, 200).Body
	f, err := excelize.OpenReader(bytes.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	xr, err := f.GetRows("巡查达标率", excelize.Options{RawCellValue: true})
	if err != nil || len(xr) != 2 || xr[1][0] != "测试单位" {
		t.Errorf("workbook's patrol sheet: %v (%v), sheets %v", xr, err, f.GetSheetList())
	} else if v := xr[1][3]; !strings.HasPrefix(v, fmt.Sprintf("%.3f", wantUnit/100)[:4]) {
		t.Errorf("workbook's TEST rate %s, want %.4f", v, wantUnit/100)
	}

	// Three days: roads have three periods, alleys one (the incomplete second is not counted).
	w.a.Do("leader", "GET", "/api/v1/patrols/compliance?from="+from+"&to="+d0.AddDate(0, 0, 3).Format(time.DateOnly), nil).MustStatus(t, 200).Decode(t, &c)
	for _, s := range c.Stretches {
		if s.AssetID == w.rows[0] && (s.Periods != 3 || s.Met != 2) || s.AssetID == w.cols[1] && (s.Periods != 1 || s.Met != 1) {
			t.Errorf("three days, %s: %d of %d", s.Name, s.Met, s.Periods)
		}
	}
	// Targets are configurable: alleys every 4 days makes one period, met by 纵0巷 and 纵1巷.
	w.a.Do("unit_staff", "PUT", "/api/v1/patrols/targets/alley", map[string]any{"every_days": 4, "min_percent": 80}).MustStatus(t, http.StatusForbidden)
	w.a.Do("planner", "PUT", "/api/v1/patrols/targets/alley", map[string]any{"every_days": 0, "min_percent": 80}).MustStatus(t, http.StatusBadRequest)
	w.a.Do("planner", "PUT", "/api/v1/patrols/targets/market", map[string]any{"every_days": 1, "min_percent": 80}).MustStatus(t, http.StatusBadRequest)
	w.a.Do("planner", "PUT", "/api/v1/patrols/targets/alley", map[string]any{"every_days": 4, "min_percent": 80}).MustStatus(t, 200)
	var tg struct {
		Targets []domain.PatrolTarget `json:"targets"`
	}
	w.a.Do("unit_staff", "GET", "/api/v1/patrols/targets", nil).MustStatus(t, 200).Decode(t, &tg)
	if len(tg.Targets) != 2 || tg.Targets[0].Kind != "alley" || tg.Targets[0].EveryDays != 4 || tg.Targets[1].EveryDays != 1 {
		t.Errorf("targets %+v", tg.Targets)
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/compliance?kind=alley&from="+from+"&to="+to, nil).MustStatus(t, 200).Decode(t, &c)
	want := map[int64]int{w.cols[0]: 1, w.cols[1]: 1, w.cols[2]: 0, w.cols[3]: 0}
	if len(c.Stretches) != 4 {
		t.Errorf("kind=alley: %d stretches", len(c.Stretches))
	}
	for _, s := range c.Stretches {
		if s.Periods != 1 || s.Met != want[s.AssetID] {
			t.Errorf("alleys every 4 days, %s: %d of %d, want %d of 1", s.Name, s.Met, s.Periods, want[s.AssetID])
		}
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/compliance?from="+to+"&to="+from, nil).MustStatus(t, http.StatusBadRequest)
}

// TestPatrolInspectors: km walked per inspector and reports per km, inspection only.
func TestPatrolInspectors(t *testing.T) {
	w := newPatrolWorld(t)
	at := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	for i, role := range []string{"inspector", "inspector", "volunteer"} {
		w.postTrack(role, "", "application/gpx+xml", gpxWalk(uint64(40+i), at.Add(time.Duration(i)*time.Hour), [2]float64{0, 0}, [2]float64{3, 0}), "").
			MustStatus(t, http.StatusCreated)
	}
	// Two reports by the inspector (filed through the API, as an inspector does).
	for i := 0; i < 2; i++ {
		p := gridPoint(float64(i)*2, 0)
		w.a.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}},
			"category": "JMZX-01", "description": fmt.Sprintf("巡查发现 %d", i)}).MustStatus(t, http.StatusCreated)
	}
	var oracle, network float64
	if err := w.a.Store.Pool.QueryRow(t.Context(), `SELECT sum(LEAST(p.to_m, a.length_m) - p.from_m) FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id
		WHERE p.role = 'inspector'`).Scan(&oracle); err != nil {
		t.Fatal(err)
	}
	network = w.unionByRole(t, "inspector")
	var out struct {
		Inspectors []domain.InspectorPatrol `json:"inspectors"`
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/inspectors", nil).MustStatus(t, 200).Decode(t, &out)
	if len(out.Inspectors) != 1 {
		t.Fatalf("inspectors %+v, want the one inspector (volunteers are not inspectors)", out.Inspectors)
	}
	ip := out.Inspectors[0]
	if ip.Username != "inspector1" || ip.Patrols != 2 || math.Abs(ip.Km-oracle/1000) > 1e-6 || math.Abs(ip.NetworkKm-network/1000) > 1e-6 ||
		ip.Km < 1.8*ip.NetworkKm || ip.Reports != 2 || ip.ReportsPerKm == nil || math.Abs(*ip.ReportsPerKm-2/ip.Km) > 1e-9 {
		t.Errorf("inspector line %+v; PostGIS: %.1f m walked, %.1f m of network", ip, oracle, network)
	}
	w.a.Do("volunteer", "GET", "/api/v1/patrols/inspectors", nil).MustStatus(t, http.StatusForbidden)
	w.a.Do("leader", "GET", "/api/v1/patrols/inspectors?from=2020-01-01&to=2030-01-01", nil).MustStatus(t, http.StatusBadRequest)
}
