package ogctest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"everymeter/store"
)

// ogrGeometryName is how ogrinfo names a GeoJSON geometry type.
var ogrGeometryName = map[string]string{
	"Point": "Point", "LineString": "Line String", "Polygon": "Polygon",
	"MultiPoint": "Multi Point", "MultiLineString": "Multi Line String", "MultiPolygon": "Multi Polygon",
}

func gdal(t *testing.T, w *world, name string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package gdal-bin; `make test` installs it): %v", name, err)
	}
	args = append([]string{"--config", "GDAL_HTTP_HEADERS", "X-API-Key: " + w.Key, "--config", "CPL_DEBUG", "OFF"}, args...)
	cmd := exec.CommandContext(t.Context(), bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var featureCountRE = regexp.MustCompile(`Feature Count: (\d+)`)
var geometryRE = regexp.MustCompile(`(?m)^Geometry: (.+)$`)

func summary(t *testing.T, out string) (geom string, count int) {
	t.Helper()
	m := featureCountRE.FindStringSubmatch(out)
	g := geometryRE.FindStringSubmatch(out)
	if m == nil || g == nil {
		t.Fatalf("no geometry or feature count in ogrinfo output:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return strings.TrimSpace(g[1]), n
}

// TestGDALReadsEveryCollection drives GDAL's OGC API – Features driver against the server: it must list
// every collection, see the right geometry type and the database's feature count, and copy every feature
// across pages of 50 into a GeoPackage.
func TestGDALReadsEveryCollection(t *testing.T) {
	w := newWorld(t)
	src := "OAPIF:" + w.URL + "/ogc/"

	list := gdal(t, w, "ogrinfo", "-ro", src)
	for _, col := range store.OGCCollections {
		if !strings.Contains(list, ": "+col.ID+" (") && !strings.Contains(list, ": "+col.ID+"\n") {
			t.Errorf("ogrinfo does not list collection %s:\n%s", col.ID, list)
		}
	}

	for _, col := range store.OGCCollections {
		t.Run(col.ID, func(t *testing.T) {
			want := w.count(t, collectionCounts[col.ID])
			if want == 0 {
				t.Fatalf("the fixture has no %s; the test would prove nothing", col.ID)
			}
			geom, n := summary(t, gdal(t, w, "ogrinfo", "-ro", "-so", src, col.ID))
			if geom != ogrGeometryName[col.GeometryType] {
				t.Errorf("geometry %q, want %q", geom, ogrGeometryName[col.GeometryType])
			}
			if n != want {
				t.Errorf("ogrinfo counts %d features, the database has %d", n, want)
			}
		})
	}

	gpkg := filepath.Join(t.TempDir(), "out.gpkg")
	gdal(t, w, "ogr2ogr", "-f", "GPKG", gpkg, src, "-oo", "PAGE_SIZE=50")
	for _, col := range store.OGCCollections {
		want := w.count(t, collectionCounts[col.ID])
		_, n := summary(t, gdal(t, w, "ogrinfo", "-ro", "-so", gpkg, col.ID))
		if n != want {
			t.Errorf("%s: the GeoPackage has %d features, the database %d (lost across pages?)", col.ID, n, want)
		}
	}
}
