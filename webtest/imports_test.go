package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
)

// TestPlannerImportsZoneShapefile: a planner of the demo county uploads a zipped Gauss–Krüger shapefile (made in the
// test with ogr2ogr) of four zones over the town's network, all of one unit; the preview draws the four zones, the
// summary lists no problem, and after the confirmation the zones are in the database and the coverage panel shows
// the new figure the API computes.
func TestPlannerImportsZoneShapefile(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("planner_imp", "planner", "")
	ctx := t.Context()
	var b [4]float64
	if err := s.Store.DB().QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM assets) x`).
		Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		t.Fatal(err)
	}
	var code string
	if err := s.Store.DB().QueryRow(ctx, `SELECT code FROM units ORDER BY code LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	// Four cells covering the network's extent, a little wider, in EPSG:4548 as a county's GIS office keeps them.
	var feats []map[string]any
	dx, dy := (b[2]-b[0])/2+0.001, (b[3]-b[1])/2+0.001
	for i := 0; i < 4; i++ {
		x0, y0 := b[0]-0.001+float64(i%2)*dx, b[1]-0.001+float64(i/2)*dy
		feats = append(feats, map[string]any{"type": "Feature", "properties": map[string]any{"name": fmt.Sprintf("导入网格%d", i+1), "unit": code},
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{x0, y0}, {x0 + dx, y0}, {x0 + dx, y0 + dy}, {x0, y0 + dy}, {x0, y0}}}}})
	}
	gj, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	data, ok := testapp.ShapefileZip(t, gj, "EPSG:4548", "网格")
	if !ok {
		return
	}
	bare, _ := testapp.ShapefileZip(t, gj, "EPSG:4548", "网格", ".prj") // the same without its .prj
	zipPath, barePath := filepath.Join(t.TempDir(), "zones.zip"), filepath.Join(t.TempDir(), "zones-noprj.zip")
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(barePath, bare, 0o644); err != nil {
		t.Fatal(err)
	}
	zones := func() int {
		var n int
		if err := s.Store.DB().QueryRow(ctx, `SELECT count(*) FROM zones z JOIN zone_sources s ON s.zone_id = z.id`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	p := newPage(t, s.URL, 1280, 900, false)
	p.signIn("planner_imp", testapp.Password, "planner")
	p.waitJS("the percent covered", `!!document.querySelector('#coverage-percent[data-value]')`, 20*time.Second)
	p0 := eval[float64](p, `+document.querySelector('#coverage-percent').dataset.value`)
	// Without its .prj the file is refused, in Chinese, naming the coordinate-system field; with the field filled
	// in, the same file previews all four cells (then the planner cancels and sends the file with its .prj).
	p.do("choose the zip without .prj", chromedp.SetUploadFiles("#import-file", []string{barePath}, chromedp.NodeReady))
	p.do("upload it", chromedp.ScrollIntoView("#import-preview"), click("#import-preview"))
	p.waitJS("the refusal", `(document.getElementById('toast')?.textContent || '').includes('没有坐标系')`, 20*time.Second)
	if msg := eval[string](p, `document.getElementById('toast').textContent`); !strings.Contains(msg, "“坐标系”一栏") {
		t.Errorf("the refusal says %q; want it to name the 坐标系 field", msg)
	}
	p.do("name the coordinate system", chromedp.SendKeys("#import-srs", "EPSG:4548", chromedp.NodeReady))
	p.do("upload it again", click("#import-preview"))
	p.waitJS("the preview drawn with the srs", `+document.querySelector('#import-summary').dataset.drawn === 4`, 20*time.Second)
	p.do("cancel", click("#import-cancel"))
	if !eval[bool](p, `(() => { const el = document.querySelector('#import-srs'); el.value = ''; return el.value === ''; })()`) {
		t.Fatal("could not clear the coordinate system field")
	}
	if n := zones(); n != 0 {
		t.Fatalf("previews wrote %d zones", n)
	}
	p.do("choose the shapefile zip", chromedp.SetUploadFiles("#import-file", []string{zipPath}, chromedp.NodeReady))
	p.do("upload and preview", chromedp.ScrollIntoView("#import-preview"), click("#import-preview"))
	p.waitJS("the preview drawn", `+document.querySelector('#import-summary').dataset.drawn === 4`, 20*time.Second)
	if n := eval[int](p, `document.querySelectorAll('#import-errors li[data-index]').length`); n != 0 {
		t.Errorf("the preview lists %d problems", n)
	}
	if txt := eval[string](p, `document.querySelector('#import-counts').textContent`); !bytes.Contains([]byte(txt), []byte("4")) {
		t.Errorf("summary %q", txt)
	}
	p.screenshot("planner-import-preview")
	if n := zones(); n != 0 {
		t.Fatalf("the preview wrote %d zones", n)
	}
	p.do("confirm", click("#import-confirm"))
	p.waitJS("the coverage panel to change", fmt.Sprintf(`+document.querySelector('#coverage-percent').dataset.value !== %v`, p0), 30*time.Second)
	if n := zones(); n != 4 {
		t.Fatalf("%d imported zones in the database, want 4", n)
	}
	var after struct {
		Percent float64 `json:"percent"`
	}
	s.get("planner_imp", "/api/v1/coverage", &after)
	p1 := eval[float64](p, `+document.querySelector('#coverage-percent').dataset.value`)
	if p1 != after.Percent || !(p1 > p0) {
		t.Errorf("the panel shows %.3f%% (was %.3f%%); the API says %.3f%%", p1, p0, after.Percent)
	}
	t.Logf("percent covered %.3f%% → %.3f%%", p0, p1)
	p.screenshot("planner-import-confirmed")
}
