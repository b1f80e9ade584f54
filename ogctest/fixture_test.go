package ogctest

import (
	"fmt"
	"math"
	"testing"

	"everymeter/internal/testapp"
)

// world is a test server with a small town: roads, alleys, markets, parks, zones, assignments,
// coverage (gaps and overlaps computed by the engine) and a few outstanding reports.
type world struct {
	*testapp.App
	Key   string // an inspector's API key
	Units []int64
}

// Vaduz-ish origin of the synthetic town.
const lon0, lat0 = 9.515, 47.130

func line(pts ...[2]float64) map[string]any {
	return map[string]any{"type": "LineString", "coordinates": pts}
}

func square(x, y, d float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}}
}

func feature(g map[string]any, props map[string]any) map[string]any {
	return map[string]any{"type": "Feature", "geometry": g, "properties": props}
}

// newWorld builds the town through the HTTP API (reports, which have no API yet in every build, by SQL).
func newWorld(t *testing.T) *world {
	t.Helper()
	a := testapp.New(t)
	w := &world{App: a, Units: []int64{a.UnitID}}
	for i := 0; i < 3; i++ {
		res := a.Do("admin", "POST", "/api/v1/units", map[string]any{"code": fmt.Sprintf("U%d", i), "name": fmt.Sprintf("单位%d", i), "kind": "department"})
		res.MustStatus(t, 201)
		w.Units = append(w.Units, int64(res.JSON()["id"].(float64)))
	}
	// A grid of 12 east-west roads × 10 blocks, each block a road asset with a kink; alleys north-south.
	var feats []any
	for r := 0; r < 12; r++ {
		for b := 0; b < 10; b++ {
			x, y := lon0+float64(b)*0.002, lat0+float64(r)*0.0015
			feats = append(feats, feature(line([2]float64{x, y}, [2]float64{x + 0.001, y + 0.0001}, [2]float64{x + 0.002, y}),
				map[string]any{"kind": "road", "name": fmt.Sprintf("路%d-%d", r, b)}))
		}
	}
	for c := 0; c < 10; c++ {
		for r := 0; r < 8; r++ {
			x, y := lon0+float64(c)*0.002+0.0007, lat0+float64(r)*0.0015+0.0002
			length := 0.0011 - float64(c%3)*0.0004 // some short alleys, dropped from low-zoom tiles
			feats = append(feats, feature(line([2]float64{x, y}, [2]float64{x, y + length}),
				map[string]any{"kind": "alley", "name": fmt.Sprintf("巷%d-%d", c, r)}))
		}
	}
	for i := 0; i < 15; i++ {
		x, y := lon0+float64(i%5)*0.004+0.0003, lat0+float64(i/5)*0.004+0.0003
		feats = append(feats, feature(square(x, y, 0.0006), map[string]any{"kind": "market", "name": fmt.Sprintf("市场%d", i)}))
		feats = append(feats, feature(square(x+0.0012, y, 0.0005), map[string]any{"kind": "park", "name": fmt.Sprintf("游园%d", i)}))
	}
	a.Do("planner", "POST", "/api/v1/assets", map[string]any{"type": "FeatureCollection", "features": feats}).MustStatus(t, 201)

	// Zones: lead zones over the south-west, a support zone, and one overlapping lead zone.
	for i := 0; i < 6; i++ {
		x, y := lon0-0.0005+float64(i%3)*0.006, lat0-0.0005+float64(i/3)*0.006
		a.Do("planner", "POST", "/api/v1/zones", feature(square(x, y, 0.0055),
			map[string]any{"name": fmt.Sprintf("网格%d", i), "unit_id": w.Units[i%len(w.Units)], "role": "lead", "kind": "网格"})).MustStatus(t, 201)
	}
	a.Do("planner", "POST", "/api/v1/zones", feature(square(lon0+0.001, lat0+0.001, 0.003),
		map[string]any{"name": "重叠", "unit_id": w.Units[1], "role": "lead"})).MustStatus(t, 201)
	a.Do("planner", "POST", "/api/v1/zones", feature(square(lon0+0.01, lat0+0.01, 0.005),
		map[string]any{"name": "配合", "unit_id": w.Units[2], "role": "support"})).MustStatus(t, 201)

	// Assignments on the northern roads (outside the zones), with a few overlapping pairs.
	var roads []struct {
		ID      int64
		LengthM float64
	}
	rows, err := a.Store.Pool.Query(t.Context(), `SELECT id, length_m FROM assets WHERE kind = 'road' ORDER BY id DESC LIMIT 40`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r struct {
			ID      int64
			LengthM float64
		}
		if err := rows.Scan(&r.ID, &r.LengthM); err != nil {
			t.Fatal(err)
		}
		roads = append(roads, r)
	}
	rows.Close()
	for i, r := range roads {
		to := math.Floor(r.LengthM*0.7*100) / 100
		a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", r.ID), map[string]any{
			"unit_id": w.Units[i%len(w.Units)], "from_m": 10.5, "to_m": to, "role": "lead", "person": "张三"}).MustStatus(t, 201)
		if i%4 == 0 {
			a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", r.ID), map[string]any{
				"unit_id": w.Units[(i+1)%len(w.Units)], "from_m": 50, "to_m": math.Floor(r.LengthM*100) / 100, "role": "lead"}).MustStatus(t, 201)
		}
	}

	// Reports: 30 outstanding, 5 closed (left out of the reports collection).
	for i := 0; i < 35; i++ {
		status := "reported"
		if i >= 30 {
			status = "closed"
		}
		_, err := a.Store.Pool.Exec(t.Context(), `INSERT INTO reports (category_code, description, status, geom)
			VALUES ('SRHJ-01', $1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326))`,
			fmt.Sprintf("垃圾 %d", i), status, lon0+float64(i%7)*0.0025+0.0001, lat0+float64(i/7)*0.002+0.0001)
		if err != nil {
			t.Fatal(err)
		}
	}

	res := a.Do("inspector", "POST", "/api/v1/auth/apikeys", map[string]any{"name": "QGIS"}).MustStatus(t, 201)
	w.Key = res.JSON()["key"].(string)
	return w
}

// count runs a count query.
func (w *world) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := w.Store.Pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// collectionCounts is the number of features each collection must have, straight from the tables.
var collectionCounts = map[string]string{
	"road":        `SELECT count(*) FROM assets WHERE kind = 'road'`,
	"alley":       `SELECT count(*) FROM assets WHERE kind = 'alley'`,
	"market":      `SELECT count(*) FROM assets WHERE kind = 'market'`,
	"park":        `SELECT count(*) FROM assets WHERE kind = 'park'`,
	"zones":       `SELECT count(*) FROM zones`,
	"assignments": `SELECT count(*) FROM assignments`,
	"gaps":        `SELECT count(*) FROM coverage_pieces WHERE status = 'gap'`,
	"overlaps":    `SELECT count(*) FROM coverage_pieces WHERE status = 'overlap'`,
	"reports":     `SELECT count(*) FROM reports WHERE status NOT IN ('closed', 'voided', 'duplicate')`,
	// nobody patrolled the fixture: every road and alley is one stale stretch
	"patrol_stale": `SELECT count(*) FROM assets WHERE kind IN ('road', 'alley') AND length_m >= 1`,
}

// get fetches a path with the API key in the header.
func (w *world) get(t *testing.T, path string, headers ...string) testapp.Response {
	t.Helper()
	return w.Do("", "GET", path, nil, append([]string{"X-API-Key", w.Key}, headers...)...)
}
