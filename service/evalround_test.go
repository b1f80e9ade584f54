package service_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"everymeter/domain"
	"everymeter/vocab"
)

func jpegBytes(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRoundFailuresBecomeCases runs two rounds over the same sites: round one's failures are filed as cases at
// the round's deadline, routed to the site's owner, in the item's category; the unit fixes one; the ledger shows
// one rectified, one open; round two passes the fixed item's neighbour and fails the fixed item again — a rebound.
func TestRoundFailuresBecomeCases(t *testing.T) {
	town := newEvalTown(t)
	ctx := t.Context()
	due := time.Date(2026, 12, 15, 10, 0, 0, 0, time.UTC)
	nr := domain.NewRound{Name: "第一轮模拟测评", StartsOn: "2026-12-01", EndsOn: "2026-12-03", RectifyBy: due,
		AssetIDs: []int64{town.assets["文化巷"], town.assets["中心菜市场"]}, Evaluators: []int64{town.insp.ID}}
	r1, err := town.eval.CreateRound(ctx, town.admin, nr)
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Sites) != 2 || len(r1.Items) == 0 {
		t.Fatalf("round has %d sites and %d items", len(r1.Sites), len(r1.Items))
	}
	var alley, market domain.EvalSite
	for _, s := range r1.Sites {
		switch s.SiteType {
		case string(vocab.AlleySite):
			alley = s
		case string(vocab.MarketSite):
			market = s
		}
	}
	if alley.UnitName != "综合执法局" || market.UnitName != "城关镇" {
		t.Fatalf("site owners: alley %q, market %q", alley.UnitName, market.UnitName)
	}
	item := func(r domain.EvalRound, code string) domain.EvalItem {
		for _, it := range r.Items {
			if it.Code == code {
				return it
			}
		}
		t.Fatalf("round %d has no item %s", r.ID, code)
		return domain.EvalItem{}
	}
	// Bad input: an item of another site type, an unknown outcome.
	if _, err := town.eval.Record(ctx, town.insp, r1.ID, []domain.NewResult{{SiteID: alley.ID, ItemID: item(r1, "NMSC-01").ID, Outcome: "fail"}}); !errors.Is(err, domain.ErrInvalid) && !isValidation(err) {
		t.Errorf("a market item at an alley: %v, want a validation error", err)
	}
	// Someone who is not an evaluator of the round.
	if _, err := town.eval.Record(ctx, town.staffWest, r1.ID, []domain.NewResult{{SiteID: alley.ID, ItemID: item(r1, "BJXX-01").ID, Outcome: "pass"}}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("unit staff scoring: %v, want forbidden", err)
	}
	water := 1.5
	results := []domain.NewResult{
		{SiteID: alley.ID, ItemID: item(r1, "BJXX-01").ID, Outcome: "pass"},
		{SiteID: alley.ID, ItemID: item(r1, "BJXX-02").ID, Outcome: "fail", Note: "墙角有垃圾", Photo: jpegBytes(t, color.Black)},
		{SiteID: alley.ID, ItemID: item(r1, "BJXX-03").ID, Outcome: "na"},
		{SiteID: alley.ID, ItemID: item(r1, "BJXX-04").ID, Outcome: "pass"},
		{SiteID: market.ID, ItemID: item(r1, "NMSC-06").ID, Value: &water}, // standing water: the measure decides
	}
	saved, err := town.eval.Record(ctx, town.insp, r1.ID, results)
	if err != nil {
		t.Fatal(err)
	}
	// Syncing the same outbox again files nothing new.
	again, err := town.eval.Record(ctx, town.insp, r1.ID, results)
	if err != nil {
		t.Fatal(err)
	}
	var cases []int64
	for i, s := range saved {
		if (s.Outcome == "fail") != (s.ReportID != nil) {
			t.Errorf("result %d: outcome %s, case %v", i, s.Outcome, s.ReportID)
		}
		if s.ReportID != nil {
			cases = append(cases, *s.ReportID)
			if again[i].ReportID == nil || *again[i].ReportID != *s.ReportID {
				t.Errorf("a second sync of result %d filed %v, want case %d again", i, again[i].ReportID, *s.ReportID)
			}
		}
	}
	if saved[4].Outcome != "fail" {
		t.Errorf("1.5 ㎡ of standing water against a threshold of at most 0 judged %q", saved[4].Outcome)
	}
	if len(cases) != 2 {
		t.Fatalf("%d cases filed, want 2", len(cases))
	}
	rubbish, err := town.st.Report(ctx, cases[0])
	if err != nil {
		t.Fatal(err)
	}
	puddle, err := town.st.Report(ctx, cases[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, cat, unit string
		r               domain.Report
	}{{"rubbish", "SRHJ-01", "综合执法局", rubbish}, {"standing water", "SCZX-01", "城关镇", puddle}} {
		if c.r.CategoryCode != c.cat || c.r.UnitName != c.unit || c.r.Deadline == nil || !c.r.Deadline.Equal(due) ||
			c.r.Status != string(vocab.Dispatched) || c.r.Source != string(vocab.FromEval) {
			t.Errorf("%s case: category %s, unit %q, deadline %v, status %s, source %s; want %s, %s, %v, dispatched, evaluation",
				c.name, c.r.CategoryCode, c.r.UnitName, c.r.Deadline, c.r.Status, c.r.Source, c.cat, c.unit, due)
		}
	}
	if ps, _ := town.st.PhotosOf(ctx, rubbish.ID); len(ps) != 1 {
		t.Errorf("the rubbish case has %d photos, want the evaluator's one", len(ps))
	}
	// The score: the alley passed items weighing 3 + 2 of the 3 + 3 + 2 judged (n/a left out) = 5/8; the market failed its only
	// judged item.
	sc, err := town.eval.Scores(ctx, town.leader(t), r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sc.Sites {
		want := map[int64]float64{alley.ID: 62.5, market.ID: 0}[s.SiteID]
		if s.Score == nil || *s.Score != want {
			t.Errorf("site %s scored %v, want %v", s.Name, s.Score, want)
		}
	}

	// The market's unit fixes the standing water (an after photo, then resolve).
	staff := domain.Principal{ID: town.staffWest.ID, Name: "cgz", Role: string(vocab.UnitStaff), UnitID: &town.west}
	up, err := town.reports.AddPhoto(ctx, staff, puddle.ID, jpegBytes(t, color.White))
	if err != nil {
		t.Fatal(err)
	}
	for _, mv := range []domain.Move{{Action: "accept"}, {Action: "resolve", PhotoID: &up.Photo.ID}} {
		if _, _, err := town.reports.Transition(ctx, staff, puddle.ID, mv); err != nil {
			t.Fatalf("%s: %v", mv.Action, err)
		}
	}
	l, err := town.eval.RoundLedger(ctx, town.admin, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Total != 2 || l.Rectified != 1 || l.Open != 1 || l.OnTime != 1 {
		t.Errorf("ledger: %d rows, %d rectified, %d open, %d on time; want 2, 1, 1, 1", l.Total, l.Rectified, l.Open, l.OnTime)
	}
	for _, row := range l.Rows {
		if row.ReportID == puddle.ID && (row.AfterPhotoID == nil || *row.AfterPhotoID != up.Photo.ID || !row.Rectified) {
			t.Errorf("the fixed line: %+v", row)
		}
		if row.ReportID == rubbish.ID && (row.BeforePhotoID == nil || row.Rectified) {
			t.Errorf("the open line: %+v", row)
		}
	}
	if own, err := town.eval.RoundLedger(ctx, staff, r1.ID); err != nil || own.Total != 1 || own.Rows[0].ReportID != puddle.ID {
		t.Errorf("城关镇's own ledger: %+v, %v; want only the market's line", own, err)
	}

	// Round two: the market's water is back (a rebound); the alley's rubbish is gone (re-checked).
	nr.Name, nr.StartsOn, nr.EndsOn = "第二轮模拟测评", "2026-12-16", "2026-12-17"
	nr.RectifyBy = due.AddDate(0, 0, 14)
	r2, err := town.eval.CreateRound(ctx, town.admin, nr)
	if err != nil {
		t.Fatal(err)
	}
	saved2, err := town.eval.Record(ctx, town.insp, r2.ID, []domain.NewResult{
		{SiteID: market.ID, ItemID: item(r2, "NMSC-06").ID, Value: &water},
		{SiteID: alley.ID, ItemID: item(r2, "BJXX-02").ID, Outcome: "pass"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if saved2[0].ReboundOf == nil || *saved2[0].ReboundOf != saved[4].ID || saved2[0].ReportID == nil {
		t.Errorf("the market's water again: rebound of %v, case %v; want a rebound of result %d with a new case", saved2[0].ReboundOf, saved2[0].ReportID, saved[4].ID)
	}
	r1res, err := town.eval.Results(ctx, town.admin, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range r1res {
		if r.ID == saved[1].ID && (r.RecheckedBy == nil || *r.RecheckedBy != saved2[1].ID) {
			t.Errorf("round one's rubbish failure: rechecked by %v, want result %d", r.RecheckedBy, saved2[1].ID)
		}
	}
	l1, _ := town.eval.RoundLedger(ctx, town.admin, r1.ID)
	if l1.Rectified != 2 {
		t.Errorf("after the re-check round one's ledger has %d rectified, want 2", l1.Rectified)
	}
	l2, _ := town.eval.RoundLedger(ctx, town.admin, r2.ID)
	if l2.Rebounds != 1 {
		t.Errorf("round two's ledger counts %d rebounds, want 1", l2.Rebounds)
	}
	rd, err := town.eval.Readiness(ctx, town.leader(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Trend) != 2 || rd.Trend[0].County == nil {
		t.Errorf("score trend: %+v", rd.Trend)
	}
}
