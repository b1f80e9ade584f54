package demo_test

import (
	"bytes"
	"testing"
	"time"

	"everymeter/demo"
)

// TestLaterFillsTheLaterCapabilities runs the whole demo (town, life, later) on an empty database and checks in the
// database what the later capabilities' screens read: patrol pieces matched on most of the network over the period
// with the east of the town left stale, and a second run changes nothing.
func TestLaterFillsTheLaterCapabilities(t *testing.T) {
	st, svc, _ := load(t)
	now := time.Now()
	dir := t.TempDir()
	start := time.Now()
	var lout bytes.Buffer
	if _, err := demo.Life(t.Context(), svc, dir, now, &lout); err != nil {
		t.Fatal(err)
	}
	t.Log(lout.String())
	lived := time.Since(start)
	var out bytes.Buffer
	res, err := demo.Later(t.Context(), svc, dir, now, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("life in %s, later in %s: %s", lived.Round(time.Millisecond), (time.Since(start) - lived).Round(time.Millisecond), out.String())
	if res.Patrols < 60 {
		t.Errorf("%d patrol tracks in %d days", res.Patrols, demo.LifeDays)
	}
	// Patrolled share of the road network over the period, from the matched pieces (PostGIS lengths).
	walked := scalar[float64](t, st, `SELECT coalesce(sum(a.length_m), 0) / (SELECT sum(length_m) FROM assets WHERE kind = 'road')
		FROM assets a WHERE a.kind = 'road' AND EXISTS (SELECT 1 FROM patrol_pieces p WHERE p.asset_id = a.id)`)
	if walked < 0.5 {
		t.Errorf("only %.0f%% of the road network was ever patrolled", walked*100)
	}
	// Stale: roads walked in the period but not in the last week.
	stale := scalar[int64](t, st, `SELECT count(*) FROM assets a WHERE a.kind = 'road' AND NOT EXISTS (SELECT 1 FROM patrol_pieces p
		WHERE p.asset_id = a.id AND p.last_at > now() - interval '7 days')`)
	if stale == 0 {
		t.Error("every road was patrolled in the last week: nothing stale to show")
	}
	// Residents: every moderation outcome, a few still queued, accepted ones are cases of the loop with the
	// resident's photo, and every rating given on a closed case.
	for what, sql := range map[string]string{
		"accepted as a case":  `SELECT count(*) FROM public_reports p JOIN reports r ON r.id = p.report_id AND r.source = 'citizen' WHERE p.status = 'accepted'`,
		"merged into a case":  `SELECT count(*) FROM public_reports p JOIN reports r ON r.id = p.report_id AND r.source <> 'citizen' WHERE p.status = 'merged'`,
		"rejected, reasoned":  `SELECT count(*) FROM public_reports WHERE status = 'rejected' AND reason <> ''`,
		"with a photo":        `SELECT count(*) FROM public_photos`,
		"rated 满意":            `SELECT count(*) FROM satisfaction WHERE rating = 'satisfied'`,
		"rated 基本满意":          `SELECT count(*) FROM satisfaction WHERE rating = 'basically'`,
		"rated 不满意":           `SELECT count(*) FROM satisfaction WHERE rating = 'unsatisfied'`,
		"closed citizen case": `SELECT count(*) FROM reports WHERE source = 'citizen' AND status = 'closed'`,
	} {
		if n := scalar[int64](t, st, sql); n == 0 {
			t.Errorf("no public report %s: %s", what, sql)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM public_reports WHERE status = 'pending'`); n < 1 || n > 15 {
		t.Errorf("%d public reports wait for moderation; want a few", n)
	}
	// 部件 of most kinds along the streets, each with its owner; shops with frontages on the commercial streets
	// and agreements valid and expired.
	if n := scalar[int64](t, st, `SELECT count(DISTINCT kind) FROM parts WHERE owner_unit_id IS NOT NULL`); n < 6 {
		t.Errorf("%d kinds of 部件", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM parts WHERE state <> 'intact'`); n == 0 {
		t.Error("no damaged or missing 部件")
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM shops s JOIN frontages f ON f.shop_id = s.id`); n < 24 {
		t.Errorf("%d shops with a frontage; want a few dozen", n)
	}
	for what, sql := range map[string]string{
		"valid":   `SELECT count(DISTINCT shop_id) FROM agreements WHERE current_date BETWEEN valid_from AND valid_to`,
		"expired": `SELECT count(*) FROM shops s WHERE EXISTS (SELECT 1 FROM agreements a WHERE a.shop_id = s.id) AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.shop_id = s.id AND current_date <= a.valid_to)`,
		"none":    `SELECT count(*) FROM shops s WHERE NOT EXISTS (SELECT 1 FROM agreements a WHERE a.shop_id = s.id)`,
	} {
		if n := scalar[int64](t, st, sql); n == 0 {
			t.Errorf("no shop whose agreement is %s", what)
		}
	}
	// The evaluation: a round with verdicts and failures filed as cases, the feedback list filed, and a ledger with
	// lines rectified on time, late, and still open.
	if n := scalar[int64](t, st, `SELECT count(*) FROM eval_results WHERE outcome = 'fail' AND report_id IS NOT NULL`); n == 0 {
		t.Error("the mock round failed nothing")
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM feedback_rows WHERE report_id IS NOT NULL`); n < 10 {
		t.Errorf("%d feedback rows filed", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM feedback_rows WHERE report_id IS NULL`); n == 0 {
		t.Error("no unlocated feedback row")
	}
	for what, sql := range map[string]string{
		"on time": `SELECT count(*) FROM reports r JOIN eval_results e ON e.report_id = r.id WHERE r.resolved_at <= r.deadline`,
		"late":    `SELECT count(*) FROM reports r JOIN eval_results e ON e.report_id = r.id WHERE r.resolved_at > r.deadline`,
		"overdue": `SELECT count(*) FROM reports r JOIN eval_results e ON e.report_id = r.id WHERE r.resolved_at IS NULL AND r.deadline < now()`,
	} {
		if n := scalar[int64](t, st, sql); n == 0 {
			t.Errorf("no round case rectified %s", what)
		}
	}
	again, err := demo.Later(t.Context(), svc, dir, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != (demo.LaterResult{}) {
		t.Errorf("a second run did something: %+v", again)
	}
}
