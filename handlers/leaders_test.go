package handlers_test

import (
	"context"
	"encoding/csv"
	"everymeter/internal/shared"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"everymeter/importer"
	"everymeter/importer311"
	"everymeter/internal/testapp"
	"everymeter/store"
)

// laShared returns a path under the shared data directory (internal/shared: skips outside CI when absent).
func laShared(tb testing.TB, rel string) string {
	tb.Helper()
	return shared.Path(tb, rel)
}

// loadLA starts a server with the 99 Neighborhood Councils as units and the three LA 311 extracts imported.
func loadLA(t *testing.T) *testapp.App {
	t.Helper()
	nc := laShared(t, "boundaries/la-neighborhood-councils-2019.geojson")
	dir := laShared(t, "civic311")
	a := testapp.New(t)
	ctx := t.Context()
	if _, err := importer311.UnitsFromZones(ctx, a.Svc, nc, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"la311-2017-12-27_31.csv", "la311-2018-01-01_04.csv", "la311-2020-01-01_03.csv"} {
		if _, err := importer311.Import(ctx, a.Store, filepath.Join(dir, f), importer.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// cellOracle counts reports per cell from the raw table: cells of size Mercator meters meeting the bbox (the
// cell range of the box's corners), with a WHERE condition.
func cellOracle(t *testing.T, a *testapp.App, size int, bbox [4]float64, cond string) map[[2]int]int64 {
	t.Helper()
	rows, err := a.Store.Pool.Query(context.Background(), fmt.Sprintf(`WITH b AS (
			SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3857) AS lo, ST_Transform(ST_SetSRID(ST_MakePoint($3, $4), 4326), 3857) AS hi),
		c AS (SELECT floor(ST_X(ST_Transform(geom, 3857)) / %[1]d)::int AS cx, floor(ST_Y(ST_Transform(geom, 3857)) / %[1]d)::int AS cy
			FROM reports WHERE %[2]s)
		SELECT cx, cy, count(*) FROM c, b
		WHERE cx BETWEEN floor(ST_X(lo) / %[1]d) AND floor(ST_X(hi) / %[1]d) AND cy BETWEEN floor(ST_Y(lo) / %[1]d) AND floor(ST_Y(hi) / %[1]d)
		GROUP BY cx, cy`, size, cond), bbox[0], bbox[1], bbox[2], bbox[3])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]int]int64{}
	for rows.Next() {
		var x, y int
		var n int64
		if err := rows.Scan(&x, &y, &n); err != nil {
			t.Fatal(err)
		}
		out[[2]int{x, y}] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type heatFC struct {
	Level    int     `json:"level"`
	CellM    float64 `json:"cell_m"`
	Features []struct {
		Geometry struct {
			Type string `json:"type"`
		} `json:"geometry"`
		Properties struct {
			Count  int64   `json:"count"`
			Weight float64 `json:"weight"`
			CX     int     `json:"cx"`
			CY     int     `json:"cy"`
		} `json:"properties"`
	} `json:"features"`
}

func checkHeat(t *testing.T, a *testapp.App, name string, zoom int, bbox [4]float64, params, cond string) int {
	t.Helper()
	q := fmt.Sprintf("/api/v1/heatmap?zoom=%d&bbox=%g,%g,%g,%g%s", zoom, bbox[0], bbox[1], bbox[2], bbox[3], params)
	var fc heatFC
	a.Do("leader", "GET", q, nil).MustStatus(t, 200).Decode(t, &fc)
	want := cellOracle(t, a, int(fc.CellM), bbox, cond)
	got := map[[2]int]int64{}
	var total int64
	for _, f := range fc.Features {
		if f.Geometry.Type != "Polygon" {
			t.Fatalf("%s: cell geometry %q, want Polygon", name, f.Geometry.Type)
		}
		got[[2]int{f.Properties.CX, f.Properties.CY}] = f.Properties.Count
		total += f.Properties.Count
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d cells, oracle %d", name, len(got), len(want))
	}
	bad := 0
	for k, v := range want {
		if got[k] != v {
			bad++
			if bad < 5 {
				t.Errorf("%s: cell %v = %d, oracle %d", name, k, got[k], v)
			}
		}
	}
	t.Logf("%s: level %d (%g m), %d cells, %d reports", name, fc.Level, fc.CellM, len(got), total)
	return len(got)
}

// la is a box around the city of Los Angeles.
var la = [4]float64{-118.70, 33.70, -118.15, 34.35}

// TestLeadersOnLAData imports the real LA 311 reports and checks the heat map, the unit statistics, the trend,
// hotspots and the briefing against SQL oracles on the raw reports table.
func TestLeadersOnLAData(t *testing.T) {
	a := loadLA(t)
	ctx := t.Context()
	outstanding := "status NOT IN ('closed', 'voided', 'duplicate')"

	t.Run("heatmap", func(t *testing.T) {
		for _, z := range []int{9, 11, 13} {
			if n := checkHeat(t, a, fmt.Sprintf("city z%d all", z), z, la, "&status=all", "true"); n < 10 {
				t.Errorf("zoom %d: only %d cells for the whole city", z, n)
			}
			checkHeat(t, a, fmt.Sprintf("city z%d outstanding", z), z, la, "", outstanding)
		}
		// One district: the box of the council with the most reports, at street zoom, its unit and one category.
		var unitID int64
		var box [4]float64
		if err := a.Store.Pool.QueryRow(ctx, `SELECT z.unit_id, ST_XMin(z.geom), ST_YMin(z.geom), ST_XMax(z.geom), ST_YMax(z.geom)
			FROM zones z JOIN reports r ON r.unit_id = z.unit_id GROUP BY z.id ORDER BY count(*) DESC, z.id LIMIT 1`).
			Scan(&unitID, &box[0], &box[1], &box[2], &box[3]); err != nil {
			t.Fatal(err)
		}
		checkHeat(t, a, "district z14 all", 14, box, "&status=all", "true")
		checkHeat(t, a, "district z14 unit", 14, box, fmt.Sprintf("&status=all&unit_id=%d", unitID), fmt.Sprintf("unit_id = %d", unitID))
		checkHeat(t, a, "district z12 bulky+graffiti", 12, box, "&status=closed,voided&category=SRHJ-03,SRHJ-05",
			"status IN ('closed', 'voided') AND category_code IN ('SRHJ-03', 'SRHJ-05')")
		checkHeat(t, a, "city z11 one day", 11, la, "&status=all&since=2018-01-02&until=2018-01-03",
			"created_at >= '2018-01-02T00:00:00Z' AND created_at < '2018-01-03T00:00:00Z'")
		checkHeat(t, a, "city z10 queue", 10, la, "&status=all&unit_id=none", "unit_id IS NULL")

		// The trigger keeps the cells current: reopen a thousand closed reports, void some open ones, move some.
		if _, err := a.Store.Pool.Exec(ctx, `UPDATE reports SET status = 'dispatched', closed_at = NULL, reopen_count = reopen_count + 1,
			deadline = now() - interval '2 hours' WHERE id IN (SELECT id FROM reports WHERE status = 'closed' AND unit_id IS NOT NULL ORDER BY id LIMIT 1000)`); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Store.Pool.Exec(ctx, `UPDATE reports SET status = 'voided' WHERE id IN (SELECT id FROM reports WHERE status = 'dispatched' ORDER BY id DESC LIMIT 5)`); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Store.Pool.Exec(ctx, `UPDATE reports SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + 0.02, ST_Y(geom)), 4326)
			WHERE id IN (SELECT id FROM reports ORDER BY id LIMIT 200)`); err != nil {
			t.Fatal(err)
		}
		for _, z := range []int{9, 13} {
			checkHeat(t, a, fmt.Sprintf("after transitions z%d outstanding", z), z, la, "", outstanding)
			checkHeat(t, a, fmt.Sprintf("after transitions z%d all", z), z, la, "&status=all", "true")
		}
		// Overdue weight: the reopened reports are overdue now.
		var fc heatFC
		a.Do("leader", "GET", "/api/v1/heatmap?zoom=9&weight=overdue", nil).MustStatus(t, 200).Decode(t, &fc)
		var sum float64
		for _, f := range fc.Features {
			sum += f.Properties.Weight
		}
		var want float64
		if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM reports WHERE status IN ('dispatched', 'accepted', 'rework') AND deadline < now()`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if sum != want || want < 1000 {
			t.Errorf("overdue weight Σ = %v, oracle %v", sum, want)
		}
		var pts struct {
			Points [][3]float64 `json:"points"`
		}
		a.Do("leader", "GET", fmt.Sprintf("/api/v1/heatmap?zoom=9&bbox=%g,%g,%g,%g&format=points", la[0], la[1], la[2], la[3]), nil).MustStatus(t, 200).Decode(t, &pts)
		if len(pts.Points) == 0 || pts.Points[0][0] < 33 || pts.Points[0][0] > 35 || pts.Points[0][1] > -118 {
			t.Errorf("points %v…: want [lat, lon, weight] in Los Angeles", pts.Points[:min(3, len(pts.Points))])
		}
		for _, bad := range []string{"zoom=40", "zoom=9&weight=heavy", "zoom=9&status=lost", "zoom=9&format=png",
			"zoom=18&bbox=-180,-85,180,85", "zoom=9&since=2020-01-02&until=2020-01-01", "zoom=9&unit_id=x", "zoom=15"} {
			if r := a.Do("leader", "GET", "/api/v1/heatmap?"+bad, nil); r.Status != 400 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("heatmap?%s: %d %s, want a 400 problem", bad, r.Status, r.Body)
			}
		}
		if r := a.Do("", "GET", "/api/v1/heatmap?zoom=9", nil); r.Status != 401 {
			t.Errorf("anonymous heat map: %d, want 401", r.Status)
		}
	})

	period := "from=2017-12-01&to=2020-02-01"
	t.Run("unit statistics", func(t *testing.T) {
		var res struct {
			Items []struct {
				UnitID     int64    `json:"unit_id"`
				Name       string   `json:"name"`
				Received   int64    `json:"received"`
				Due        int64    `json:"due"`
				Handled    int64    `json:"handled"`
				OnTime     int64    `json:"on_time"`
				OverdueNow int64    `json:"overdue_now"`
				Rework     int64    `json:"rework"`
				Closed     int64    `json:"closed"`
				Score      *float64 `json:"score"`
				Rank       *int     `json:"rank"`
				TooFew     bool     `json:"too_few"`
				Rates      struct {
					Handling *float64 `json:"handling"`
					OnTime   *float64 `json:"on_time"`
				} `json:"rates"`
			} `json:"items"`
		}
		a.Do("leader", "GET", "/api/v1/stats/units?"+period, nil).MustStatus(t, 200).Decode(t, &res)
		// The oracle: the same definitions written as SUM(CASE …) over the raw reports.
		rows, err := a.Store.Pool.Query(ctx, `SELECT unit_id, count(*),
				sum(CASE WHEN status IN ('voided', 'duplicate') THEN 0 ELSE 1 END),
				sum(CASE WHEN status = 'resolved' OR status = 'closed' THEN 1 ELSE 0 END),
				sum(CASE WHEN (status = 'resolved' OR status = 'closed') AND deadline IS NOT NULL AND COALESCE(resolved_at, closed_at) <= deadline THEN 1 ELSE 0 END),
				sum(CASE WHEN status IN ('dispatched', 'accepted', 'rework') AND deadline < now() THEN 1 ELSE 0 END),
				sum(CASE WHEN rework_count > 0 AND status NOT IN ('voided', 'duplicate') THEN 1 ELSE 0 END),
				sum(CASE WHEN status = 'closed' THEN 1 ELSE 0 END)
			FROM reports WHERE unit_id IS NOT NULL AND created_at >= '2017-12-01' AND created_at < '2020-02-01' GROUP BY unit_id`)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64][7]int64{}
		for rows.Next() {
			var id int64
			var v [7]int64
			if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
				t.Fatal(err)
			}
			want[id] = v
		}
		rows.Close()
		if len(res.Items) != 100 { // 99 councils and the test app's unit
			t.Errorf("%d units, want 100", len(res.Items))
		}
		seen, ranked := 0, 0
		var lastScore = 101.0
		for _, it := range res.Items {
			w := want[it.UnitID]
			got := [7]int64{it.Received, it.Due, it.Handled, it.OnTime, it.OverdueNow, it.Rework, it.Closed}
			if got != w {
				t.Errorf("unit %d %s: counts %v, oracle %v", it.UnitID, it.Name, got, w)
			}
			if w[0] > 0 {
				seen++
			}
			if it.TooFew != (it.Received < 5) {
				t.Errorf("unit %s: too_few %v with %d received", it.Name, it.TooFew, it.Received)
			}
			if it.Rank != nil {
				ranked++
				if *it.Score > lastScore {
					t.Errorf("unit %s ranked %d with score %v after a score of %v", it.Name, *it.Rank, *it.Score, lastScore)
				}
				lastScore = *it.Score
			} else if !it.TooFew {
				t.Errorf("unit %s neither ranked nor too_few", it.Name)
			}
			if it.Due > 0 && (it.Rates.Handling == nil || *it.Rates.Handling != float64(it.Handled)/float64(it.Due)) {
				t.Errorf("unit %s: handling rate %v, want %d/%d", it.Name, it.Rates.Handling, it.Handled, it.Due)
			}
		}
		if seen != len(want) || ranked < 90 {
			t.Errorf("%d units with reports (oracle %d), %d ranked", seen, len(want), ranked)
		}
		top := res.Items[0]
		t.Logf("top unit %s: score %.2f, %d received", top.Name, *top.Score, top.Received)

		// The briefing: real numbers, the top unit's name, a map; its stylesheet and CSV.
		r := a.Do("leader", "GET", "/api/v1/briefing?"+period, nil).MustStatus(t, 200)
		body := string(r.Body)
		for _, s := range []string{top.Name, "文明城市创建工作通报", "<svg", "<path", fmt.Sprint(res.Items[0].Received), "/api/v1/briefing/style.css"} {
			if !strings.Contains(body, s) {
				t.Errorf("briefing lacks %q", s)
			}
		}
		if strings.Contains(body, "<style") || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
			t.Error("briefing carries inline style or script, which the CSP blocks")
		}
		if css := a.Do("", "GET", "/api/v1/briefing/style.css", nil).MustStatus(t, 200); !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
			t.Errorf("stylesheet served as %q", css.Header.Get("Content-Type"))
		}
		c := a.Do("leader", "GET", "/api/v1/briefing?format=csv&"+period, nil).MustStatus(t, 200)
		recs, err := csv.NewReader(strings.NewReader(string(c.Body))).ReadAll()
		if err != nil || len(recs) != 101 || recs[1][3] != top.Name {
			t.Errorf("briefing CSV: %d records, err %v", len(recs), err)
		}
	})

	t.Run("trend", func(t *testing.T) {
		var res struct {
			Items []struct {
				T       string `json:"t"`
				Created int64  `json:"created"`
				Closed  int64  `json:"closed"`
			} `json:"items"`
		}
		a.Do("leader", "GET", "/api/v1/stats/trend?interval=day&from=2017-12-27&to=2018-01-05", nil).MustStatus(t, 200).Decode(t, &res)
		if len(res.Items) != 9 {
			t.Fatalf("%d days, want 9", len(res.Items))
		}
		var created, closed, wantCreated, wantClosed int64
		for _, it := range res.Items {
			created += it.Created
			closed += it.Closed
		}
		if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE created_at >= '2017-12-27' AND created_at < '2018-01-05'),
			count(*) FILTER (WHERE closed_at >= '2017-12-27' AND closed_at < '2018-01-05') FROM reports`).Scan(&wantCreated, &wantClosed); err != nil {
			t.Fatal(err)
		}
		if created != wantCreated || closed != wantClosed {
			t.Errorf("trend Σ created %d closed %d, oracle %d %d", created, closed, wantCreated, wantClosed)
		}
		a.Do("leader", "GET", "/api/v1/stats/trend?interval=month&from=2017-12-01&to=2020-02-01", nil).MustStatus(t, 200).Decode(t, &res)
		if len(res.Items) != 26 {
			t.Errorf("%d months, want 26", len(res.Items))
		}
		if r := a.Do("leader", "GET", "/api/v1/stats/trend?interval=hour", nil); r.Status != 400 {
			t.Errorf("interval=hour: %d, want 400", r.Status)
		}
	})

	t.Run("hotspots and inspectors", func(t *testing.T) {
		var res struct {
			Items []struct {
				Kind       string `json:"kind"`
				Count      int64  `json:"count"`
				Reopened   int64  `json:"reopened"`
				Categories []struct {
					Code  string `json:"code"`
					Count int64  `json:"count"`
				} `json:"categories"`
			} `json:"items"`
		}
		a.Do("leader", "GET", "/api/v1/hotspots?"+period+"&limit=20", nil).MustStatus(t, 200).Decode(t, &res)
		if len(res.Items) == 0 {
			t.Fatal("no hotspots in 27,000 LA reports")
		}
		for _, h := range res.Items {
			var max int64
			var sum int64
			for _, c := range h.Categories {
				sum += c.Count
				max = maxInt(max, c.Count)
			}
			if sum != h.Count || (h.Reopened == 0 && max < 3) {
				t.Errorf("hotspot %+v: categories do not add up or none repeats", h)
			}
		}
		t.Logf("top hotspot: %+v", res.Items[0])
		a.Do("leader", "GET", "/api/v1/stats/inspectors?"+period, nil).MustStatus(t, 200)
	})
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// leadersPolicy adds the leaders' routes to the route × role table of roles_test.go (kept in this file so the
// feature owns its rows).
var leadersPolicy = func() bool {
	for k, v := range map[string]string{
		"GET /api/v1/heatmap":            "signed-in",
		"GET /api/v1/hotspots":           "signed-in",
		"GET /api/v1/stats/units":        "signed-in",
		"GET /api/v1/stats/inspectors":   "signed-in",
		"GET /api/v1/stats/trend":        "signed-in",
		"GET /api/v1/briefing":           "signed-in",
		"GET /api/v1/briefing/style.css": "public",
	} {
		policyFeatures[k] = v
	}
	return true
}()
