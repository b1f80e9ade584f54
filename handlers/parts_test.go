package handlers_test

import (
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"

	"everymeter/internal/ci"
	"everymeter/internal/testapp"
)

// Meters to degrees at 36°N (the local scale of the WGS84 ellipsoid there, to 0.1 %).
const (
	degPerMN = 1 / 110950.0 // one meter north
	degPerME = 1 / 90163.0  // one meter east
)

// partsTown builds 朝阳路 running east from 117.0°E at 36°N (≈ 898 m); 综合执法局 (ZHZFJ) leads all of it by
// assignment, so its territory answer is ZHZFJ everywhere; 宣传部 (XCB) owns a bulletin board 3.3 m north of the
// street at 180 m.
func partsTown(t *testing.T) (a *testapp.App, road, zhzfj, xcb, board int64) {
	a = testapp.New(t)
	unit := func(code, name string) int64 {
		return idOf(a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": code, "name": name, "kind": "department"}).MustStatus(t, 201).JSON())
	}
	zhzfj, xcb = unit("ZHZFJ", "综合执法局"), unit("XCB", "宣传部")
	road = idOf(a.Do("planner", "POST", "/api/v1/assets", feature(`{"type":"LineString","coordinates":[[117.0,36.0],[117.01,36.0]]}`,
		map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201).JSON())
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": zhzfj, "from_m": 0, "to_m": 898, "role": "lead"}).MustStatus(t, 201)
	board = idOf(a.Do("planner", "POST", "/api/v1/parts", feature(fmt.Sprintf(`{"type":"Point","coordinates":[%.9f,%.9f]}`, 117+180*degPerME, 36+3.3*degPerMN),
		map[string]any{"kind": "notice_board", "name": "朝阳路公示栏", "county": "320508", "owner_unit_id": xcb, "checked_on": "2026-11-02"})).MustStatus(t, 201).JSON()["properties"].(map[string]any))
	return a, road, zhzfj, xcb, board
}

// TestPartRouting: 部件先属主 — a 部件 report near a registered object of its kind goes to the object's owner, with
// the object named and linked in the reason; beyond the bound, and for an 事件 at the same spot, by territory.
func TestPartRouting(t *testing.T) {
	a, _, zhzfj, xcb, board := partsTown(t)
	part := a.Do("planner", "GET", fmt.Sprintf("/api/v1/parts/%d", board), nil).MustStatus(t, 200).JSON()["properties"].(map[string]any)
	code := part["code"].(string)
	if code != "3205080310000001" {
		t.Fatalf("object code %q, want county 320508 + 大类 03 + 小类 10 + sequence 000001", code)
	}
	bx, by := 117+180*degPerME, 36+3.3*degPerMN
	cases := []struct {
		name      string
		category  string
		dx        float64 // meters east of the board
		unit      int64
		decidedBy string
		reason    []string
	}{
		{"部件 3 m from the board", "BJ-08", 3, xcb, "part_owner", []string{"宣传栏/公示栏", code, fmt.Sprintf("/api/v1/parts/%d", board), "宣传部", "3.0 m"}},
		{"部件 30 m from the board", "BJ-08", 30, zhzfj, "nearest_meter", []string{"no 宣传栏/公示栏 within 15 m", "综合执法局"}},
		{"事件 at the same spot", "XCGG-03", 3, zhzfj, "nearest_meter", []string{"综合执法局"}},
		{"部件 of another kind there", "BJ-05", 3, zhzfj, "nearest_meter", []string{"no 垃圾箱/果皮箱 within 15 m"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fileAt(t, a, c.category, bx+c.dx*degPerME, by, 0)
			routing := r["routing"].(map[string]any)
			if got := int64(r["unit_id"].(float64)); got != c.unit || routing["decided_by"] != c.decidedBy {
				t.Fatalf("routed to %d by %v (%v), want %d by %s", got, routing["decided_by"], routing["reason"], c.unit, c.decidedBy)
			}
			for _, w := range c.reason {
				if !strings.Contains(routing["reason"].(string), w) {
					t.Errorf("reason %q lacks %q", routing["reason"], w)
				}
			}
			if c.decidedBy == "nearest_meter" && strings.Contains(routing["reason"].(string), code) {
				t.Errorf("territorial reason %q names the board", routing["reason"])
			}
		})
	}
	// Bad input: a code whose classes are not the kind's, an unknown kind, a point far outside the world.
	for _, props := range []map[string]any{
		{"kind": "notice_board", "code": "3205080101000009", "owner_unit_id": xcb},
		{"kind": "bench", "county": "320508", "owner_unit_id": xcb},
		{"kind": "manhole", "county": "32050", "owner_unit_id": xcb},
		{"kind": "manhole", "county": "320508", "owner_unit_id": 999999},
	} {
		a.Do("planner", "POST", "/api/v1/parts", feature(`{"type":"Point","coordinates":[117.001,36.0]}`, props)).MustStatus(t, 400)
	}
	a.Do("planner", "GET", "/api/v1/parts/999999", nil).MustStatus(t, 404)
	if n := len(a.Do("planner", "GET", "/api/v1/parts", nil).MustStatus(t, 200).JSON()["features"].([]any)); n != 1 {
		t.Fatalf("%d parts after refused writes, want 1", n)
	}
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestShopFrontage: a shop's footprint north of an eastbound street projects to its left side; its agreement
// raises that side's coverage by the frontage's length, dragging its ends changes it, and an 事件 filed at the
// frontage goes by territory with the shop and its agreement named and the shop's contact on the case.
func TestShopFrontage(t *testing.T) {
	a, road, zhzfj, _, _ := partsTown(t)
	x := func(m float64) float64 { return 117 + m*degPerME }
	y := func(m float64) float64 { return 36 + m*degPerMN }
	foot := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f],[%.9f,%.9f]]]}`,
		x(100), y(5), x(120), y(5), x(120), y(15), x(100), y(15), x(100), y(5))
	shop := a.Do("planner", "POST", "/api/v1/shops", feature(foot, map[string]any{"name": "好又多超市", "licence": "91320508MA1234567X",
		"contact_person": "王老板", "phone": "13800000000", "unit_id": zhzfj})).MustStatus(t, 201).JSON()["properties"].(map[string]any)
	id := int64(shop["id"].(float64))
	f := shop["frontage"].(map[string]any)
	if f["side"] != "left" || !near(f["from_m"].(float64), 100, 0.5) || !near(f["to_m"].(float64), 120, 0.5) || int64(f["asset_id"].(float64)) != road {
		t.Fatalf("frontage %v, want 朝阳路 left 100–120 m", f)
	}
	side := func(s string) map[string]any {
		c := a.Do("leader", "GET", fmt.Sprintf("/api/v1/assets/%d/coverage?side=%s", road, s), nil).MustStatus(t, 200).JSON()
		return c["frontage"].(map[string]any)
	}
	if c := side("left")["covered_m"].(float64); c != 0 {
		t.Fatalf("left side covered %v m before any agreement", c)
	}
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/shops/%d/agreements", id), map[string]any{"valid_to": "2099-12-31", "signed_by": "王老板"}).MustStatus(t, 201)
	left := side("left")
	if !near(left["covered_m"].(float64), 20, 0.5) || side("right")["covered_m"].(float64) != 0 {
		t.Fatalf("after signing: left %v, right %v; want 20 m left, 0 right", left, side("right"))
	}
	if gaps := left["gaps"].([]any); len(gaps) != 2 {
		t.Fatalf("left gaps %v, want before and after the frontage", gaps)
	}
	// Dragging the ends: 95–130 m.
	a.Do("planner", "PUT", fmt.Sprintf("/api/v1/shops/%d/frontage", id), map[string]any{"from_m": 95, "to_m": 130}).MustStatus(t, 200)
	if c := side("left")["covered_m"].(float64); !near(c, 35, 0.01) {
		t.Fatalf("after dragging, left covered %v m, want 35", c)
	}
	a.Do("planner", "PUT", fmt.Sprintf("/api/v1/shops/%d/frontage", id), map[string]any{"from_m": 130, "to_m": 95}).MustStatus(t, 400)
	a.Do("planner", "PUT", fmt.Sprintf("/api/v1/shops/%d/frontage", id), map[string]any{"from_m": 95, "to_m": 5000}).MustStatus(t, 400)
	a.Do("planner", "PUT", "/api/v1/shops/999999/frontage", map[string]any{"from_m": 1, "to_m": 2}).MustStatus(t, 404)
	a.Do("leader", "GET", fmt.Sprintf("/api/v1/assets/%d/coverage?side=up", road), nil).MustStatus(t, 400)

	// An 事件 at the frontage (店外经营), 2 m north of the street at 110 m: territory, shop and agreement named.
	r := fileAt(t, a, "JMZX-02", x(110), y(2), 0)
	routing := r["routing"].(map[string]any)
	if int64(r["unit_id"].(float64)) != zhzfj || routing["decided_by"] != "nearest_meter" {
		t.Fatalf("routed %v by %v, want 综合执法局 by territory", r["unit_id"], routing)
	}
	for _, w := range []string{"好又多超市", fmt.Sprintf("/api/v1/shops/%d", id), "门前三包 agreement", "综合执法局"} {
		if !strings.Contains(routing["reason"].(string), w) {
			t.Errorf("reason %q lacks %q", routing["reason"], w)
		}
	}
	rid := int64(r["id"].(float64))
	onCase := a.Do("planner", "GET", fmt.Sprintf("/api/v1/reports/%d/shop", rid), nil).MustStatus(t, 200).JSON()["properties"].(map[string]any)
	if onCase["contact_person"] != "王老板" || onCase["phone"] != "13800000000" || onCase["cases"].(float64) != 1 {
		t.Fatalf("the case's shop %v, want its contact and one case", onCase)
	}
	// The same spot on the other side of the street is no frontage of this shop.
	r2 := fileAt(t, a, "JMZX-02", x(110), y(-2), 0)
	if strings.Contains(r2["routing"].(map[string]any)["reason"].(string), "好又多超市") {
		t.Fatalf("a case on the right side names the left side's shop: %v", r2["routing"])
	}
	a.Do("planner", "GET", fmt.Sprintf("/api/v1/reports/%d/shop", int64(r2["id"].(float64))), nil).MustStatus(t, 404)
	// Contacts are personal data: another unit's staff sees the shop, not its contact.
	staff := a.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/shops/%d", id), nil).MustStatus(t, 200).JSON()["properties"].(map[string]any)
	if staff["contact_person"] != "" || staff["phone"] != "" || staff["name"] != "好又多超市" {
		t.Fatalf("another unit's staff sees %v", staff)
	}
	// The summary by side and per unit.
	sum := a.Do("leader", "GET", "/api/v1/frontage", nil).MustStatus(t, 200).JSON()
	sides := sum["sides"].([]any)
	if l := sides[0].(map[string]any); l["side"] != "left" || !near(l["covered_m"].(float64), 35, 0.01) {
		t.Fatalf("summary sides %v", sides)
	}
	units := sum["units"].([]any)
	if len(units) != 1 || int64(units[0].(map[string]any)["id"].(float64)) != zhzfj || units[0].(map[string]any)["cases"].(float64) != 1 {
		t.Fatalf("summary units %v", units)
	}
}

// TestAssignmentSides: an assignment of one side counts on that side only; "both" (the default) answers as before.
func TestAssignmentSides(t *testing.T) {
	a, road, zhzfj, xcb, _ := partsTown(t)
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": xcb, "from_m": 0, "to_m": 100, "role": "lead", "side": "right"}).MustStatus(t, 201)
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": xcb, "from_m": 0, "to_m": 100, "side": "middle"}).MustStatus(t, 400)
	owners := func(q string) []any {
		c := a.Do("leader", "GET", fmt.Sprintf("/api/v1/assets/%d/coverage%s", road, q), nil).MustStatus(t, 200).JSON()
		return c["pieces"].([]any)[0].(map[string]any)["unit_ids"].([]any)
	}
	if o := owners("?side=left"); len(o) != 1 || int64(o[0].(float64)) != zhzfj {
		t.Fatalf("left side at 0 m owned by %v, want 综合执法局 alone", o)
	}
	if o := owners("?side=right"); len(o) != 2 {
		t.Fatalf("right side at 0 m owned by %v, want both units (overlap)", o)
	}
	if a, b := fmt.Sprint(owners("")), fmt.Sprint(owners("?side=both")); a != b {
		t.Fatalf("side=both %s differs from the unsided answer %s", b, a)
	}
}

// partsPolicy adds the rows of the 部件, shop and 门前三包 routes to the permission table (each feature owns its rows).
var partsPolicy = func() bool {
	for k, v := range map[string]string{
		"GET /api/v1/parts":                   "signed-in",
		"POST /api/v1/parts":                  "admin,planner",
		"GET /api/v1/parts/:id":               "signed-in",
		"PATCH /api/v1/parts/:id":             "admin,planner",
		"DELETE /api/v1/parts/:id":            "admin,planner",
		"GET /api/v1/shops":                   "signed-in",
		"POST /api/v1/shops":                  "admin,planner",
		"GET /api/v1/shops/:id":               "signed-in",
		"DELETE /api/v1/shops/:id":            "admin,planner",
		"PUT /api/v1/shops/:id/frontage":      "admin,planner",
		"POST /api/v1/shops/:id/agreements":   "admin,planner",
		"GET /api/v1/shops/:id/agreement.pdf": "signed-in",
		"GET /api/v1/assets/:id/frontage":     "signed-in",
		"GET /api/v1/frontage":                "signed-in",
		"GET /api/v1/reports/:id/shop":        "signed-in",
	} {
		policyFeatures[k] = v
	}
	return true
}()

// TestAgreementPDF prints a shop's 门前三包责任书 and reads it back with pdftotext: the shop, its frontage, its
// territory, the three duties and the validity are on it; a shop without an agreement has none (404).
func TestAgreementPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		ci.Missing(t, "pdftotext (poppler-utils) is not installed")
		return
	}
	a, _, zhzfj, _, _ := partsTown(t)
	shop := a.Do("planner", "POST", "/api/v1/shops", feature(fmt.Sprintf(`{"type":"Point","coordinates":[%.9f,%.9f]}`, 117+300*degPerME, 36+8*degPerMN),
		map[string]any{"name": "老字号茶庄", "contact_person": "赵掌柜", "address": "朝阳路12号"})).MustStatus(t, 201).JSON()["properties"].(map[string]any)
	id := int64(shop["id"].(float64))
	a.Do("leader", "GET", fmt.Sprintf("/api/v1/shops/%d/agreement.pdf", id), nil).MustStatus(t, 404)
	ag := a.Do("planner", "POST", fmt.Sprintf("/api/v1/shops/%d/agreements", id), map[string]any{"valid_from": "2026-01-01", "valid_to": "2028-12-31",
		"signed_on": "2025-12-20", "signed_by": "赵掌柜"}).MustStatus(t, 201).JSON()
	if int64(ag["unit_id"].(float64)) != zhzfj {
		t.Fatalf("the agreement is with unit %v, want the territory 综合执法局 (%d)", ag["unit_id"], zhzfj)
	}
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/shops/%d/agreements", id), map[string]any{"valid_from": "2026-01-01", "valid_to": "2025-12-31"}).MustStatus(t, 400)
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/shops/%d/agreements", id), map[string]any{"valid_to": "2027-01-01", "duties": []string{"parking"}}).MustStatus(t, 400)
	text, ok := printedText(t, a, "leader", fmt.Sprintf("/api/v1/shops/%d/agreement.pdf", id))
	if !ok {
		return
	}
	for _, want := range []string{"门前三包责任书", "老字号茶庄", "朝阳路", "综合执法局", "包卫生", "包秩序", "包绿化", "2026-01-01", "2028-12-31", "赵掌柜"} {
		if !strings.Contains(text, want) {
			t.Errorf("the 责任书 lacks %q: %s", want, text)
		}
	}
}
