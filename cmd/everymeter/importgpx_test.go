package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportGPX records a GPX file as an inspector's patrol from the command line, refuses a waypoints-only
// file with the reason, and records nothing twice.
func TestImportGPX(t *testing.T) {
	bin := binary(t)
	env := []string{"DATABASE_URL=" + emptyDatabase(t)}
	if out, err := run(t, bin, env, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, err := run(t, bin, env, "s3cret-pass\n", "user", "add", "walker", "--role", "inspector", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	dir := t.TempDir()
	street := filepath.Join(dir, "street.geojson")
	os.WriteFile(street, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"试验路"},
		"geometry":{"type":"LineString","coordinates":[[114.3,35.7],[114.304,35.7]]}}]}`), 0o644)
	if out, err := run(t, bin, env, "", "import", "geojson", street, "--kind", "road", "--quiet"); err != nil {
		t.Fatalf("import geojson: %v\n%s", err, out)
	}
	var b strings.Builder
	b.WriteString(`<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><trk><trkseg>`)
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i <= 120; i++ { // 362 m at 1.5 m/s, a fix every 2 s
		fmt.Fprintf(&b, `<trkpt lat="35.70002" lon="%.6f"><time>%s</time></trkpt>`, 114.3+float64(i)*0.004/120, start.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339))
	}
	b.WriteString(`</trkseg></trk></gpx>`)
	walk := filepath.Join(dir, "walk.gpx")
	os.WriteFile(walk, []byte(b.String()), 0o644)
	wpts := filepath.Join(dir, "places.gpx")
	os.WriteFile(wpts, []byte(`<gpx version="1.1"><wpt lat="35.7" lon="114.3"/></gpx>`), 0o644)

	out, err := run(t, bin, env, "", "import", "gpx", walk, wpts, "--user", "walker")
	if err == nil || !strings.Contains(out, "1 of 2 files refused") || !strings.Contains(out, "waypoints") {
		t.Fatalf("import gpx: err %v\n%s", err, out)
	}
	var matched float64
	var assets int
	if _, err := fmt.Sscanf(out[strings.Index(out, "kept), ")+len("kept), "):], "%f m on %d assets", &matched, &assets); err != nil || assets != 1 || matched < 340 || matched > 362 {
		t.Fatalf("matched %.0f m on %d assets (%v), want the street's ~360 m:\n%s", matched, assets, err, out)
	}
	out, err = run(t, bin, env, "", "import", "gpx", walk, "--user", "walker", "--quiet")
	if err != nil || !strings.Contains(out, "already recorded") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
}
