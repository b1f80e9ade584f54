package handlers_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"everymeter/internal/ci"
	"everymeter/internal/testapp"
)

// shopStreet is partsTown's 朝阳路 with 宣传部 (XCB) also leading 500 m to its end, and six shops whose frontages
// are set by hand:
//
//	shop  side   from–to (m)  agreement
//	A     left   100–120      valid
//	B     left   110–150      valid (overlaps A: the left side's union is 100–150)
//	C     right  480–530      valid (crosses 500 m, where XCB joins)
//	D     left   600–700      expired in 2020
//	E     right  800–840      none
//	F     right  880–900      valid, 包卫生 and 包绿化 only (crosses 898 m, where ZHZFJ's assignment ends)
type shopStreet struct {
	a                *testapp.App
	road, zhzfj, xcb int64
	length           float64 // the street's length, as the API reports it
	shops            map[string]int64
}

func newShopStreet(t *testing.T) *shopStreet {
	a, road, zhzfj, xcb, _ := partsTown(t)
	w := &shopStreet{a: a, road: road, zhzfj: zhzfj, xcb: xcb, shops: map[string]int64{}}
	w.length = a.Do("planner", "GET", fmt.Sprintf("/api/v1/assets/%d", road), nil).MustStatus(t, 200).JSON()["properties"].(map[string]any)["length_m"].(float64)
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": xcb, "from_m": 500, "to_m": w.length, "role": "lead"}).MustStatus(t, 201)
	for _, s := range []struct {
		name, side string
		from, to   float64
		validFrom  string
		validTo    string
	}{
		{"A", "left", 100, 120, "2026-01-01", "2099-12-31"},
		{"B", "left", 110, 150, "2026-01-01", "2099-12-31"},
		{"C", "right", 480, 530, "2026-01-01", "2099-12-31"},
		{"D", "left", 600, 700, "2020-01-01", "2020-12-31"},
		{"E", "right", 800, 840, "", ""},
		{"F", "right", 880, 900, "2026-01-01", "2099-12-31"},
	} {
		dy := 6.0
		if s.side == "right" {
			dy = -6
		}
		door := fmt.Sprintf(`{"type":"Point","coordinates":[%.9f,%.9f]}`, 117+(s.from+s.to)/2*degPerME, 36+dy*degPerMN)
		id := idOf(a.Do("planner", "POST", "/api/v1/shops", feature(door, map[string]any{"name": "商户" + s.name,
			"contact_person": "店主" + s.name, "phone": "1390000000" + fmt.Sprint(len(w.shops))})).MustStatus(t, 201).JSON()["properties"].(map[string]any))
		w.shops[s.name] = id
		a.Do("planner", "PUT", fmt.Sprintf("/api/v1/shops/%d/frontage", id), map[string]any{"asset_id": road, "side": s.side, "from_m": s.from, "to_m": s.to}).MustStatus(t, 200)
		if s.validTo != "" {
			body := map[string]any{"unit_id": zhzfj, "signed_on": s.validFrom, "valid_from": s.validFrom, "valid_to": s.validTo}
			if s.name == "F" {
				body["duties"] = []string{"greening", "sanitation"}
			}
			a.Do("planner", "POST", fmt.Sprintf("/api/v1/shops/%d/agreements", id), body).MustStatus(t, 201)
		}
	}
	return w
}

