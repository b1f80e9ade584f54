package importer

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"everymeter/internal/ci"
	"everymeter/internal/shared"
)

// ogr2ogrFixture runs ogr2ogr with args in dir (the fixtures are made by GDAL, as a county's GIS office makes them).
func ogr2ogrFixture(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("ogr2ogr", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
	}
}

// TestFileImportsTheCountysOwnData imports the streets of the shared Beijing extract as a county's GIS office would
// hand them over — a shapefile in CGCS2000 / 3-degree Gauss–Krüger CM 117E (EPSG:4548), one without .prj, one with
// GBK attribute text and no .cpg, a GeoPackage in UTM 50N and a GeoJSON file in Web Mercator — and checks that every
// street lands with its name and a length within 0.1% of the WGS84 original's, measured by PostGIS on the
// original's own GeoJSON (ST_Length of the geography). A projected file without .prj is refused, naming --srs, and
// writes nothing; importing a file again changes nothing.
func TestFileImportsTheCountysOwnData(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		ci.Missing(t, "ogr2ogr (gdal-bin) is needed to build the fixtures: %v", err)
		return
	}
	osmFile := shared.Path(t, "osm/beijing-haidian-cau-2026.osm")
	dir := t.TempDir()
	ogr2ogrFixture(t, dir, "-f", "GeoJSON", "original.geojson", osmFile, "lines",
		"-where", "highway IS NOT NULL", "-select", "osm_id,name,highway")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4548", "-lco", "ENCODING=UTF-8", "gk.shp", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4326", "-lco", "ENCODING=UTF-8", "noprj.shp", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4490", "-lco", "ENCODING=GBK", "gbk.shp", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "GPKG", "-t_srs", "EPSG:32650", "-nln", "roads", "utm.gpkg", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "GeoJSON", "-t_srs", "EPSG:3857", "mercator.geojson", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4548", "-lco", "ENCODING=UTF-8", "gknoprj.shp", "original.geojson")
	ogr2ogrFixture(t, dir, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4548", "-lco", "ENCODING=UTF-8", "refused.shp", "original.geojson")
	for _, p := range []string{"noprj.prj", "gknoprj.prj", "refused.prj", "gbk.cpg"} {
		if err := os.Remove(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if gbk, err := os.ReadFile(filepath.Join(dir, "gbk.dbf")); err != nil || !bytes.Contains(gbk, []byte{0xd1, 0xa7, 0xc7, 0xe5}) { // 学清 in GBK
		t.Fatalf("the GBK fixture does not hold GBK text (%v)", err)
	}

	svc := newService(t)
	ctx := context.Background()
	// The oracle: each original street's name and geodesic length, by PostGIS from the original GeoJSON.
	orig, err := os.ReadFile(filepath.Join(dir, "original.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	type street struct {
		name   string
		length float64
	}
	want := map[string]street{}
	rows, err := svc.Store.DB().Query(ctx, `SELECT f->'properties'->>'osm_id', COALESCE(f->'properties'->>'name', ''),
			ST_Length(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)::geography)
		FROM jsonb_array_elements($1::jsonb->'features') f`, string(orig))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var s street
		if err := rows.Scan(&id, &s.name, &s.length); err != nil {
			t.Fatal(err)
		}
		want[id] = s
	}
	rows.Close()
	if len(want) < 100 {
		t.Fatalf("the original holds %d streets; the extract should have hundreds", len(want))
	}

	for _, c := range []struct {
		file string
		opt  FileOptions
		warn string // a warning the import must give ("" none)
	}{
		{"gk.shp", FileOptions{Kind: "road"}, ""},
		{"noprj.shp", FileOptions{Kind: "road"}, "read as WGS84"},
		{"gbk.shp", FileOptions{Kind: "alley"}, "read as GB18030"},
		{"utm.gpkg", FileOptions{Kind: "road", NameField: "name"}, ""},
		{"mercator.geojson", FileOptions{Kind: "road"}, ""},
		{"gknoprj.shp", FileOptions{Kind: "road", SRS: "EPSG:4548"}, ""},
	} {
		t.Run(c.file, func(t *testing.T) {
			var warn strings.Builder
			c.opt.Warn = &warn
			res, err := File(ctx, svc, filepath.Join(dir, c.file), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Kind(c.opt.Kind); got.Inserted != len(want) {
				t.Fatalf("inserted %d of %d streets (%+v, skipped %+v)", got.Inserted, len(want), got, res.Skipped)
			}
			if c.warn != "" && !strings.Contains(warn.String(), c.warn) {
				t.Errorf("warnings %q, want one saying %q", warn.String(), c.warn)
			}
			rows, err := svc.Store.DB().Query(ctx, `SELECT attributes->>'osm_id', name, length_m FROM assets WHERE source = $1`, res.Source)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n, worst := 0, 0.0
			for rows.Next() {
				var id, name string
				var length float64
				if err := rows.Scan(&id, &name, &length); err != nil {
					t.Fatal(err)
				}
				w, ok := want[id]
				if !ok {
					t.Fatalf("asset with osm_id %q is not in the original", id)
				}
				n++
				if name != w.name {
					t.Errorf("osm_id %s: name %q, want %q", id, name, w.name)
				}
				if d := math.Abs(length-w.length) / w.length; d > worst {
					worst = d
				}
				if math.Abs(length-w.length) > 0.001*w.length {
					t.Errorf("osm_id %s: %.3f m, want %.3f m (±0.1%%)", id, length, w.length)
				}
			}
			if n != len(want) {
				t.Fatalf("%d assets from %s, want %d", n, c.file, len(want))
			}
			t.Logf("%s: %d streets, worst length difference %.5f%%", c.file, n, 100*worst)
			again, err := File(ctx, svc, filepath.Join(dir, c.file), c.opt)
			if k := again.Kind(c.opt.Kind); err != nil || k.Inserted != 0 || k.Updated != 0 || k.Unchanged != len(want) {
				t.Fatalf("importing %s again: %+v, %v; want every street unchanged", c.file, k, err)
			}
		})
	}

	t.Run("projected without .prj is refused", func(t *testing.T) {
		res, err := File(ctx, svc, filepath.Join(dir, "refused.shp"), FileOptions{Kind: "road"})
		if !errors.Is(err, ErrNoSRS) || !strings.Contains(err.Error(), "--srs EPSG:") {
			t.Fatalf("err = %v, want ErrNoSRS naming --srs", err)
		}
		if n, err := svc.Store.CountAssetsBySource(ctx, res.Source); err != nil || n != 0 {
			t.Fatalf("a refused file wrote %d assets (%v)", n, err)
		}
	})
}
