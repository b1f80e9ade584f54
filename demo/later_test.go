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
	if _, err := demo.Life(t.Context(), svc, dir, now, nil); err != nil {
		t.Fatal(err)
	}
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
	again, err := demo.Later(t.Context(), svc, dir, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != (demo.LaterResult{}) {
		t.Errorf("a second run did something: %+v", again)
	}
}
