package webtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"everymeter/handlers"
	"everymeter/internal/testapp"
	"everymeter/vocab"
)

// TestEvaluationRoundToLedger is issue 15's journey over the demo town: an admin creates a round (a back alley and
// a market drawn at random); the evaluator scores both sites on a phone without signal and syncs; each site's
// failed item is a case in its owner's queue, due at the round's rectification deadline; the unit fixes one; the
// ledger (screen and .xlsx, read back with excelize) shows one rectified and one open; the leader's readiness
// view and the briefing show the scores.
func TestEvaluationRoundToLedger(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("eval_admin", "admin", "")
	s.user("eval_insp", "inspector", "")
	s.user("eval_leader", "leader", "")
	ctx := t.Context()
	name := "模拟测评 " + t.Name()

	a := newPage(t, s.URL, 1280, 900, false)
	a.signIn("eval_admin", testapp.Password, "planner")
	a.do("open the evaluation tab", click("#tab-eval"))
	a.waitJS("the round form with its evaluators", `!!document.querySelector('#round-evaluators input[data-username="eval_insp"]')`, 15*time.Second)
	eval[bool](a, `(() => { for (const i of document.querySelectorAll('#round-evaluators input')) i.checked = i.dataset.username === 'eval_insp'; return true; })()`)
	a.do("fill the round", chromedp.SetValue("#round-name", name), chromedp.SetValue("#sample-alley", "1"), chromedp.SetValue("#sample-market", "1"))
	a.do("create it", click("#round-create"))
	a.waitJS("the new round with two sites", `document.querySelectorAll('#sites li').length === 2`, 30*time.Second)
	a.screenshot("eval-round-created")
	var roundID int64
	var rectifyBy time.Time
	if err := s.Store.Pool.QueryRow(ctx, `SELECT id, rectify_by FROM eval_rounds WHERE name = $1`, name).Scan(&roundID, &rectifyBy); err != nil {
		t.Fatalf("the round is not stored: %v", err)
	}
	if eval[string](a, `document.querySelector('#round-detail').dataset.roundId`) != fmt.Sprint(roundID) {
		t.Fatal("the page shows another round than the one created")
	}
	var round struct {
		Sites []struct {
			ID       int64  `json:"id"`
			SiteType string `json:"site_type"`
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"sites"`
		Items []struct {
			ID       int64  `json:"id"`
			SiteType string `json:"site_type"`
		} `json:"items"`
	}
	s.get("eval_admin", fmt.Sprintf("/api/v1/eval/rounds/%d", roundID), &round)
	items := 0
	for _, st := range round.Sites {
		for _, it := range round.Items {
			if it.SiteType == st.SiteType {
				items++
			}
		}
	}

	// The evaluator, on a phone that has lost signal: every item of both sites, the first of each failing.
	p := newPage(t, s.URL, 375, 812, true)
	p.signIn("eval_insp", testapp.Password, "inspector")
	p.do("open the evaluation tab", click("#tab-eval"))
	p.waitJS("the round's sites", fmt.Sprintf(`document.querySelector('#round-detail') && document.querySelector('#round-detail').dataset.roundId === '%d' && document.querySelectorAll('#sites li').length === 2`, roundID), 20*time.Second)
	p.setOnline(false)
	for i, st := range round.Sites {
		li := fmt.Sprintf(`#sites li[data-site-id="%d"]`, st.ID)
		p.do("open the checklist", click(li+` [data-testid=score-site]`))
		p.waitJS("the checklist", `document.querySelectorAll('#checklist li').length > 0`, 10*time.Second)
		eval[bool](p, `(() => { document.querySelectorAll('#checklist li').forEach((li, i) => li.querySelector(i === 0 ? '[data-outcome=fail]' : '[data-outcome=pass]').click()); return true; })()`)
		p.do("save the site", click("#site-save"))
		p.waitJS("the verdicts in the outbox", fmt.Sprintf(`document.querySelector('#queue-count').dataset.n === '%d'`, i+1), 15*time.Second)
	}
	p.screenshot("eval-offline-queued")
	var stored int
	if err := s.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM eval_results WHERE round_id = $1`, roundID).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("while offline %d results reached the server (%v); want none", stored, err)
	}
	p.setOnline(true)
	p.waitJS("the outbox to empty", `document.querySelector('#queue-count').dataset.n === '0'`, 40*time.Second)
	type kase struct {
		id       int64
		unitID   *int64
		deadline *time.Time
		status   string
	}
	var cases []kase
	deadline := time.Now().Add(slack * 20 * time.Second)
	for time.Now().Before(deadline) {
		cases = cases[:0]
		rows, err := s.Store.Pool.Query(ctx, `SELECT r.id, r.unit_id, r.deadline, r.status FROM eval_results e JOIN reports r ON r.id = e.report_id
			WHERE e.round_id = $1 ORDER BY e.site_id`, roundID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c kase
			if err := rows.Scan(&c.id, &c.unitID, &c.deadline, &c.status); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c)
		}
		rows.Close()
		if len(cases) == 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := s.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM eval_results WHERE round_id = $1`, roundID).Scan(&stored); err != nil || stored != items {
		t.Errorf("after syncing %d results are stored (%v); want the %d verdicts", stored, err, items)
	}
	if len(cases) != 2 {
		t.Fatalf("%d cases filed from the round's failures, want 2", len(cases))
	}
	// Each case is in its owner's queue (that unit's staff list it), due at the round's deadline, not the category's.
	for i, c := range cases {
		if c.deadline == nil || !c.deadline.Equal(rectifyBy) || c.status != string(vocab.Dispatched) || c.unitID == nil {
			t.Fatalf("case %d: deadline %v, status %s, unit %v; want dispatched to a unit, due %v", c.id, c.deadline, c.status, c.unitID, rectifyBy)
		}
		var code string
		if err := s.Store.Pool.QueryRow(ctx, `SELECT code FROM units WHERE id = $1`, *c.unitID).Scan(&code); err != nil {
			t.Fatal(err)
		}
		staff := fmt.Sprintf("eval_staff_%d", i)
		s.user(staff, "unit_staff", code)
		var queue struct {
			Features []struct {
				Properties struct {
					ID int64 `json:"id"`
				} `json:"properties"`
			} `json:"features"`
		}
		s.get(staff, "/api/v1/reports?status=dispatched&limit=500", &queue)
		found := false
		for _, f := range queue.Features {
			found = found || f.Properties.ID == c.id
		}
		if !found {
			t.Errorf("case %d is not in the queue of its unit %s", c.id, code)
		}
	}

	// The first case's unit fixes it (accept, after photo, resolve).
	fixed := cases[0].id
	s.transition("eval_staff_0", fixed, map[string]any{"action": "accept"})
	photo := s.uploadPhoto("eval_staff_0", fixed, afterPhoto(t))
	s.transition("eval_staff_0", fixed, map[string]any{"action": "resolve", "photo_id": photo, "note": "已清理"})

	// The ledger on screen.
	a.do("reload the evaluation tab", reload())
	a.waitJS("the ledger: one rectified, one open", `(() => { const l = document.querySelector('#ledger-totals'); return !!l && l.dataset.total === '2' && l.dataset.rectified === '1' && l.dataset.open === '1'; })()`, 30*time.Second)
	if got := eval[string](a, fmt.Sprintf(`document.querySelector('#ledger tr[data-report-id="%d"]').dataset.rectified`, fixed)); got != "true" {
		t.Errorf("the fixed case's ledger line says rectified=%s", got)
	}
	a.screenshot("eval-ledger")
	var ledger struct {
		Total, Rectified, Open int
		Rows                   []struct {
			ReportID  int64 `json:"report_id"`
			Rectified bool  `json:"rectified"`
			Status    string
		}
	}
	s.get("eval_admin", fmt.Sprintf("/api/v1/eval/rounds/%d/ledger", roundID), &ledger)

	// The same ledger as .xlsx, read back with excelize, matches the API line by line.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/eval/rounds/%d/ledger?format=xlsx", s.URL, roundID), nil)
	req.Header.Set("Authorization", "Bearer "+s.Tokens["eval_admin"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("ledger .xlsx: %d %s", res.StatusCode, body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the .xlsx does not open: %v", err)
	}
	defer x.Close()
	sheet, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != 2+ledger.Total+1 || strings.Join(sheet[1], "|") != strings.Join(handlers.LedgerHeader, "|") {
		t.Fatalf("the .xlsx has %d rows (header %q); want title, header, %d lines, totals", len(sheet), sheet[1], ledger.Total)
	}
	col := func(name string) int {
		for i, h := range handlers.LedgerHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	rectified, open := 0, 0
	for i, line := range ledger.Rows {
		row := sheet[2+i]
		if row[col("案卷号")] != fmt.Sprint(line.ReportID) || row[col("状态")] != vocab.Status(line.Status).Label().Zh {
			t.Errorf(".xlsx line %d: case %s status %s; the API says case %d %s", i+1, row[col("案卷号")], row[col("状态")], line.ReportID, line.Status)
		}
		if statusOf(row[col("状态")]).Handled() {
			rectified++
		} else {
			open++
		}
	}
	if rectified != 1 || open != 1 || ledger.Rectified != 1 || ledger.Open != 1 {
		t.Errorf("ledger: .xlsx %d rectified %d open, API %d and %d; want one of each", rectified, open, ledger.Rectified, ledger.Open)
	}

	// The leader's readiness view and the briefing show the scores.
	var scores struct {
		County *float64 `json:"county"`
	}
	s.get("eval_leader", fmt.Sprintf("/api/v1/eval/rounds/%d/scores", roundID), &scores)
	if scores.County == nil || *scores.County <= 0 || *scores.County >= 100 {
		t.Fatalf("county score %v: with one failure per site it is strictly between 0 and 100", scores.County)
	}
	l := newPage(t, s.URL, 1280, 900, false)
	l.signIn("eval_leader", testapp.Password, "leader")
	l.do("open the evaluation tab", click("#tab-eval"))
	want := fmt.Sprintf("%.1f", *scores.County)
	l.waitJS("the county score", fmt.Sprintf(`(document.querySelector('#county-score') || {}).textContent === %q`, want), 20*time.Second)
	l.waitJS("the readiness view", fmt.Sprintf(`!!document.querySelector('#trend-list li[data-round-id="%d"]') && document.querySelectorAll('#readiness-units tr').length >= 1`, roundID), 20*time.Second)
	l.screenshot("eval-readiness")
	// Summed over the units: one of the two items rectified on time.
	onTime := eval[string](l, `(() => { let a = 0, b = 0; for (const tr of document.querySelectorAll('#readiness-units tr')) { const [x, y] = tr.children[1].textContent.split('/').map(Number); a += x; b += y; } return a + '/' + b; })()`)
	if onTime != "1/2" {
		t.Errorf("the readiness view by unit counts %s rectified on time; want 1/2", onTime)
	}
	br := s.Do("eval_leader", "GET", "/api/v1/briefing", nil)
	if br.Status != 200 || !strings.Contains(string(br.Body), "六、模拟测评与整改") || !strings.Contains(string(br.Body), name) ||
		!strings.Contains(string(br.Body), ">"+want+"<") {
		t.Errorf("the briefing (%d) does not show round %q with its county score %s", br.Status, name, want)
	}
}

// TestEvaluationFeedbackUpload is the feedback list uploaded in the web app: the row with coordinates is filed,
// the one without a place is listed to pin by hand, and uploading the list again files nothing.
func TestEvaluationFeedbackUpload(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("fb_admin", "admin", "")
	sp := coveredSpot(s, "fb_admin")
	f := excelize.NewFile()
	rows := [][]any{{"省测评反馈问题清单"}, {"序号", "点位", "问题描述", "经度", "纬度"},
		{1, "某路口", "暴露垃圾", sp.Lon, sp.Lat}, {2, "县医院门口", "非法小广告", nil, nil}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := t.TempDir() + "/反馈清单.xlsx"
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	a := newPage(t, s.URL, 1280, 900, false)
	a.signIn("fb_admin", testapp.Password, "planner")
	a.do("open the evaluation tab", click("#tab-eval"))
	for i, want := range []string{"1", "0"} {
		a.do("choose the list", chromedp.SetUploadFiles("#feedback-file", []string{path}, chromedp.NodeReady))
		eval[bool](a, `(() => { delete document.querySelector('#feedback-result').dataset.filed; return true; })()`)
		a.do("import it", click("#feedback-import"))
		a.waitJS("the import's answer", `document.querySelector('#feedback-result').dataset.filed !== undefined`, 20*time.Second)
		if got := eval[string](a, `document.querySelector('#feedback-result').dataset.filed + '/' + document.querySelector('#feedback-result').dataset.unlocated`); got != want+"/1" {
			t.Errorf("upload %d: filed/unlocated %s, want %s/1", i+1, got, want)
		}
	}
	if txt := eval[string](a, `document.querySelector('#feedback-unlocated').textContent`); !strings.Contains(txt, "县医院门口") {
		t.Errorf("the unlocated list %q does not name the row", txt)
	}
	var n int
	if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM reports WHERE source = 'feedback'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d feedback cases stored (%v), want 1", n, err)
	}
}

// statusOf maps a status label of the .xlsx back to the status.
func statusOf(label string) vocab.Status {
	for _, s := range vocab.Statuses {
		if s.Label().Zh == label {
			return s
		}
	}
	return vocab.Status(label)
}
