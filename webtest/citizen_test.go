package webtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/store"
)

// TestResidentReportsAtPhoneWidth: at 375 px a resident files a report with a photo on the public page and gets a
// tracking code; staff accept it and the unit fixes it; the resident's page shows the after photo and records
// 不满意; the case goes back for re-check and the unit's 满意率 in the ranking changes.
func TestResidentReportsAtPhoneWidth(t *testing.T) {
	s := newSite(t, false)
	ctx := t.Context()
	unit, err := s.Store.UpsertUnit(ctx, store.Unit{Code: "CIT", Name: "城管中队", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	s.user("admin1", "admin", "")
	s.user("insp1", "inspector", "")
	s.user("staff1", "unit_staff", "CIT")
	s.user("lead1", "leader", "")
	if res := s.Do("admin1", "PATCH", "/api/v1/categories/SRHJ-01", map[string]any{"default_unit_id": unit.ID}); res.Status != 200 {
		t.Fatalf("category: %d %s", res.Status, res.Body)
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "rubbish.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	p := newPage(t, s.URL, 375, 812, true)
	p.do("fill the public form",
		chromedp.Navigate(s.URL+"/report"),
		chromedp.WaitVisible("#submit"),
		chromedp.SetValue("#category", "SRHJ-01"),
		chromedp.SetValue("#lon", "113.62"),
		chromedp.SetValue("#lat", "34.75"),
		chromedp.SendKeys("#description", "路边有暴露垃圾"),
		chromedp.SendKeys("#nickname", "王阿姨"),
		chromedp.SendKeys("#phone", "13700001111"),
		chromedp.SetUploadFiles("#photo", []string{photo}),
	)
	if w := eval[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		p.fail("the form is %v px wide at a 375 px phone", w)
	}
	// The form posts and the server redirects to the tracking page (a navigation: wait for its element).
	p.do("submit", chromedp.Click("#submit"), chromedp.WaitVisible("#code"))
	code := eval[string](p, `document.getElementById("code").textContent`)
	if len(code) != 10 {
		p.fail("tracking code %q", code)
	}

	var queue struct {
		Items []struct {
			ID    int64  `json:"id"`
			Code  string `json:"code"`
			Phone string `json:"phone"`
		} `json:"items"`
	}
	s.get("admin1", "/api/v1/moderation/queue", &queue)
	if len(queue.Items) != 1 || queue.Items[0].Code != code || queue.Items[0].Phone != "13700001111" {
		t.Fatalf("queue %+v", queue.Items)
	}
	var accepted struct {
		ReportID int64 `json:"report_id"`
	}
	res := s.Do("admin1", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", queue.Items[0].ID), map[string]any{"action": "accept", "reason": "属实"})
	if res.Status != 200 {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &accepted)
	s.transition("staff1", accepted.ReportID, map[string]any{"action": "accept"})
	after := s.uploadPhoto("staff1", accepted.ReportID, photo)
	s.transition("staff1", accepted.ReportID, map[string]any{"action": "resolve", "photo_id": after})
	s.transition("insp1", accepted.ReportID, map[string]any{"action": "verify"})

	rate := func() (float64, int64) {
		var st struct {
			Items []struct {
				UnitID int64    `json:"unit_id"`
				Rated  int64    `json:"rated"`
				Rate   *float64 `json:"satisfaction_rate"`
			} `json:"items"`
		}
		s.get("lead1", "/api/v1/stats/units?from=2020-01-01&to=2040-01-01", &st)
		for _, it := range st.Items {
			if it.UnitID == unit.ID && it.Rate != nil {
				return *it.Rate, it.Rated
			}
		}
		return -1, 0
	}
	if r, n := rate(); n != 0 {
		t.Fatalf("满意率 %v of %d before any rating", r, n)
	}

	p.do("reload the tracking page", chromedp.Navigate(s.URL+"/r/"+code), chromedp.WaitVisible("#rate-unsatisfied"))
	p.waitJS("the after photo", fmt.Sprintf(`(() => { const i = document.querySelector('img[data-photo="%d"]'); return !!i && i.complete && i.naturalWidth > 0 })()`, after), 10*time.Second)
	steps := eval[string](p, `[...document.querySelectorAll("#timeline li")].map(l => l.dataset.step).join(",")`)
	if steps != "received,accepted,dispatched,taken,fixed,closed" {
		p.fail("timeline %s", steps)
	}
	body := eval[string](p, `document.body.innerText`)
	if strings.Contains(body, "13700001111") || strings.Contains(body, "王阿姨") || strings.Contains(body, "属实") {
		p.fail("the public page shows the reporter or a staff note: %s", body)
	}
	p.screenshot("citizen-status-375")
	p.do("rate 不满意", chromedp.Click("#rate-unsatisfied"), chromedp.WaitVisible(`#timeline li[data-step="recheck"]`))
	var c struct {
		Status string `json:"status"`
	}
	s.get("admin1", fmt.Sprintf("/api/v1/reports/%d", accepted.ReportID), &c)
	if c.Status != "resolved" {
		t.Fatalf("after 不满意 the case is %s, want resolved (back for re-check)", c.Status)
	}
	if r, n := rate(); n != 1 || r != 0 {
		t.Fatalf("after one 不满意 the unit's 满意率 is %v of %d ratings, want 0 of 1", r, n)
	}
}
