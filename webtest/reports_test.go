package webtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
	"everymeter/vocab"
)

// spot is a point on a covered road and the unit that owns it.
type spot struct {
	Lon, Lat  float64
	AssetName string
	UnitID    int64
	UnitCode  string
	UnitName  string
}

// coveredSpot finds the middle of a long road piece with exactly one lead unit, confirmed by the owner
// lookup (so the point is not near a crossing another unit owns).
func coveredSpot(s *site, user string) spot {
	s.T.Helper()
	return coveredSpots(s, user, 1)[0]
}

// coveredSpots finds up to n such spots, on different road pieces.
func coveredSpots(s *site, user string, n int) []spot {
	s.T.Helper()
	var segs struct {
		Features []struct {
			Geometry struct {
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Kind    string  `json:"kind"`
				Status  string  `json:"status"`
				LengthM float64 `json:"length_m"`
				UnitIDs []int64 `json:"unit_ids"`
			} `json:"properties"`
		} `json:"features"`
	}
	s.get(user, "/api/v1/coverage/segments?kind=road", &segs)
	var units struct {
		Items []struct {
			ID   int64  `json:"id"`
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"items"`
	}
	s.get(user, "/api/v1/units", &units)
	var out []spot
	for _, f := range segs.Features {
		p, c := f.Properties, f.Geometry.Coordinates
		if p.Status != "covered" || len(p.UnitIDs) != 1 || p.LengthM < 120 || len(c) < 2 {
			continue
		}
		lon, lat := midpoint(c)
		var o struct {
			Asset struct {
				Name string `json:"name"`
			} `json:"asset"`
			Units []struct {
				ID int64 `json:"id"`
			} `json:"units"`
			Ambiguous bool    `json:"ambiguous"`
			DistanceM float64 `json:"distance_m"`
		}
		s.get(user, fmt.Sprintf("/api/v1/owner?lon=%.7f&lat=%.7f", lon, lat), &o)
		if o.Ambiguous || len(o.Units) != 1 || o.Units[0].ID != p.UnitIDs[0] || o.DistanceM > 1 {
			continue
		}
		for _, u := range units.Items {
			if u.ID == o.Units[0].ID {
				out = append(out, spot{Lon: lon, Lat: lat, AssetName: o.Asset.Name, UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name})
			}
		}
		if len(out) == n {
			return out
		}
	}
	if len(out) == 0 {
		s.T.Fatal("no covered road spot with a single owner in the demo town")
	}
	return out
}

// midpoint is the point halfway along a line (planar in degrees: fine over a hundred meters).
func midpoint(c [][]float64) (lon, lat float64) {
	total := 0.0
	for i := 1; i < len(c); i++ {
		total += math.Hypot(c[i][0]-c[i-1][0], c[i][1]-c[i-1][1])
	}
	half := total / 2
	for i := 1; i < len(c); i++ {
		d := math.Hypot(c[i][0]-c[i-1][0], c[i][1]-c[i-1][1])
		if d >= half && d > 0 {
			f := half / d
			return c[i-1][0] + f*(c[i][0]-c[i-1][0]), c[i-1][1] + f*(c[i][1]-c[i-1][1])
		}
		half -= d
	}
	return c[0][0], c[0][1]
}

// eventCategory is an active 事件 (event) category: its report goes to whoever owns the pinned spot
// (a 部件 category would go by the asset, a spot without owner to the category's default unit).
func eventCategory(s *site, user string) string {
	s.T.Helper()
	var cats struct {
		Items []struct {
			Code   string `json:"code"`
			Type   string `json:"type"`
			Active *bool  `json:"active"`
		} `json:"items"`
	}
	s.get(user, "/api/v1/categories", &cats)
	for _, c := range cats.Items {
		if c.Type == "event" && (c.Active == nil || *c.Active) {
			return c.Code
		}
	}
	s.T.Fatal("no active event category")
	return ""
}

// report is the part of a report the journeys check.
type report struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	UnitID *int64 `json:"unit_id"`
}

// getReport reads a report through the API.
func (s *site) getReport(user string, id int64) report {
	s.T.Helper()
	var r struct {
		report
		Properties *report `json:"properties"` // in case the answer is a Feature
	}
	s.get(user, fmt.Sprintf("/api/v1/reports/%d", id), &r)
	if r.Properties != nil && r.Properties.ID != 0 {
		return *r.Properties
	}
	return r.report
}

// centerOn waits for the first view of the network, then moves the map to a point at zoom 18.
func (p *page) centerOn(lon, lat float64) {
	p.t.Helper()
	p.waitJS("the network drawn", `!!document.querySelector('#map[data-loaded]')`, 20*time.Second)
	eval[bool](p, fmt.Sprintf(`new Promise((done) => {
		const m = window.everymeterMap;
		m.once('moveend', () => setTimeout(() => done(true), 400));
		m.setView([%f, %f], 18, { animate: false });
	})`, lat, lon))
}

// pagePoint is where a [lon, lat] point is on the page, in CSS pixels.
func (p *page) pagePoint(lon, lat float64) (x, y float64) {
	p.t.Helper()
	xy := eval[[2]float64](p, fmt.Sprintf(`(() => {
		const m = window.everymeterMap, r = m.getContainer().getBoundingClientRect();
		const q = m.latLngToContainerPoint([%f, %f]);
		return [q.x + r.left, q.y + r.top];
	})()`, lat, lon))
	return xy[0], xy[1]
}

// TestInspectorPinsProblemToUnitQueue: an inspector on a 375 px phone taps a covered road, sees who owns
// the spot and why, files a report with a category, a note and a photo; the owning unit's staff find it in
// their queue.
func TestInspectorPinsProblemToUnitQueue(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("inspector_j2", "inspector", "")
	sp := coveredSpot(s, "inspector_j2")
	s.user("staff_j2", "unit_staff", sp.UnitCode)
	cat := eventCategory(s, "inspector_j2")
	t.Logf("spot %.6f,%.6f on %q, owned by %s (%d); category %s", sp.Lon, sp.Lat, sp.AssetName, sp.UnitName, sp.UnitID, cat)

	p := newPage(t, s.URL, 375, 812, true)
	p.signIn("inspector_j2", testapp.Password, "inspector")
	p.centerOn(sp.Lon, sp.Lat)
	x, y := p.pagePoint(sp.Lon, sp.Lat)
	p.do("tap the road", chromedp.TapXY(x, y))
	p.waitJS("who owns the spot and why", `(document.querySelector('#owner-reason')?.textContent || '').trim() !== ''`, 15*time.Second)
	owner := eval[string](p, `document.querySelector('#owner-units').textContent`)
	if owner != sp.UnitName {
		t.Errorf("the sheet names %q as owner; the spot belongs to %q", owner, sp.UnitName)
	}
	note := "人行道破损，有积水 " + t.Name()
	p.do("fill the report",
		chromedp.SetValue("#report-category", cat),
		sendKeys("#report-note", note),
		chromedp.SetUploadFiles("#report-photo", []string{afterPhoto(t)}, chromedp.NodeReady))
	p.screenshot("inspector-phone")
	p.do("submit", click("#report-submit"))
	p.waitJS("the sheet to close after sending", `document.querySelector('#sheet').hidden`, 15*time.Second)

	var mine struct {
		Features []struct {
			Properties struct {
				ID          int64  `json:"id"`
				Description string `json:"description"`
				UnitID      *int64 `json:"unit_id"`
				Status      string `json:"status"`
			} `json:"properties"`
		} `json:"features"`
	}
	s.get("inspector_j2", "/api/v1/reports?mine=1", &mine)
	var id int64
	for _, f := range mine.Features {
		if f.Properties.Description == note {
			id = f.Properties.ID
			if f.Properties.UnitID == nil || *f.Properties.UnitID != sp.UnitID {
				t.Errorf("report %d went to unit %v; the spot belongs to unit %d", id, f.Properties.UnitID, sp.UnitID)
			}
		}
	}
	if id == 0 {
		t.Fatalf("the inspector's report is not among their reports (%d found)", len(mine.Features))
	}
	var photos struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	s.get("inspector_j2", fmt.Sprintf("/api/v1/reports/%d/photos", id), &photos)
	if len(photos.Items) != 1 {
		t.Errorf("report %d has %d photos; the inspector attached one", id, len(photos.Items))
	}

	u := newPage(t, s.URL, 1280, 800, false)
	u.signIn("staff_j2", testapp.Password, "unit")
	row := fmt.Sprintf(`#queue li[data-report-id="%d"]`, id)
	u.waitJS("the report in the unit's queue", fmt.Sprintf(`!!document.querySelector('%s')`, row), 20*time.Second)
	if light := eval[string](u, fmt.Sprintf(`document.querySelector('%s').dataset.light`, row)); light == "" {
		t.Errorf("the queue row has no traffic light")
	}
	u.screenshot("unit")
}

// TestUnitResolvesInspectorVerifies: unit staff accept a report and resolve it with an after photo; an
// inspector who did not file it verifies it on the phone, and the report is closed.
func TestUnitResolvesInspectorVerifies(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("inspector_j3a", "inspector", "")
	s.user("inspector_j3b", "inspector", "")
	sp := coveredSpot(s, "inspector_j3a")
	s.user("staff_j3", "unit_staff", sp.UnitCode)
	created := s.fileReport("inspector_j3a", sp, eventCategory(s, "inspector_j3a"), "垃圾堆放 "+t.Name())
	id := created.ID
	if created.Status != "dispatched" {
		t.Fatalf("a report on a covered road is %q, want dispatched", created.Status)
	}

	u := newPage(t, s.URL, 1280, 800, false)
	u.signIn("staff_j3", testapp.Password, "unit")
	row := fmt.Sprintf(`#queue li[data-report-id="%d"]`, id)
	u.waitJS("the report in the queue", fmt.Sprintf(`!!document.querySelector('%s [data-testid=accept-btn]')`, row), 20*time.Second)
	u.do("accept", click(row+` [data-testid=accept-btn]`))
	u.waitJS("the report accepted", fmt.Sprintf(`!!document.querySelector('%s [data-testid=resolve-btn]')`, row), 15*time.Second)
	if st := s.getReport("staff_j3", id).Status; st != "accepted" {
		t.Errorf("after accept the report is %q", st)
	}
	// The buttons are the server's actions for this user (accept is no longer one), the badge vocab's label.
	accept := eval[bool](u, fmt.Sprintf(`!!document.querySelector('%s [data-testid=accept-btn]')`, row))
	badge := eval[string](u, fmt.Sprintf(`document.querySelector('%s .badge').textContent`, row))
	if accept || badge != vocab.Accepted.Label().Zh {
		t.Errorf("accepted row: accept button %v, badge %q; want no accept button and %q", accept, badge, vocab.Accepted.Label().Zh)
	}
	u.do("open the resolve form", click(row+` [data-testid=resolve-btn]`))
	u.do("attach the after photo", chromedp.SetUploadFiles(row+` [data-testid=resolve-photo]`, []string{afterPhoto(t)}, chromedp.NodeReady))
	u.screenshot("unit-resolve")
	u.do("resolve", click(row+` [data-testid=resolve-confirm]`))
	u.waitJS("the report to leave the queue", fmt.Sprintf(`!document.querySelector('%s')`, row), 20*time.Second)
	if st := s.getReport("staff_j3", id).Status; st != "resolved" {
		t.Fatalf("after resolve the report is %q", st)
	}

	p := newPage(t, s.URL, 375, 812, true)
	p.signIn("inspector_j3b", testapp.Password, "inspector")
	p.centerOn(sp.Lon, sp.Lat)
	p.do("list reports to verify", click("#to-verify-btn"))
	item := fmt.Sprintf(`#verify-list li[data-report-id="%d"]`, id)
	p.waitJS("the resolved report in the list", fmt.Sprintf(`!!document.querySelector('%s')`, item), 15*time.Second)
	p.screenshot("inspector-verify")
	p.do("verify", click(item+` [data-testid=verify-btn]`))
	p.waitJS("the report to leave the list", fmt.Sprintf(`!document.querySelector('%s')`, item), 15*time.Second)
	if st := s.getReport("inspector_j3b", id).Status; st != "closed" {
		t.Errorf("after verification the report is %q, want closed", st)
	}
}

// afterPhoto writes a small JPEG (a street-coloured gradient) for the resolve form.
func afterPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			img.Set(x, y, color.RGBA{uint8(90 + x/2), uint8(100 + y), 110, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "after.jpg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
