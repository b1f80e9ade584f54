package handlers_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"everymeter/internal/ci"
	"everymeter/internal/testapp"
)

var _ = addPolicy(map[string]string{
	"GET /api/v1/signs":       "signed-in",
	"GET /api/v1/signs.zip":   "signed-in",
	"GET /api/v1/signs/:file": "signed-in",
	"GET /s/:code":            "public",
})

// signWorld is a road (朝阳路, west to east) crossed by 人民路 at its start and 解放路 in its middle, with a lead
// assignment from the start to 解放路 and a lead zone over its eastern end.
type signWorld struct {
	a                *testapp.App
	road, asg, zone  int64
	crossM           float64 // where 解放路 crosses, measured by PostGIS
	zoneFromM, zoneM float64 // where the zone's part starts and its length, by PostGIS
}

func newSignWorld(t *testing.T) *signWorld {
	a := testapp.New(t)
	w := &signWorld{a: a}
	line := func(name string, coords string) int64 {
		return int64(a.Do("planner", "POST", "/api/v1/assets", feature(`{"type":"LineString","coordinates":`+coords+`}`,
			map[string]any{"kind": "road", "name": name})).MustStatus(t, 201).JSON()["id"].(float64))
	}
	w.road = line("朝阳路", `[[114.30,35.75],[114.31,35.75]]`)
	line("人民路", `[[114.30,35.745],[114.30,35.755]]`)
	line("解放路", `[[114.305,35.745],[114.305,35.755]]`)
	if err := a.Store.Pool.QueryRow(t.Context(), `SELECT ST_Length(ST_MakeLine(ST_MakePoint(114.30, 35.75), ST_MakePoint(114.305, 35.75))::geography)`).Scan(&w.crossM); err != nil {
		t.Fatal(err)
	}
	a.Do("admin", "PATCH", fmt.Sprintf("/api/v1/units/%d", a.UnitID), map[string]any{"contact_person": "李四", "phone": "0371-1234567"}).MustStatus(t, 200)
	w.asg = int64(a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", w.road), map[string]any{"unit_id": a.UnitID,
		"from_m": 0, "to_m": w.crossM, "role": "lead", "person": "王芳", "phone": "13800000001"}).MustStatus(t, 201).JSON()["id"].(float64))
	zone := `{"type":"Polygon","coordinates":[[[114.307,35.749],[114.312,35.749],[114.312,35.751],[114.307,35.751],[114.307,35.749]]]}`
	w.zone = int64(a.Do("planner", "POST", "/api/v1/zones", feature(zone, map[string]any{"name": "东片", "unit_id": a.UnitID, "role": "lead"})).MustStatus(t, 201).JSON()["id"].(float64))
	if err := a.Store.Pool.QueryRow(t.Context(), `SELECT ST_Length(ST_MakeLine(ST_MakePoint(114.30, 35.75), ST_MakePoint(114.307, 35.75))::geography),
		ST_Length(ST_MakeLine(ST_MakePoint(114.307, 35.75), ST_MakePoint(114.31, 35.75))::geography)`).Scan(&w.zoneFromM, &w.zoneM); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestSignContents checks the boards' facts against PostGIS: names of the ends, lengths, owner and person.
