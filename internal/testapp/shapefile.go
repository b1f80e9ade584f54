package testapp

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"everymeter/internal/ci"
)

// ShapefileZip converts a GeoJSON FeatureCollection with ogr2ogr into a shapefile in srs (e.g. EPSG:4548, as a
// county's GIS office keeps its files) named stem, and returns the zip of its parts a planner would upload. ok is
// false (and the test marked by ci.Missing) where ogr2ogr is not installed. leaveOut names parts to leave out of
// the zip (".prj": a file as counties often send it, with no coordinate system).
func ShapefileZip(t testing.TB, geojson []byte, srs, stem string, leaveOut ...string) (data []byte, ok bool) {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		ci.Missing(t, "ogr2ogr (gdal-bin) is needed to build the shapefile: %v", err)
		return nil, false
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.geojson"), geojson, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", srs, "-lco", "ENCODING=UTF-8", stem+".shp", "in.geojson")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		if slices.Contains(leaveOut, ext) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, stem+ext))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(stem + ext)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), true
}
