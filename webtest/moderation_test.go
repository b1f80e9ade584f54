package webtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"everymeter/internal/testapp"
	"everymeter/store"
)

// submitPublic posts a resident's report through the public API (multipart, anonymous) and returns its code.
func (s *site) submitPublic(fields map[string]string, photo []byte) string {
	s.T.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "p.jpg")
		fw.Write(photo)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/public/reports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		s.T.Fatalf("public report: %d %s", res.StatusCode, out)
	}
	var r struct {
		Code string `json:"code"`
	}
	testapp.Response{Status: res.StatusCode, Body: out}.Decode(s.T, &r)
	return r.Code
}

// TestModerationScreen: a resident files a report with a photo through the public API; the admin's moderation
// screen shows it in the queue with its photo, its pin on the map and the open case an inspector filed 40 m away
// as a possible duplicate; the moderator accepts it and it leaves the queue; it is a case in the owner unit's
// queue. A second report is rejected with a reason, which the screen will not send without one.
func TestModerationScreen(t *testing.T) {
	s := newSite(t, false)
	ctx := t.Context()
	unit, err := s.Store.UpsertUnit(ctx, store.Unit{Code: "MOD", Name: "城管中队", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	s.user("admin_m", "admin", "")
	s.user("insp_m", "inspector", "")
	s.user("staff_m", "unit_staff", "MOD")
	if res := s.Do("admin_m", "PATCH", "/api/v1/categories/SRHJ-01", map[string]any{"default_unit_id": unit.ID}); res.Status != 200 {
		t.Fatalf("category: %d %s", res.Status, res.Body)
	}
	lon, lat := 113.62, 34.75
	near := s.fileReport("insp_m", spot{Lon: lon + 40/91300.0, Lat: lat}, "SRHJ-01", "路边垃圾")
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 160, 120)), nil); err != nil {
		t.Fatal(err)
	}
	code := s.submitPublic(map[string]string{"category": "SRHJ-01", "description": "小区门口垃圾堆了三天", "nickname": "李阿姨",
		"lon": fmt.Sprint(lon), "lat": fmt.Sprint(lat), "device": "dev-mod-1"}, b.Bytes())
	other := s.submitPublic(map[string]string{"category": "SRHJ-01", "description": "测试", "lon": fmt.Sprint(lon + 0.01), "lat": fmt.Sprint(lat),
		"device": "dev-mod-2"}, nil)
	var id, otherID int64
	q := `SELECT id FROM public_reports WHERE code = $1`
	if err := s.Store.Pool.QueryRow(ctx, q, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.Pool.QueryRow(ctx, q, other).Scan(&otherID); err != nil {
		t.Fatal(err)
	}

	p := newPage(t, s.URL, 1280, 800, false)
	p.signIn("admin_m", testapp.Password, "planner")
	// The planner's coverage answer first: it lands after a quick tab switch and writes into the view it left.
	p.waitJS("the planner's coverage", `/\d/.test(document.querySelector('#coverage-covered-km')?.textContent || '')`, 30*time.Second)
	p.do("open the moderation tab", click("#tab-moderate"))
	li := fmt.Sprintf(`#moderation-queue li[data-public-id="%d"]`, id)
	p.waitJS("the report in the queue", `!!document.querySelector('`+li+`')`, 30*time.Second)
	p.waitJS("its photo shown", `(() => { const i = document.querySelector('`+li+` img[data-photo-id]'); return !!i && i.complete && i.naturalWidth > 0; })()`, 30*time.Second)
	p.waitJS("its near cases", `document.querySelector('`+li+` .near-cases')?.dataset.loaded === 'true'`, 30*time.Second)
	if got := eval[[]int64](p, `[...document.querySelectorAll('`+li+` .near-cases li[data-report-id]')].map((x) => +x.dataset.reportId)`); len(got) != 1 || got[0] != near.ID {
		t.Errorf("near-duplicates shown %v; the open case within 150 m is %d", got, near.ID)
	}
	if n := eval[int](p, `+document.querySelector('#moderation-size').dataset.n`); n != 2 {
		t.Errorf("the queue says %d waiting; 2 were submitted", n)
	}
	if n := eval[int](p, `+window.everymeterMap.getContainer().dataset.moderationPins`); n != 2 {
		t.Errorf("%d pins on the map for 2 queued reports", n)
	}
	p.screenshot("moderation-queue")

	// Reject without a reason: nothing is sent; with one, the report is rejected.
	oli := fmt.Sprintf(`#moderation-queue li[data-public-id="%d"]`, otherID)
	p.do("reject without a reason", click(oli+" button.reject"))
	time.Sleep(300 * time.Millisecond)
	var st string
	if err := s.Store.Pool.QueryRow(ctx, `SELECT status FROM public_reports WHERE id = $1`, otherID).Scan(&st); err != nil || st != "pending" {
		t.Errorf("rejected without a reason: %s %v", st, err)
	}
	p.do("reject with a reason", click(oli+" input.reject-reason"))
	p.do("type the reason", sendKeys(oli+" input.reject-reason", "位置不在本县"), click(oli+" button.reject"))
	p.waitJS("the rejected report gone", `!document.querySelector('`+oli+`')`, 30*time.Second)

	p.do("accept", click(li+" button.accept"))
	p.waitJS("the accepted report gone", `!document.querySelector('`+li+`')`, 30*time.Second)
	var status, reason string
	var caseID *int64
	if err := s.Store.Pool.QueryRow(context.Background(), `SELECT status, report_id, reason FROM public_reports WHERE id = $1`, id).Scan(&status, &caseID, &reason); err != nil {
		t.Fatal(err)
	}
	if status != "accepted" || caseID == nil {
		t.Fatalf("after accept the public report is %s with case %v", status, caseID)
	}
	if err := s.Store.Pool.QueryRow(context.Background(), `SELECT status, reason FROM public_reports WHERE id = $1`, otherID).Scan(&status, &reason); err != nil || status != "rejected" || reason != "位置不在本县" {
		t.Errorf("the other report is %s (%q) %v", status, reason, err)
	}
	r := s.getReport("admin_m", *caseID)
	if r.UnitID == nil || *r.UnitID != unit.ID {
		t.Fatalf("the case went to unit %v; the category's unit is %d", r.UnitID, unit.ID)
	}

	// The owner's queue has the case.
	u := newPage(t, s.URL, 1280, 800, false)
	u.signIn("staff_m", testapp.Password, "unit")
	u.waitJS("the case in the unit's queue", fmt.Sprintf(`!!document.querySelector('#queue li[data-report-id="%d"]')`, *caseID), 30*time.Second)
	u.screenshot("moderation-accepted-unit-queue")
}
