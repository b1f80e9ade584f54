package webtest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"everymeter/importer"
	"everymeter/internal/testapp"
	"everymeter/static"
)

// TestLiechtensteinDisplay imports the whole Liechtenstein network and records how long the planner view
// takes to draw it in headless Chromium: from the sign-in click, and from a reload of the signed-in page
// (navigation start to the app's 'everymeter:network-drawn' mark). The figures go to the test log and
// <repo>/artifacts/perf.txt; there is no timing assertion, but every piece must be drawn.
func TestLiechtensteinDisplay(t *testing.T) {
	needBrowser(t)
	pbf := sharedData(t, "osm/liechtenstein-2015-07-27.osm.pbf")
	s := newSite(t, false)
	t0 := time.Now()
	res, err := importer.OSM(t.Context(), s.Svc, pbf, importer.Options{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	importTime := time.Since(t0)
	s.user("planner_li", "planner", "")

	var segs struct {
		Features []struct{} `json:"features"`
	}
	s.get("planner_li", "/api/v1/coverage/segments", &segs)
	pieces := len(segs.Features)
	if pieces < 1000 {
		t.Fatalf("Liechtenstein has %d road pieces; want thousands (import: %+v)", pieces, res.Kinds)
	}

	p := newPage(t, s.URL, 1280, 800, false)
	p.do("open the app", navigateAndWait(s.URL, "#login-username"))
	p.do("fill the sign-in form", sendKeys("#login-username", "planner_li"), sendKeys("#login-password", testapp.Password))
	start := time.Now()
	p.do("sign in", click("#login-submit"))
	p.waitJS("the network drawn", `!!document.querySelector('#map[data-loaded]')`, 60*time.Second)
	signIn := time.Since(start)
	drawn := eval[int](p, `+document.querySelector('#map').dataset.loaded`)
	if drawn != pieces {
		t.Errorf("the first draw shows %d road pieces; the network has %d", drawn, pieces)
	}
	p.screenshot("planner-liechtenstein")

	// Reload: the token is in sessionStorage and the view in localStorage, as for a planner who comes back.
	p.do("reload", reload())
	p.waitJS("the network drawn after reload", `performance.getEntriesByName('everymeter:network-drawn').length > 0`, 60*time.Second)
	reloadMs := eval[float64](p, `performance.getEntriesByName('everymeter:network-drawn')[0].startTime`)
	redrawn := eval[int](p, `+document.querySelector('#map').dataset.loaded`)
	for _, r := range eval[[]string](p, `performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/'))
		.map((e) => Math.round(e.startTime) + '+' + Math.round(e.duration) + ' ms ' + Math.round(e.encodedBodySize / 1024) + ' KiB ' + e.name.replace(location.origin, ''))`) {
		t.Logf("request after reload: %s", r)
	}

	js, css, jsGz, cssGz := appSizes(t)
	lines := []string{
		fmt.Sprintf("date: %s  machine: %d cores (GOMAXPROCS), server race detector: %v, headless %s", time.Now().Format(time.RFC3339), runtimeCores(), raceEnabled, strings.TrimSpace(chromiumVersion())),
		fmt.Sprintf("liechtenstein import: %d assets in %s", countAssets(res), importTime.Round(time.Millisecond)),
		fmt.Sprintf("liechtenstein network: %d road pieces; sign-in click to all drawn: %d ms", drawn, signIn.Milliseconds()),
		fmt.Sprintf("liechtenstein network: reload (navigation start) to all drawn: %.0f ms (%d pieces in view)", reloadMs, redrawn),
		fmt.Sprintf("app own assets: JS %d B (gzip %d B), CSS %d B (gzip %d B)", js, jsGz, css, cssGz),
	}
	for _, l := range lines {
		t.Log(l)
	}
	writePerf(t, lines)
}

// appSizes sums the app's own JavaScript and CSS (not the npm vendor files), raw and gzipped.
func appSizes(t *testing.T) (js, css, jsGz, cssGz int) {
	t.Helper()
	err := fs.WalkDir(static.FS, "app", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, path)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		switch filepath.Ext(path) {
		case ".js":
			js += len(b)
			jsGz += buf.Len()
		case ".css":
			css += len(b)
			cssGz += buf.Len()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

// writePerf writes the figures to <repo>/artifacts/perf.txt.
func writePerf(t *testing.T, lines []string) {
	dir := filepath.Join(repoRoot(t), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "perf.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Error(err)
	}
}

func countAssets(r importer.Result) int {
	n := 0
	for _, k := range r.Kinds {
		n += k.Total()
	}
	return n
}
