package handlers_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"everymeter/demo"
	"everymeter/importer"
	"everymeter/internal/shared"
	"everymeter/internal/testapp"
)

// ownerAt asks the owner lookup what it says about a point.
func ownerAt(t *testing.T, a *testapp.App, lon, lat float64) (map[string]any, int) {
	t.Helper()
	res := a.Do("inspector", "GET", fmt.Sprintf("/api/v1/owner?lon=%.8f&lat=%.8f", lon, lat), nil, "Accept-Language", "en")
	if res.Status != 200 {
		return nil, res.Status
	}
	return res.JSON(), 200
}

func fileAt(t *testing.T, a *testapp.App, category string, lon, lat float64, asset int64) map[string]any {
	t.Helper()
	body := map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "category": category}
	if asset != 0 {
		body["asset_id"] = asset
	}
	return a.Do("inspector", "POST", "/api/v1/reports", body, "Accept-Language", "en").MustStatus(t, 201).JSON()["report"].(map[string]any)
}

func unitOf(r map[string]any) int64 {
	if r["unit_id"] == nil {
		return 0
	}
	return int64(r["unit_id"].(float64))
}

// TestRoutingDemoTown files reports on the demo town's own stretches: a covered stretch goes to its one lead unit
// with the owner lookup's reason, a gap to the category's default unit with the gap named, a 部件 to the owner of
// the asset at the pin.
func TestRoutingDemoTown(t *testing.T) {
	a := testapp.New(t)
	ctx := t.Context()
	if _, err := demo.Load(ctx, a.Svc, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Midpoints of long single-owner and gap pieces of roads.
	rows, err := a.Store.Pool.Query(ctx, `SELECT p.asset_id, p.status, COALESCE(p.unit_ids[1], 0),
			ST_X(ST_LineInterpolatePoint(ST_LineMerge(p.geom), 0.5)), ST_Y(ST_LineInterpolatePoint(ST_LineMerge(p.geom), 0.5))
		FROM coverage_pieces p JOIN assets x ON x.id = p.asset_id
		WHERE x.kind = 'road' AND p.to_m - p.from_m > 60 AND GeometryType(ST_LineMerge(p.geom)) = 'LINESTRING'
			AND (p.status = 'gap' OR (p.status = 'covered' AND cardinality(p.unit_ids) = 1))
		ORDER BY p.asset_id, p.from_m`)
	if err != nil {
		t.Fatal(err)
	}
	type piece struct {
		asset    int64
		status   string
		unit     int64
		lon, lat float64
	}
	var pieces []piece
	for rows.Next() {
		var p piece
		if err := rows.Scan(&p.asset, &p.status, &p.unit, &p.lon, &p.lat); err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, p)
	}
	rows.Close()
	zhzfj, err := a.Store.UnitByCode(ctx, "ZHZFJ")
	if err != nil {
		t.Fatal(err)
	}
	var covered, gaps, parts int
	for _, p := range pieces {
		if covered >= 5 && gaps >= 3 && parts >= 3 {
			break
		}
		o, status := ownerAt(t, a, p.lon, p.lat)
		if status != 200 || o["ambiguous"] == true || o["asset"] == nil || int64(o["asset"].(map[string]any)["id"].(float64)) != p.asset {
			continue // a crossing or a boundary nearby: not a clean case
		}
		switch {
		case p.status == "covered" && covered < 5:
			covered++
			r := fileAt(t, a, "JMZX-01", p.lon, p.lat, 0)
			routing := r["routing"].(map[string]any)
			if unitOf(r) != p.unit || routing["decided_by"] != "nearest_meter" || routing["reason"] != o["reason"] {
				t.Errorf("covered piece of asset %d (unit %d): routed to %d by %v: %v", p.asset, p.unit, unitOf(r), routing["decided_by"], routing["reason"])
			}
		case p.status == "covered" && parts < 3:
			parts++
			r := fileAt(t, a, "BJ-01", p.lon, p.lat, p.asset)
			routing := r["routing"].(map[string]any)
			if unitOf(r) != p.unit || routing["decided_by"] != "asset" {
				t.Errorf("部件 on asset %d (unit %d): routed to %d by %v: %v", p.asset, p.unit, unitOf(r), routing["decided_by"], routing["reason"])
			}
		case p.status == "gap" && gaps < 3:
			gaps++
			r := fileAt(t, a, "JMZX-01", p.lon, p.lat, 0)
			routing := r["routing"].(map[string]any)
			reason, _ := routing["reason"].(string)
			if unitOf(r) != zhzfj.ID || routing["decided_by"] != "category_default" || !strings.Contains(reason, "gap") ||
				!strings.Contains(reason, "default unit of the category "+zhzfj.Name) {
				t.Errorf("gap on asset %d: routed to %d by %v: %v", p.asset, unitOf(r), routing["decided_by"], reason)
			}
		}
	}
	if covered < 5 || gaps < 1 || parts < 3 {
		t.Fatalf("the demo town offered only %d covered, %d gap and %d 部件 cases", covered, gaps, parts)
	}
}

// TestRoutingRealOSM imports real streets of Beijing Haidian, gives one unit the first half of the longest named
// road, and files reports along it: the first half goes to that unit, the second half (a gap) to the queue.
func TestRoutingRealOSM(t *testing.T) {
	osmFile := shared.Path(t, "osm/beijing-haidian-cau-2026.osm")
	a := testapp.New(t)
	ctx := t.Context()
	if _, err := importer.OSM(ctx, a.Svc, osmFile, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	var road int64
	var name string
	var length float64
	if err := a.Store.Pool.QueryRow(ctx, `SELECT id, name, length_m FROM assets WHERE kind = 'road' AND name <> ''
		AND GeometryType(geom) = 'LINESTRING' ORDER BY length_m DESC LIMIT 1`).Scan(&road, &name, &length); err != nil {
		t.Fatal(err)
	}
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": a.UnitID, "from_m": 0, "to_m": length / 2, "role": "lead"}).MustStatus(t, 201)
	var owned, gaps int
	for f := 0.05; f < 0.96; f += 0.05 {
		if f > 0.45 && f < 0.55 {
			continue // near where ownership ends
		}
		var lon, lat float64
		if err := a.Store.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, $2) p FROM assets WHERE id = $1) x`,
			road, f).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		o, status := ownerAt(t, a, lon, lat)
		if status != 200 || o["asset"] == nil || int64(o["asset"].(map[string]any)["id"].(float64)) != road || o["ambiguous"] == true {
			continue // a crossing: another street is as near
		}
		r := fileAt(t, a, "JMZX-04", lon, lat, 0) // JMZX-04 defaults to 县公安交警, absent here: gaps wait in the queue
		routing := r["routing"].(map[string]any)
		reason := routing["reason"].(string)
		if len(o["units"].([]any)) > 0 {
			owned++
			if unitOf(r) != a.UnitID || !strings.Contains(reason, name) || !strings.Contains(reason, "测试单位") {
				t.Errorf("at %.2f of %s: routed to %d: %s", f, name, unitOf(r), reason)
			}
		} else {
			gaps++
			if unitOf(r) != 0 || r["status"] != "reported" || !strings.Contains(reason, "gap") {
				t.Errorf("gap at %.2f of %s: routed to %d (%v): %s", f, name, unitOf(r), r["status"], reason)
			}
		}
	}
	if owned < 3 || gaps < 3 {
		t.Fatalf("only %d owned and %d gap cases along %s (%.0f m)", owned, gaps, name, length)
	}
	t.Logf("%s (%.0f m): %d owned, %d gap reports routed", name, length, owned, gaps)
}
