package demo_test

import (
	"bytes"
	"testing"
	"time"

	"everymeter/demo"
)

// TestLifeWalksEveryPathOfTheLoop loads the demo town and its county life on an empty database and checks, in the
// database, that the life is one a county's screens can show: every active category reported, every path of the
// loop taken (each read from the columns and events the service writes, not from the generator), photos on every
// resolution, back-dated over the whole period, and a queue still running with some of it overdue. A second run
// changes nothing.
func TestLifeWalksEveryPathOfTheLoop(t *testing.T) {
	st, svc, _ := load(t)
	now := time.Now()
	var out bytes.Buffer
	res, err := demo.Life(t.Context(), svc, t.TempDir(), now, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Reports < 500 {
		t.Fatalf("life filed %d reports (created %v); want hundreds: %s", res.Reports, res.Created, out.String())
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM reports`); n != int64(res.Reports) {
		t.Errorf("%d reports in the database, Life says %d", n, res.Reports)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM categories c WHERE active AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.category_code = c.code)`); n != 0 {
		t.Errorf("%d active categories never reported", n)
	}
	for what, sql := range map[string]string{
		"closed on time":      `SELECT count(*) FROM reports WHERE status = 'closed' AND resolved_at <= deadline`,
		"closed late":         `SELECT count(*) FROM reports WHERE status = 'closed' AND resolved_at > deadline`,
		"overdue now":         `SELECT count(*) FROM reports WHERE status IN ('dispatched','accepted','rework') AND deadline < now()`,
		"running on time":     `SELECT count(*) FROM reports WHERE status IN ('dispatched','accepted','rework') AND deadline >= now()`,
		"reworked":            `SELECT count(*) FROM report_events WHERE action = 'rework'`,
		"reopened":            `SELECT count(*) FROM reports WHERE reopen_count > 0`,
		"extended":            `SELECT count(*) FROM reports WHERE extension_count > 0`,
		"returned":            `SELECT count(*) FROM report_events WHERE action = 'return'`,
		"re-dispatched":       `SELECT count(*) FROM report_events WHERE action = 'dispatch' AND actor = 'admin'`,
		"voided":              `SELECT count(*) FROM reports WHERE status = 'voided'`,
		"duplicate":           `SELECT count(*) FROM reports WHERE status = 'duplicate' AND duplicate_of IS NOT NULL`,
		"urgent":              `SELECT count(*) FROM reports WHERE urgency = 'urgent'`,
		"photos":              `SELECT count(*) FROM photos`,
		"market hotspot":      `SELECT count(*) FROM reports r JOIN assets a ON a.kind = 'market' AND ST_DWithin(a.geom::geography, r.geom::geography, 30)`,
		"units with 5+ (30d)": `SELECT count(*) FROM (SELECT unit_id FROM reports WHERE created_at > now() - interval '30 days' GROUP BY 1 HAVING count(*) >= 5) x`,
	} {
		if n := scalar[int64](t, st, sql); n == 0 {
			t.Errorf("no report %s: %s", what, sql)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM reports r WHERE r.resolved_at IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM report_events e WHERE e.report_id = r.id AND e.action = 'resolve' AND e.photo_id IS NOT NULL)`); n != 0 {
		t.Errorf("%d resolved reports without an after photo", n)
	}
	// More problems where people trade: reports per km within 100 m of a market beat the town's average.
	near := scalar[float64](t, st, `SELECT count(*)::float8 FROM reports r WHERE EXISTS (SELECT 1 FROM assets a WHERE a.kind = 'market' AND ST_DWithin(a.geom::geography, r.geom::geography, 100))`)
	if total := float64(res.Reports); near < 0.15*total {
		t.Errorf("only %.0f of %.0f reports near the two markets", near, total)
	}
	// Back-dated through the service's clock: the filings span the period, and no step is in the future.
	span := scalar[float64](t, st, `SELECT extract(epoch FROM max(created_at) - min(created_at)) / 86400 FROM reports`)
	if span < float64(demo.LifeDays)-3 {
		t.Errorf("reports span %.1f days, want about %d", span, demo.LifeDays)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM report_events WHERE at > $1`, now.Add(time.Second)); n != 0 {
		t.Errorf("%d events after now", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM reports r JOIN report_events e ON e.report_id = r.id AND e.action = 'create' WHERE e.at <> r.created_at`); n != 0 {
		t.Errorf("%d reports whose filing event is not at their created_at", n)
	}
	// Idempotent.
	again, err := demo.Life(t.Context(), svc, t.TempDir(), time.Now(), &out)
	if err != nil || again.Created {
		t.Fatalf("second Life: %+v, %v", again, err)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM reports`); n != int64(res.Reports) {
		t.Errorf("second Life changed the reports: %d, was %d", n, res.Reports)
	}
}

// TestBaseMapUnderTheTown checks the demo's base map in PostGIS: every layer drawn, buildings clear of every road
// and alley and inside the town's blocks, the river outside the network, and loading again writes nothing.
func TestBaseMapUnderTheTown(t *testing.T) {
	st, svc, _ := load(t)
	for _, layer := range []string{"landuse", "water", "building", "place"} {
		if n := scalar[int64](t, st, `SELECT count(*) FROM base_features WHERE layer = $1`, layer); n == 0 {
			t.Errorf("no %s in the base map", layer)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM base_features b JOIN assets a ON a.kind IN ('road', 'alley')
			AND ST_DWithin(a.geom, b.geom, 0.0001) AND ST_DWithin(a.geom::geography, b.geom::geography, 3) WHERE b.layer = 'building'`); n != 0 {
		t.Errorf("%d buildings within 3 m of a road or alley", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM base_features b JOIN assets a ON a.kind IN ('market', 'park')
			AND ST_Intersects(a.geom, b.geom) WHERE b.layer = 'building'`); n != 0 {
		t.Errorf("%d buildings in a market or a park", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM base_features b WHERE b.layer = 'building' AND NOT EXISTS (
			SELECT 1 FROM base_features l WHERE l.layer = 'landuse' AND l.class <> 'park' AND ST_Within(b.geom, l.geom))`); n != 0 {
		t.Errorf("%d buildings outside every block", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM base_features b JOIN assets a ON ST_Intersects(a.geom, b.geom)
			WHERE b.class = 'river'`); n != 0 {
		t.Errorf("the river crosses %d assets", n)
	}
	res, err := demo.Load(t.Context(), svc, nil)
	if err != nil || res.BaseWritten != 0 {
		t.Errorf("loading again wrote %d base features (%v)", res.BaseWritten, err)
	}
}
