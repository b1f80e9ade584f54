package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/internal/ci"
	"everymeter/internal/shared"
	"everymeter/store"
)

// cell is a rectangle of the generated zone grid as a GeoJSON polygon ring, its edges densified (a county's
// polygons have many vertices, and a projected straight edge is not a straight edge in lon/lat).
func cell(x0, y0, x1, y1 float64) [][]float64 {
	var ring [][]float64
	corners := [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	for k := 0; k < 4; k++ {
		a, b := corners[k], corners[k+1]
		for j := 0; j < 8; j++ {
			t := float64(j) / 8
			ring = append(ring, []float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
		}
	}
	return append(ring, ring[0])
}

// zoneGrid writes a GeoJSON FeatureCollection of rows×cols zones covering bound, each with a Chinese name and the
// unit given by unitOf (a code or a name), and returns it.
func zoneGrid(t *testing.T, path string, b [4]float64, rows, cols int, props func(i int) map[string]any) []byte {
	t.Helper()
	var feats []map[string]any
	dx, dy := (b[2]-b[0])/float64(cols), (b[3]-b[1])/float64(rows)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			i := r*cols + c
			x0, y0 := b[0]+float64(c)*dx, b[1]+float64(r)*dy
			feats = append(feats, map[string]any{"type": "Feature", "properties": props(i),
				"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{cell(x0, y0, x0+dx, y0+dy)}}})
		}
	}
	data, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// tableState is a table's row count and the sum of its rows' xmin (which any UPDATE changes) and updated_at.
func tableState(t *testing.T, st *store.Store, table string) string {
	t.Helper()
	var s string
	// table is one of the test's own constants, never input.
	err := st.DB().QueryRow(context.Background(), `SELECT count(*)::text || '/' || COALESCE(sum(xmin::text::bigint), 0)::text || '/' ||
		COALESCE(max(updated_at)::text, '') FROM `+table).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlacesImportZonesFromCountyFiles imports a grid of zones over the streets of the shared Beijing extract as a
// county's GIS office would hand it over — a shapefile in CGCS2000 / 3-degree Gauss–Krüger CM 117E (EPSG:4548), a
// shapefile with GBK attribute text and no .cpg, and a GeoPackage in UTM 50N — and checks that every zone lands with
// its name, its unit (named by code in some features and by name in others) and an area within 0.1 % of PostGIS's
// ST_Area(geography) of the WGS84 original; that the streets under the zones are now covered; that importing the
// file again changes no row and publishes no event; and that a file with an unknown unit or a self-crossing polygon
// is refused naming the feature, with nothing written.
func TestPlacesImportZonesFromCountyFiles(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		ci.Missing(t, "ogr2ogr (gdal-bin) is needed to build the fixtures: %v", err)
		return
	}
	osmFile := shared.Path(t, "osm/beijing-haidian-cau-2026.osm")
	dir := t.TempDir()
	ogr2ogrFixture(t, dir, "-f", "GeoJSON", "streets.geojson", osmFile, "lines", "-where", "highway IS NOT NULL", "-select", "osm_id,name,highway")
	svc := newService(t)
	ctx := context.Background()
	if _, err := File(ctx, svc, filepath.Join(dir, "streets.geojson"), FileOptions{Kind: "road"}); err != nil {
		t.Fatal(err)
	}
	var b [4]float64
	if err := svc.Store.DB().QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM assets) x`).
		Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{Name: "test"}
	units := []store.Unit{{Code: "XQ", Name: "学清路街道", Kind: "town"}, {Code: "QH", Name: "清河社区", Kind: "community"}}
	for _, u := range units {
		if _, err := svc.CreateUnit(ctx, actor, u); err != nil {
			t.Fatal(err)
		}
	}
	// Even cells go to 学清路街道 by its code, odd ones to 清河社区 by its name.
	orig := zoneGrid(t, filepath.Join(dir, "zones.geojson"), b, 2, 3, func(i int) map[string]any {
		unit := "XQ"
		if i%2 == 1 {
			unit = "清河社区"
		}
		return map[string]any{"name": fmt.Sprintf("第%d网格", i+1), "unit": unit}
	})
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4548", "-lco", "ENCODING=UTF-8", "gk.shp", "zones.geojson")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4490", "-lco", "ENCODING=GBK", "gbk.shp", "zones.geojson")
	ogr2ogrFixture(t, dir, "-f", "GPKG", "-t_srs", "EPSG:32650", "-nln", "zones", "utm.gpkg", "zones.geojson")
	if err := os.Remove(filepath.Join(dir, "gbk.cpg")); err != nil {
		t.Fatal(err)
	}
	if gbk, err := os.ReadFile(filepath.Join(dir, "gbk.dbf")); err != nil || !strings.Contains(string(gbk), "\xcd\xf8\xb8\xf1") { // 网格 in GBK
		t.Fatalf("the GBK fixture does not hold GBK text (%v)", err)
	}

	// The oracle: each original zone's unit and geodesic area, by PostGIS from the original GeoJSON.
	type zone struct {
		unit string
		area float64
	}
	want := map[string]zone{}
	rows, err := svc.Store.DB().Query(ctx, `SELECT f->'properties'->>'name', f->'properties'->>'unit',
			ST_Area(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)::geography)
		FROM jsonb_array_elements($1::jsonb->'features') f`, string(orig))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var z zone
		if err := rows.Scan(&name, &z.unit, &z.area); err != nil {
			t.Fatal(err)
		}
		if z.unit == "清河社区" {
			z.unit = "QH"
		}
		want[name] = z
	}
	rows.Close()
	var events atomic.Int64
	svc.Subscribe(func(ev change.Event) {
		if ev.Of(change.Zone) != nil {
			events.Add(1)
		}
	})

	for _, c := range []struct {
		file string
		opt  PlaceOptions
	}{
		{"gk.shp", PlaceOptions{}},
		{"gbk.shp", PlaceOptions{ImportOptions: domain.ImportOptions{UnitField: "unit", Role: "lead", ZoneKind: "责任区"}}},
		{"utm.gpkg", PlaceOptions{ImportOptions: domain.ImportOptions{NameField: "name"}}},
	} {
		t.Run(c.file, func(t *testing.T) {
			// The first file's zones cover the streets under them (the later ones give the same units the same
			// places again, which changes no street's owners).
			pieces0 := piecesOf(t, svc.Store, "covered")
			before := events.Load()
			res, sum, err := Places(ctx, svc, filepath.Join(dir, c.file), "zone", c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Zones.Inserted != len(want) || sum.Zones != len(want) {
				t.Fatalf("inserted %+v of %d zones (summary %+v)", res.Zones, len(want), sum)
			}
			if events.Load() == before {
				t.Error("the import published no zone event")
			}
			for _, w := range sum.Warnings {
				if strings.Contains(w, "overlap") {
					t.Errorf("adjacent zones warned of an overlap: %s", w)
				}
			}
			rows, err := svc.Store.DB().Query(ctx, `SELECT z.name, u.code, z.role, z.kind, ST_Area(z.geom::geography)
				FROM zones z JOIN units u ON u.id = z.unit_id JOIN zone_sources s ON s.zone_id = z.id WHERE s.source = $1`, res.Source)
			if err != nil {
				t.Fatal(err)
			}
			n, worst := 0, 0.0
			for rows.Next() {
				var name, code, role, kind string
				var area float64
				if err := rows.Scan(&name, &code, &role, &kind, &area); err != nil {
					t.Fatal(err)
				}
				w, ok := want[name]
				if !ok {
					t.Fatalf("zone %q is not in the original", name)
				}
				n++
				if code != w.unit || role != "lead" {
					t.Errorf("zone %s: unit %s role %s, want %s lead", name, code, role, w.unit)
				}
				if wantKind := c.opt.ZoneKind; wantKind != "" && kind != wantKind || wantKind == "" && kind != "网格" {
					t.Errorf("zone %s: kind %q", name, kind)
				}
				d := math.Abs(area-w.area) / w.area
				worst = math.Max(worst, d)
				if d > 0.001 {
					t.Errorf("zone %s: %.1f m², want %.1f m² (±0.1%%)", name, area, w.area)
				}
			}
			rows.Close()
			if n != len(want) {
				t.Fatalf("%d zones from %s, want %d", n, c.file, len(want))
			}
			t.Logf("%s: %d zones, worst area difference %.5f%%", c.file, n, 100*worst)
			if p := piecesOf(t, svc.Store, "covered"); c.file == "gk.shp" && p <= pieces0 {
				t.Errorf("covered coverage pieces: %d before the import, %d after; want more", pieces0, p)
			}

			zones0, units0, sources0, audit0, ev0 := tableState(t, svc.Store, "zones"), tableState(t, svc.Store, "units"),
				countRows(t, svc.Store, "zone_sources"), countRows(t, svc.Store, "audit_log"), events.Load()
			again, _, err := Places(ctx, svc, filepath.Join(dir, c.file), "zone", c.opt)
			if err != nil || again.Zones != (domain.ImportCount{Unchanged: len(want)}) {
				t.Fatalf("importing %s again: %+v, %v; want every zone unchanged", c.file, again.Zones, err)
			}
			if z, u, s, a := tableState(t, svc.Store, "zones"), tableState(t, svc.Store, "units"), countRows(t, svc.Store, "zone_sources"),
				countRows(t, svc.Store, "audit_log"); z != zones0 || u != units0 || s != sources0 || a != audit0 {
				t.Errorf("importing again changed rows: zones %s→%s, units %s→%s, sources %d→%d, audit %d→%d", zones0, z, units0, u, sources0, s, audit0, a)
			}
			if events.Load() != ev0 {
				t.Errorf("importing again published %d events", events.Load()-ev0)
			}
		})
	}

	for _, c := range []struct {
		name, feature, detail string
		props                 func(i int) map[string]any
		bowtie                bool
	}{
		{"unknown unit", "feature 3 (坏网格3)", `unknown unit "NOPE"`, func(i int) map[string]any {
			u := "XQ"
			if i == 2 {
				u = "NOPE"
			}
			return map[string]any{"name": fmt.Sprintf("坏网格%d", i+1), "unit": u}
		}, false},
		{"self-crossing polygon", "feature 1 (坏网格1)", "invalid polygon", func(i int) map[string]any {
			return map[string]any{"name": fmt.Sprintf("坏网格%d", i+1), "unit": "XQ"}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".geojson")
			data := zoneGrid(t, path, b, 1, 3, c.props)
			if c.bowtie {
				// The first ring's second and third corners swapped: its edges cross.
				data = []byte(strings.Replace(string(data), `"coordinates":[[[`, `"coordinates":[[[`+fmt.Sprintf("%v,%v],[%v,%v],[%v,%v],[%v,%v],[", b[0], b[1], b[2], b[3], b[2], b[1], b[0], b[3]), 1))
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			zones0, ev0 := tableState(t, svc.Store, "zones"), events.Load()
			_, sum, err := Places(ctx, svc, path, "zone", PlaceOptions{})
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.feature) || !strings.Contains(err.Error(), c.detail) {
				t.Fatalf("err = %v, want ErrRefused naming %s: %s", err, c.feature, c.detail)
			}
			if len(sum.Errors) != 1 || sum.Errors[0].Feature != c.feature {
				t.Errorf("problems %+v, want one for %s", sum.Errors, c.feature)
			}
			if z := tableState(t, svc.Store, "zones"); z != zones0 || events.Load() != ev0 {
				t.Errorf("a refused file wrote zones (%s → %s) or published events", zones0, z)
			}
		})
	}
}

// piecesOf counts the coverage pieces of a status (gap, covered, overlap).
func piecesOf(t *testing.T, st *store.Store, status string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(context.Background(), `SELECT count(*) FROM coverage_pieces WHERE status = $1`, status).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPlacesWarnOfOverlappingLeadZones: two lead zones of different units sharing a strip are imported (the model
// allows overlaps; the coverage map shows them) with a warning naming both features and the shared area, which
// PostGIS measures independently here.
func TestPlacesWarnOfOverlappingLeadZones(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	for _, u := range []store.Unit{{Code: "A1", Name: "甲", Kind: "town"}, {Code: "B1", Name: "乙", Kind: "town"}} {
		if _, err := svc.CreateUnit(ctx, store.Actor{Name: "test"}, u); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "overlap.geojson")
	gj := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"name":"甲区","unit":"A1"},"geometry":{"type":"Polygon","coordinates":[[[116.30,40.00],[116.32,40.00],[116.32,40.01],[116.30,40.01],[116.30,40.00]]]}},
		{"type":"Feature","properties":{"name":"乙区","unit":"B1"},"geometry":{"type":"Polygon","coordinates":[[[116.31,40.00],[116.33,40.00],[116.33,40.01],[116.31,40.01],[116.31,40.00]]]}}]}`
	if err := os.WriteFile(path, []byte(gj), 0o644); err != nil {
		t.Fatal(err)
	}
	var shared float64
	if err := svc.Store.DB().QueryRow(ctx, `SELECT ST_Area(ST_MakeEnvelope(116.31, 40.00, 116.32, 40.01, 4326)::geography)`).Scan(&shared); err != nil {
		t.Fatal(err)
	}
	res, sum, err := Places(ctx, svc, path, "zone", PlaceOptions{})
	if err != nil || res.Zones.Inserted != 2 {
		t.Fatalf("%+v, %v; want both zones imported", res, err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "feature 1 (甲区) and feature 2 (乙区)") ||
		!strings.Contains(sum.Warnings[0], fmt.Sprintf("%.0f m²", shared)) {
		t.Errorf("warnings %q, want one naming both features and %.0f m²", sum.Warnings, shared)
	}
}

func countRows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPlacesImportUnitsWithTheirTerritory imports a GBK shapefile of units (code, name, kind in Chinese, duty person
// and phone) with --territory: the units land with every attribute and each its polygon as its lead zone; a second
// import changes nothing; an edited file updates exactly the unit that changed.
func TestPlacesImportUnitsWithTheirTerritory(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		ci.Missing(t, "ogr2ogr (gdal-bin) is needed to build the fixtures: %v", err)
		return
	}
	svc := newService(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := [4]float64{116.33, 40.0, 116.36, 40.02}
	kinds := []string{"社区", "乡镇/街道", "部门", "队伍"}
	wantKinds := []string{"community", "town", "department", "team"}
	props := func(i int) map[string]any {
		return map[string]any{"code": fmt.Sprintf("U%02d", i+1), "name": fmt.Sprintf("第%d单位", i+1), "kind": kinds[i],
			"contact": fmt.Sprintf("张%d", i+1), "phone": fmt.Sprintf("1380000000%d", i+1)}
	}
	zoneGrid(t, filepath.Join(dir, "units.geojson"), b, 2, 2, props)
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", "units.shp", "units.geojson")
	opt := PlaceOptions{ImportOptions: domain.ImportOptions{Territory: true}}
	res, _, err := Places(ctx, svc, filepath.Join(dir, "units.shp"), "unit", opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Units.Inserted != 4 || res.Zones.Inserted != 4 {
		t.Fatalf("wrote %+v", res)
	}
	for i := range kinds {
		p := props(i)
		u, err := svc.Store.UnitByCode(ctx, p["code"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != p["name"] || u.Kind != wantKinds[i] || u.ContactPerson != p["contact"] || u.Phone != p["phone"] {
			t.Errorf("unit %s = %+v, want %v", u.Code, u, p)
		}
		var n int
		if err := svc.Store.DB().QueryRow(ctx, `SELECT count(*) FROM zones WHERE unit_id = $1 AND role = 'lead' AND name = $2`, u.ID, u.Name).Scan(&n); err != nil || n != 1 {
			t.Errorf("unit %s has %d lead zones named after it (%v)", u.Code, n, err)
		}
	}
	units0, zones0 := tableState(t, svc.Store, "units"), tableState(t, svc.Store, "zones")
	again, _, err := Places(ctx, svc, filepath.Join(dir, "units.shp"), "unit", opt)
	if err != nil || again.Units != (domain.ImportCount{Unchanged: 4}) || again.Zones != (domain.ImportCount{Unchanged: 4}) {
		t.Fatalf("importing again: %+v, %v", again, err)
	}
	if u, z := tableState(t, svc.Store, "units"), tableState(t, svc.Store, "zones"); u != units0 || z != zones0 {
		t.Errorf("importing again changed rows: units %s→%s, zones %s→%s", units0, u, zones0, z)
	}
	// The county changes one duty phone.
	zoneGrid(t, filepath.Join(dir, "units.geojson"), b, 2, 2, func(i int) map[string]any {
		p := props(i)
		if i == 1 {
			p["phone"] = "13999999999"
		}
		return p
	})
	edited, _, err := Places(ctx, svc, filepath.Join(dir, "units.geojson"), "unit", PlaceOptions{})
	if err != nil || edited.Units != (domain.ImportCount{Updated: 1, Unchanged: 3}) {
		t.Fatalf("edited file: %+v, %v; want one unit updated", edited.Units, err)
	}
	if u, err := svc.Store.UnitByCode(ctx, "U02"); err != nil || u.Phone != "13999999999" {
		t.Errorf("U02 = %+v, %v; want the new phone", u, err)
	}
}

// TestPlacesRoleFieldAndOneUnit: a file naming each zone's role in Chinese (牵头/配合) lands with those roles under
// the one unit --unit gives, and a role that is neither is refused naming its feature.
func TestPlacesRoleFieldAndOneUnit(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateUnit(ctx, store.Actor{Name: "test"}, store.Unit{Code: "C1", Name: "丙", Kind: "team"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	roles := []string{"牵头", "配合", "牵头"}
	zoneGrid(t, filepath.Join(dir, "roles.geojson"), [4]float64{116.3, 40.0, 116.33, 40.01}, 1, 3, func(i int) map[string]any {
		return map[string]any{"name": fmt.Sprintf("区%d", i+1), "职责": roles[i]}
	})
	opt := PlaceOptions{ImportOptions: domain.ImportOptions{Unit: "丙", RoleField: "职责"}}
	if _, _, err := Places(ctx, svc, filepath.Join(dir, "roles.geojson"), "zone", opt); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, err := svc.Store.DB().Query(ctx, `SELECT z.name, z.role || '/' || u.code FROM zones z JOIN units u ON u.id = z.unit_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, r string
		if err := rows.Scan(&n, &r); err != nil {
			t.Fatal(err)
		}
		got[n] = r
	}
	rows.Close()
	if want := map[string]string{"区1": "lead/C1", "区2": "support/C1", "区3": "lead/C1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("zones %v, want %v", got, want)
	}
	roles[1] = "主管"
	zoneGrid(t, filepath.Join(dir, "badrole.geojson"), [4]float64{116.3, 40.0, 116.33, 40.01}, 1, 3, func(i int) map[string]any {
		return map[string]any{"name": fmt.Sprintf("坏区%d", i+1), "职责": roles[i]}
	})
	if _, _, err := Places(ctx, svc, filepath.Join(dir, "badrole.geojson"), "zone", opt); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `feature 2 (坏区2): role "主管"`) {
		t.Errorf("err = %v, want the role of feature 2 refused", err)
	}
}
