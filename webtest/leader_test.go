package webtest

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
)

// fileReport files a report at a spot through the API, as an inspector would from the phone.
func (s *site) fileReport(user string, sp spot, category, description string) report {
	s.T.Helper()
	res := s.Do(user, "POST", "/api/v1/reports", map[string]any{
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{sp.Lon, sp.Lat}},
		"category": category, "description": description, "urgency": "normal",
	}, "Idempotency-Key", fmt.Sprintf("webtest-%d", time.Now().UnixNano()))
	if res.Status != 201 {
		s.T.Fatalf("file a report: %d %s", res.Status, res.Body)
	}
	var created struct {
		Report report `json:"report"`
	}
	res.Decode(s.T, &created)
	return created.Report
}

// transition takes a workflow action on a report through the API.
func (s *site) transition(user string, id int64, body map[string]any) {
	s.T.Helper()
	res := s.Do(user, "POST", fmt.Sprintf("/api/v1/reports/%d/transitions", id), body)
	if res.Status != 200 && res.Status != 201 {
		s.T.Fatalf("%v on report %d: %d %s", body["action"], id, res.Status, res.Body)
	}
}

// uploadPhoto attaches a JPEG to a report and returns the photo id.
func (s *site) uploadPhoto(user string, id int64, path string) int64 {
	s.T.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		s.T.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "after.jpg")
	fw.Write(b)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/reports/%d/photos", s.URL, id), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.Tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 && res.StatusCode != 200 {
		s.T.Fatalf("upload photo: %d %s", res.StatusCode, out)
	}
	r := testapp.Response{Status: res.StatusCode, Body: out}
	var ph struct {
		ID int64 `json:"id"`
	}
	r.Decode(s.T, &ph)
	return ph.ID
}

// TestLeaderSeesHeatAndRanking: with problems filed across the town (some closed), a leader sees them on
// the heat map, the units ranked and the trend chart drawn.
func TestLeaderSeesHeatAndRanking(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("inspector_j4a", "inspector", "")
	s.user("inspector_j4b", "inspector", "")
	s.user("leader_j4", "leader", "")
	cat := eventCategory(s, "inspector_j4a")
	spots := coveredSpots(s, "inspector_j4a", 40)
	byUnit := map[int64][]spot{}
	top := spots[0].UnitID
	for _, sp := range spots {
		byUnit[sp.UnitID] = append(byUnit[sp.UnitID], sp)
		if len(byUnit[sp.UnitID]) > len(byUnit[top]) {
			top = sp.UnitID
		}
	}
	// Six problems for the unit with most spots (enough to be ranked), three of them closed; one for
	// each other unit.
	staff := "staff_j4"
	s.user(staff, "unit_staff", byUnit[top][0].UnitCode)
	photo := afterPhoto(t)
	filed := 0
	for i := range 6 {
		sp := byUnit[top][i%len(byUnit[top])]
		r := s.fileReport("inspector_j4a", sp, cat, fmt.Sprintf("问题 %d", i))
		filed++
		if i < 3 {
			s.transition(staff, r.ID, map[string]any{"action": "accept"})
			ph := s.uploadPhoto(staff, r.ID, photo)
			s.transition(staff, r.ID, map[string]any{"action": "resolve", "photo_id": ph, "note": "已清理"})
			s.transition("inspector_j4b", r.ID, map[string]any{"action": "verify"})
		}
	}
	for u, sps := range byUnit {
		if u != top {
			s.fileReport("inspector_j4a", sps[0], cat, "其他单位的问题")
			filed++
		}
	}
	t.Logf("filed %d reports (%d units)", filed, len(byUnit))

	p := newPage(t, s.URL, 1280, 800, false)
	p.signIn("leader_j4", testapp.Password, "leader")
	p.waitJS("heat points", `+(document.querySelector('#heat-count')?.dataset.n || 0) > 0`, 20*time.Second)
	p.waitJS("the heat layer", `!!document.querySelector('canvas#heat-layer')`, 10*time.Second)
	p.waitJS("the ranking", `document.querySelectorAll('#ranking tbody tr').length > 0`, 20*time.Second)
	p.waitJS("the trend chart", `!!document.querySelector('svg#trend-chart polyline')`, 20*time.Second)
	p.waitJS("the network drawn", `!!document.querySelector('#map[data-loaded]')`, 20*time.Second)
	// The heat canvas has painted pixels (leaflet.heat draws asynchronously after setLatLngs).
	p.waitJS("heat painted", `(() => {
		const c = document.querySelector('canvas#heat-layer'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
		return n > 100;
	})()`, 10*time.Second)

	points := eval[int](p, `+document.querySelector('#heat-count').dataset.n`)
	if points == 0 || points > filed {
		t.Errorf("the heat map shows %d points; %d problems were filed", points, filed)
	}
	ranked := eval[[]string](p, `[...document.querySelectorAll('#ranking tbody tr:not(.too-few)')].map((tr) => tr.dataset.unitId)`)
	if len(ranked) == 0 || ranked[0] != fmt.Sprint(top) {
		t.Errorf("ranked units %v; want unit %d (six problems, three closed) ranked first", ranked, top)
	}
	rows := eval[int](p, `document.querySelectorAll('#ranking tbody tr').length`)
	t.Logf("heat points %d, ranking rows %d (ranked %v)", points, rows, ranked)
	p.screenshot("leader")
	p.do("scroll to the trend", chromedp.ScrollIntoView("#trend"))
	p.screenshot("leader-trend")

	// The weekly briefing (通报) renders in the browser with the same real numbers: the session cookie set at
	// sign-in authenticates the GET; the page has its own stylesheet, no script and an SVG map.
	var unit struct {
		Name string `json:"name"`
	}
	s.get("leader_j4", fmt.Sprintf("/api/v1/units/%d", top), &unit)
	p.do("open the briefing", chromedp.Navigate(s.URL+"/api/v1/briefing"), chromedp.WaitVisible("h1"))
	p.waitJS("the briefing's ranking and map", `document.querySelectorAll('table tr').length > 1 && !!document.querySelector('svg')`, 20*time.Second)
	text := eval[string](p, `document.body.innerText`)
	for _, want := range []string{"文明城市创建工作通报", "责任单位综合评价排名", unit.Name, fmt.Sprint(filed)} {
		if !strings.Contains(text, want) {
			t.Errorf("the briefing does not show %q", want)
		}
	}
	if styled := eval[bool](p, `getComputedStyle(document.querySelector('h2')).borderBottomStyle === 'solid'`); !styled {
		t.Error("the briefing's stylesheet did not apply (CSP or path)")
	}
	p.screenshot("briefing")
}