func TestSignContents(t *testing.T) {
	w := newSignWorld(t)
	var list struct {
		Items []struct {
			Code      string  `json:"code"`
			RoadName  string  `json:"road_name"`
			StartName string  `json:"start_name"`
			EndName   string  `json:"end_name"`
			UnitName  string  `json:"unit_name"`
			Person    string  `json:"person"`
			Phone     string  `json:"phone"`
			FromM     float64 `json:"from_m"`
			LengthM   float64 `json:"length_m"`
		} `json:"items"`
	}
	w.a.Do("unit_staff", "GET", "/api/v1/signs?unit_id="+fmt.Sprint(w.a.UnitID), nil).MustStatus(t, 200).Decode(t, &list)
	byCode := map[string]int{}
	for i, it := range list.Items {
		byCode[it.Code] = i
	}
	ai, ok := byCode[fmt.Sprintf("A%d", w.asg)]
	zi, ok2 := byCode[fmt.Sprintf("Z%d-%d", w.zone, w.road)]
	if !ok || !ok2 || len(list.Items) != 2 {
		t.Fatalf("signs %+v; want the assignment's and the zone's on 朝阳路", list.Items)
	}
	asg, zone := list.Items[ai], list.Items[zi]
	if asg.RoadName != "朝阳路" || asg.StartName != "人民路" || asg.EndName != "解放路" || asg.Person != "王芳" || asg.Phone != "13800000001" ||
		math.Abs(asg.LengthM-w.crossM) > 0.01 {
		t.Errorf("assignment sign %+v; want 人民路 → 解放路, %.1f m, 王芳", asg, w.crossM)
	}
	// The zone's part: no street at its ends (meters are shown), the unit's contact as the person.
	if zone.StartName != "" || zone.EndName != "" || zone.Person != "李四" || math.Abs(zone.FromM-w.zoneFromM) > 2 || math.Abs(zone.LengthM-w.zoneM) > 2 {
		t.Errorf("zone sign %+v; want from %.1f m, %.1f m long, person 李四", zone, w.zoneFromM, w.zoneM)
	}
	w.a.Do("unit_staff", "GET", "/api/v1/signs/A999999.svg", nil).MustStatus(t, 404)
	w.a.Do("unit_staff", "GET", "/api/v1/signs/x.svg", nil).MustStatus(t, 404)
	w.a.Do("", "GET", "/api/v1/signs", nil).MustStatus(t, 401)
	svg := w.a.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/signs/A%d.svg", w.asg), nil).MustStatus(t, 200)
	for _, s := range []string{"朝阳路", "人民路", "解放路", "王芳", "13800000001", "测试单位"} {
		if !bytes.Contains(svg.Body, []byte(s)) {
			t.Errorf("the SVG board lacks %q", s)
		}
	}
}

// TestSignPDFQR renders a board as an A3 PDF, rasterises it with pdftoppm, decodes the QR code with zbarimg and
// follows it: the page it opens is the stretch's, with the report form pre-filled at the stretch.
func TestSignPDFQR(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "zbarimg", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			ci.Missing(t, "%s is not installed (apt-get install poppler-utils zbar-tools)", tool)
			return
		}
	}
	w := newSignWorld(t)
	code := fmt.Sprintf("A%d", w.asg)
	res := w.a.Do("unit_staff", "GET", "/api/v1/signs/"+code+".pdf?paper=a3", nil)
	if res.Status == http.StatusServiceUnavailable {
		ci.Missing(t, "Chromium is not installed: %s", res.Body)
		return
	}
	res.MustStatus(t, 200)
	if !bytes.HasPrefix(res.Body, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.40q", res.Body)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "sign.pdf")
	if err := os.WriteFile(pdf, res.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "100", "-png", "-singlefile", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	out, err := exec.Command("zbarimg", "-q", "--raw", filepath.Join(dir, "page.png")).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code on the rendered page: %v", err)
	}
	u, err := url.Parse(strings.TrimSpace(string(out)))
	if err != nil || u.Path != "/s/"+code {
		t.Fatalf("the QR code says %q; want …/s/%s", out, code)
	}
	text, _ := exec.Command("pdftotext", pdf, "-").Output()
	if !bytes.Contains(text, []byte("朝阳路")) || !bytes.Contains(text, []byte("解放路")) {
		t.Errorf("the PDF's text lacks the road or its end: %s", text)
	}
	page := w.a.Do("", "GET", u.Path, nil).MustStatus(t, 200)
	for _, s := range []string{"朝阳路", "王芳", "测试单位", `name="stretch" value="` + code + `"`, `name="lon"`} {
		if !bytes.Contains(page.Body, []byte(s)) {
			t.Errorf("the stretch page lacks %q: %s", s, page.Body)
		}
	}
	// The batch: a zip of every SVG board of the unit and one PDF with a page each.
	z := w.a.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/signs.zip?unit_id=%d", w.a.UnitID), nil).MustStatus(t, 200)
	zr, err := zip.NewReader(bytes.NewReader(z.Body), int64(len(z.Body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if len(names) != 3 || !strings.Contains(strings.Join(names, ","), "sign-"+code+".svg") {
		t.Fatalf("zip holds %v", names)
	}
}