// TestFrontageLeaders: the ranking's and the briefing's 门前三包 coverage per unit (of the stretches it leads) and
// per street side, against a table worked out by hand from shopStreet's frontages:
//
//	ZHZFJ leads 0–898:      left 100–150 = 50 m; right 480–530 + 880–898 = 68 m
//	XCB   leads 500–length: left 0 (D's agreement expired); right 500–530 + 880–900 = 50 m
//	朝阳路:                 left 50 m; right 480–530 + 880–900 = 70 m; 6 shops
func TestFrontageLeaders(t *testing.T) {
	w := newShopStreet(t)
	a := w.a
	type want struct{ lead, left, right float64 }
	table := map[int64]want{w.zhzfj: {898, 50, 68}, w.xcb: {w.length - 500, 0, 50}}
	check := func(where string, units []any) {
		t.Helper()
		seen := 0
		for _, u := range units {
			u := u.(map[string]any)
			wt, ok := table[int64(u["unit_id"].(float64))]
			if !ok {
				continue
			}
			seen++
			f := u["frontage"].(map[string]any)
			if !near(f["lead_m"].(float64), wt.lead, 0.01) || !near(f["left_m"].(float64), wt.left, 0.01) || !near(f["right_m"].(float64), wt.right, 0.01) {
				t.Errorf("%s: %s frontage %v, want lead %.2f, left %.0f, right %.0f", where, u["code"], f, wt.lead, wt.left, wt.right)
			}
			rate := (wt.left + wt.right) / (2 * wt.lead)
			if !near(f["rate"].(float64), rate, 1e-4) || !near(f["left"].(float64), wt.left/wt.lead, 1e-4) || !near(f["right"].(float64), wt.right/wt.lead, 1e-4) {
				t.Errorf("%s: %s rates %v, want rate %.4f", where, u["code"], f, rate)
			}
		}
		if seen != 2 {
			t.Errorf("%s: %d of the two units", where, seen)
		}
	}
	stats := a.Do("leader", "GET", "/api/v1/stats/units", nil).MustStatus(t, 200).JSON()
	check("stats/units", stats["items"].([]any))
	// The existing fields are still there.
	if u := stats["items"].([]any)[0].(map[string]any); u["rates"] == nil || u["km"] == nil || u["too_few"] == nil {
		t.Errorf("a ranking row lost its fields: %v", u)
	}

	b := a.Do("leader", "GET", "/api/v1/briefing?format=json", nil).MustStatus(t, 200).JSON()
	check("briefing", b["Units"].([]any))
	fb := b["Frontage"].(map[string]any)
	streets := fb["streets"].([]any)
	if len(streets) != 1 {
		t.Fatalf("briefing streets %v, want 朝阳路 alone", streets)
	}
	st := streets[0].(map[string]any)
	if st["name"] != "朝阳路" || !near(st["left_m"].(float64), 50, 0.01) || !near(st["right_m"].(float64), 70, 0.01) || st["shops"].(float64) != 6 ||
		!near(st["left"].(float64), 50/w.length, 1e-4) || !near(st["right"].(float64), 70/w.length, 1e-4) {
		t.Errorf("briefing street %v, want left 50 m, right 70 m of %.2f, 6 shops", st, w.length)
	}
	sides := fb["sides"].([]any)
	if l, r := sides[0].(map[string]any), sides[1].(map[string]any); l["side"] != "left" || !near(l["covered_m"].(float64), 50, 0.01) ||
		r["side"] != "right" || !near(r["covered_m"].(float64), 70, 0.01) {
		t.Errorf("briefing sides %v", sides)
	}

	// The coverage summary offers the same by side.
	cov := a.Do("leader", "GET", "/api/v1/coverage", nil).MustStatus(t, 200).JSON()["frontage_by_side"].([]any)
	if len(cov) != 2 {
		t.Fatalf("coverage summary frontage_by_side %v", cov)
	}
	for i, want := range []struct {
		side string
		m    float64
	}{{"left", 50}, {"right", 70}} {
		s := cov[i].(map[string]any)
		if s["side"] != want.side || !near(s["covered_m"].(float64), want.m, 0.01) || !near(s["length_m"].(float64), w.length, 0.01) ||
			!near(s["percent"].(float64), 100*want.m/w.length, 0.01) {
			t.Errorf("coverage summary %s side %v, want %.0f of %.2f m", want.side, s, want.m, w.length)
		}
	}

	// The HTML (and so the PDF, printed from it) shows the section with the units' and the street's figures.
	html := string(a.Do("leader", "GET", "/api/v1/briefing", nil).MustStatus(t, 200).Body)
	pc := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
	for _, s := range []string{"门前三包覆盖", "综合执法局", "宣传部", pc(118.0 / (2 * 898)), pc(50 / (2 * (w.length - 500))),
		pc(50 / w.length), pc(70 / w.length)} {
		if !strings.Contains(html, s) {
			t.Errorf("the briefing's HTML lacks %q", s)
		}
	}
	// The PDF prints it (read back with pdftotext).
	if flat, ok := printedText(t, a, "leader", "/api/v1/briefing?format=pdf"); ok {
		for _, s := range []string{"门前三包覆盖", "朝阳路", pc(118.0 / (2 * 898)), pc(70 / w.length)} {
			if !strings.Contains(flat, s) {
				t.Errorf("the printed briefing lacks %q", s)
			}
		}
	}
	// The xlsx exports carry the section as sheets.
	for _, path := range []string{"/api/v1/briefing?format=xlsx", "/api/v1/stats/units?format=xlsx"} {
		f, err := excelize.OpenReader(bytes.NewReader(a.Do("leader", "GET", path, nil).MustStatus(t, 200).Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("门前三包（按单位）")
		if err != nil {
			t.Fatalf("%s: %v (sheets %v)", path, err, f.GetSheetList())
		}
		found := false
		for _, r := range rows[1:] {
			if r[1] == "综合执法局" {
				found = true
				var led, right float64
				fmt.Sscan(r[2], &led)
				fmt.Sscan(r[4], &right)
				if math.Abs(led-898) > 0.1 || math.Abs(right-68) > 0.1 {
					t.Errorf("%s: 综合执法局 row %v, want 898 m led, 68 m right", path, r)
				}
			}
		}
		if !found {
			t.Errorf("%s: no 综合执法局 row in %v", path, rows)
		}
	}
}

// TestFrontageOneSided: a unit that leads a stretch on one side only (an assignment with side) answers for that
// side's frontage alone, though the ranking's km (as one line) still counts the stretch. On shopStreet, by hand:
//
//	WMB  leads the left side 100–550:  left 100–150 = 50 m of 450; right not led (C's 480–530 is not its)
//	CGJ  leads the right side 850–900: right 880–900 = 20 m of 50; left not led
//	ZHZFJ and XCB (both sides) keep TestFrontageLeaders' figures.
func TestFrontageOneSided(t *testing.T) {
	w := newShopStreet(t)
	a := w.a
	unit := func(code, name string) int64 {
		return idOf(a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": code, "name": name, "kind": "department"}).MustStatus(t, 201).JSON())
	}
	wmb, cgj := unit("WMB", "文明办"), unit("CGJ", "城管局")
	for _, as := range []struct {
		unit     int64
		side     string
		from, to float64
	}{{wmb, "left", 100, 550}, {cgj, "right", 850, 900}} {
		a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", w.road), map[string]any{"unit_id": as.unit, "from_m": as.from, "to_m": as.to, "role": "lead", "side": as.side}).MustStatus(t, 201)
	}
	type want struct {
		lead, leadLeft, leadRight, left, right float64
	}
	table := map[int64]want{
		wmb: {450, 450, 0, 50, 0}, cgj: {50, 0, 50, 0, 20},
		w.zhzfj: {898, 898, 898, 50, 68}, w.xcb: {w.length - 500, w.length - 500, w.length - 500, 0, 50},
	}
	ratio := func(a, b float64) any {
		if b == 0 {
			return nil
		}
		return a / b
	}
	same := func(got any, want any) bool {
		if want == nil || got == nil {
			return got == want
		}
		return near(got.(float64), want.(float64), 1e-4)
	}
	items := a.Do("leader", "GET", "/api/v1/stats/units", nil).MustStatus(t, 200).JSON()["items"].([]any)
	seen := 0
	for _, u := range items {
		u := u.(map[string]any)
		wt, ok := table[int64(u["unit_id"].(float64))]
		if !ok {
			continue
		}
		seen++
		f := u["frontage"].(map[string]any)
		if !near(f["lead_m"].(float64), wt.lead, 0.01) || !near(f["lead_left_m"].(float64), wt.leadLeft, 0.01) || !near(f["lead_right_m"].(float64), wt.leadRight, 0.01) ||
			!near(f["left_m"].(float64), wt.left, 0.01) || !near(f["right_m"].(float64), wt.right, 0.01) {
			t.Errorf("%s frontage %v, want %+v", u["code"], f, wt)
		}
		if !same(f["left"], ratio(wt.left, wt.leadLeft)) || !same(f["right"], ratio(wt.right, wt.leadRight)) ||
			!same(f["rate"], ratio(wt.left+wt.right, wt.leadLeft+wt.leadRight)) {
			t.Errorf("%s frontage rates %v, want left %v, right %v, rate %v", u["code"], f, ratio(wt.left, wt.leadLeft),
				ratio(wt.right, wt.leadRight), ratio(wt.left+wt.right, wt.leadLeft+wt.leadRight))
		}
	}
	if seen != len(table) {
		t.Errorf("%d of the %d units in the ranking", seen, len(table))
	}
}

// TestSignShops: a stretch's sign board lists the shops under 门前三包 along it — those whose frontage overlaps the
// stretch and whose agreement is valid today — with their side (of the eastbound 朝阳路, left is 路北), their
// duties and the agreement's end; in the JSON, on the SVG board, and in the printed PDF read back with pdftotext.
func TestSignShops(t *testing.T) {
	w := newShopStreet(t)
	a := w.a
	line := func(shop, side, duties string) string {
		return fmt.Sprintf("商户%s（%s）：%s，有效期至 2099-12-31", shop, side, duties)
	}
	all := "包卫生、包秩序、包绿化"
	A, B, C := line("A", "左侧·路北", all), line("B", "左侧·路北", all), line("C", "右侧·路南", all)
	F := line("F", "右侧·路南", "包卫生、包绿化")
	signOf := func(unit int64) map[string]any {
		items := a.Do("leader", "GET", fmt.Sprintf("/api/v1/signs?unit_id=%d", unit), nil).MustStatus(t, 200).JSON()["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("unit %d has signs %v, want one", unit, items)
		}
		return items[0].(map[string]any)
	}
	lines := func(g map[string]any) string {
		var out []string
		for _, d := range g["duties"].([]any) {
			out = append(out, d.(string))
		}
		return strings.Join(out, "\n")
	}
	// 宣传部 leads 500 m to the end: C and F front it; D's agreement has expired, E has none.
	xcb, zhzfj := signOf(w.xcb), signOf(w.zhzfj)
	if got, want := lines(xcb), strings.Join([]string{C, F}, "\n"); got != want {
		t.Errorf("宣传部's board lists\n%s\nwant\n%s", got, want)
	}
	if got, want := lines(zhzfj), strings.Join([]string{A, B, C, F}, "\n"); got != want {
		t.Errorf("综合执法局's board lists\n%s\nwant\n%s", got, want)
	}
	svg := string(a.Do("leader", "GET", fmt.Sprintf("/api/v1/signs/%s.svg", xcb["code"]), nil).MustStatus(t, 200).Body)
	for _, s := range []string{C, F} {
		if !strings.Contains(svg, s) {
			t.Errorf("宣传部's SVG board lacks %q", s)
		}
	}
	for _, s := range []string{"商户D", "商户E", "商户A"} {
		if strings.Contains(svg, s) {
			t.Errorf("宣传部's SVG board names %s", s)
		}
	}
	// Four shops do not fit: two lines and the count, the rest behind the QR code.
	svg = string(a.Do("leader", "GET", fmt.Sprintf("/api/v1/signs/%s.svg", zhzfj["code"]), nil).MustStatus(t, 200).Body)
	if !strings.Contains(svg, A) || !strings.Contains(svg, B) || strings.Contains(svg, F) || !strings.Contains(svg, "…等 4 户") {
		t.Errorf("综合执法局's SVG board does not show A, B and the count of 4: %s", svg)
	}

	flat, ok := printedText(t, a, "leader", fmt.Sprintf("/api/v1/signs/%s.pdf", xcb["code"]))
	if !ok {
		return
	}
	for _, s := range []string{C, F} {
		if !strings.Contains(flat, strings.Join(strings.Fields(s), "")) {
			t.Errorf("the printed board lacks %q: %s", s, flat)
		}
	}
}

var _ = addPolicy(map[string]string{"GET /api/v1/shops/repeats": "signed-in"})

// TestShopRepeats: cases filed at the frontages of shopStreet, counted per shop by hand —
//
//	A (left 100–120): 3 at 105 m          C (right 480–530): 2 at 490 m
//	B (left 110–150): 1 at 140 m          E (right 800–840, no agreement): 2 at 820 m
//	and 1 at 300 m on the left, where no shop fronts (not counted)
//
// — so 朝阳路 has 8, ranked A 3, C 2, E 2, B 1; min_count=2 drops B; a period without them lists nothing; unit
// staff of a unit that got none of these cases count none of them.
func TestShopRepeats(t *testing.T) {
	w := newShopStreet(t)
	a := w.a
	at := func(m, dy float64, n int) {
		for range n {
			fileAt(t, a, "JMZX-02", 117+m*degPerME, 36+dy*degPerMN, 0)
		}
	}
	at(105, 2, 3)
	at(140, 2, 1)
	at(490, -2, 2)
	at(820, -2, 2)
	at(300, 2, 1)
	type row struct {
		shop  string
		cases int
		valid bool
	}
	get := func(role, query string) []any {
		return a.Do(role, "GET", "/api/v1/shops/repeats"+query, nil).MustStatus(t, 200).JSON()["items"].([]any)
	}
	check := func(query string, want []row) {
		t.Helper()
		items := get("leader", query)
		if len(items) != 1 {
			t.Fatalf("%s: streets %v, want 朝阳路 alone", query, items)
		}
		st := items[0].(map[string]any)
		total := 0
		for _, r := range want {
			total += r.cases
		}
		shops := st["shops"].([]any)
		if st["name"] != "朝阳路" || int(st["cases"].(float64)) != total || len(shops) != len(want) {
			t.Fatalf("%s: %v, want %d cases at %v", query, st, total, want)
		}
		for i, r := range want {
			s := shops[i].(map[string]any)
			if int64(s["shop_id"].(float64)) != w.shops[r.shop] || int(s["cases"].(float64)) != r.cases || s["agreement_valid"] != r.valid ||
				s["contact_person"] != "店主"+r.shop {
				t.Errorf("%s: rank %d is %v, want shop %s with %d cases (agreement valid %v) and its contact", query, i+1, s, r.shop, r.cases, r.valid)
			}
		}
	}
	check("", []row{{"A", 3, true}, {"C", 2, true}, {"E", 2, false}, {"B", 1, true}})
	check(fmt.Sprintf("?asset_id=%d&min_count=2", w.road), []row{{"A", 3, true}, {"C", 2, true}, {"E", 2, false}})
	if items := get("leader", "?from=2099-01-01&to=2099-02-01"); len(items) != 0 {
		t.Errorf("a period without cases lists %v", items)
	}
	if items := get("unit_staff", ""); len(items) != 0 {
		t.Errorf("unit staff of another unit count %v", items)
	}
	a.Do("leader", "GET", "/api/v1/shops/repeats?asset_id=999999", nil).MustStatus(t, 404)
	for _, q := range []string{"?asset_id=x", "?min_count=0", "?from=2026-02-01&to=2026-01-01"} {
		a.Do("leader", "GET", "/api/v1/shops/repeats"+q, nil).MustStatus(t, 400)
	}
	a.Do("", "GET", "/api/v1/shops/repeats", nil).MustStatus(t, 401)
}

// printedText asks for a printed document (PDF) as role and reads it back with pdftotext, white space removed; ok
// is false, with the test marked by ci.Missing, where pdftotext or Chromium (which prints) is not installed.
func printedText(t *testing.T, a *testapp.App, role, path string) (text string, ok bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		ci.Missing(t, "pdftotext is not installed (apt-get install poppler-utils)")
		return "", false
	}
	res := a.Do(role, "GET", path, nil)
	if res.Status == http.StatusServiceUnavailable {
		ci.Missing(t, "Chromium is not installed: %s", res.Body)
		return "", false
	}
	res.MustStatus(t, 200)
	pdf := filepath.Join(t.TempDir(), "printed.pdf")
	if err := os.WriteFile(pdf, res.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), ""), true
}
