package handlers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/internal/testapp"
	"everymeter/service"
)

// A 4 × 3 street grid about 100 m apart: rows are roads (west → east), columns alleys (south → north), all
// sharing their crossing vertices.
var (
	gridOrigin = orb.Point{114.30, 35.70}
	gridDX     = 0.0011 // ≈ 99 m of longitude here
	gridDY     = 0.0009 // ≈ 100 m of latitude
)

func gridPoint(x, y float64) orb.Point {
	return orb.Point{gridOrigin[0] + x*gridDX, gridOrigin[1] + y*gridDY}
}

// patrolWorld is a test app with the grid loaded; rows[y] and cols[x] are the asset ids.
type patrolWorld struct {
	a          *testapp.App
	rows, cols []int64
}

func newPatrolWorld(t *testing.T) *patrolWorld {
	a := testapp.New(t)
	w := &patrolWorld{a: a}
	var as []domain.Asset
	for y := 0; y < 3; y++ {
		var ls orb.LineString
		for x := 0; x < 4; x++ {
			ls = append(ls, gridPoint(float64(x), float64(y)))
		}
		as = append(as, domain.Asset{Kind: "road", Name: fmt.Sprintf("横%d路", y), Geom: ls})
	}
	for x := 0; x < 4; x++ {
		var ls orb.LineString
		for y := 0; y < 3; y++ {
			ls = append(ls, gridPoint(float64(x), float64(y)))
		}
		as = append(as, domain.Asset{Kind: "alley", Name: fmt.Sprintf("纵%d巷", x), Geom: ls})
	}
	out, err := a.Svc.CreateAssets(t.Context(), domain.Actor{Name: "test"}, as, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range out {
		if i < 3 {
			w.rows = append(w.rows, x.ID)
		} else {
			w.cols = append(w.cols, x.ID)
		}
	}
	return w
}

// gpxWalk walks the polyline of grid positions at 1.4 m/s, a fix every 2 s with σ = 3 m noise.
func gpxWalk(seed uint64, start time.Time, path ...[2]float64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>`)
	t := start
	for i := 1; i < len(path); i++ {
		p, q := gridPoint(path[i-1][0], path[i-1][1]), gridPoint(path[i][0], path[i][1])
		d := math.Hypot((q[0]-p[0])*90400, (q[1]-p[1])*111000)
		n := int(d / 2.8)
		for k := 0; k < n; k++ {
			f := float64(k) / float64(n)
			lon := p[0] + f*(q[0]-p[0]) + rng.NormFloat64()*3/90400
			lat := p[1] + f*(q[1]-p[1]) + rng.NormFloat64()*3/111000
			fmt.Fprintf(&b, `<trkpt lat="%.7f" lon="%.7f"><time>%s</time></trkpt>`, lat, lon, t.UTC().Format(time.RFC3339))
			t = t.Add(2 * time.Second)
		}
	}
	last := gridPoint(path[len(path)-1][0], path[len(path)-1][1])
	fmt.Fprintf(&b, `<trkpt lat="%.7f" lon="%.7f"><time>%s</time></trkpt>`, last[1], last[0], t.UTC().Format(time.RFC3339))
	b.WriteString(`</trkseg></trk></gpx>`)
	return b.String()
}

type patrolOut struct {
	Patrol domain.Patrol `json:"patrol"`
}

// postTrack uploads a track as role with a content type and optional Idempotency-Key.
func (w *patrolWorld) postTrack(role, query, contentType, body, key string) testapp.Response {
	h := []string{"Content-Type", contentType}
	if key != "" {
		h = append(h, "Idempotency-Key", key)
	}
	// Do sets a JSON content type for a body; the header list overrides it.
	return w.a.Do(role, "POST", "/api/v1/patrols"+query, []byte(body), h...)
}

// unionFromPostGIS is the oracle for "a meter walked twice counts once": each stored piece as a segment of
// the measure axis, unioned per asset by PostGIS (ST_Union), and measured.
func (w *patrolWorld) unionFromPostGIS(t *testing.T) float64 {
	var m float64
	err := w.a.Store.Pool.QueryRow(t.Context(), `SELECT COALESCE(sum(l), 0) FROM (
		SELECT ST_Length(ST_Union(ST_MakeLine(ST_MakePoint(p.from_m, 0), ST_MakePoint(LEAST(p.to_m, a.length_m), 0)))) AS l
		FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id AND p.to_m > p.from_m GROUP BY a.id) x`).Scan(&m)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPatrolUploadAndCoverage(t *testing.T) {
	w := newPatrolWorld(t)
	day := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	walk1 := gpxWalk(1, day, [2]float64{0, 0}, [2]float64{3, 0})
	res := w.postTrack("inspector", "", "application/gpx+xml", walk1, "walk-1").MustStatus(t, http.StatusCreated)
	var p1 patrolOut
	res.Decode(t, &p1)
	if p1.Patrol.UserID != w.a.Users["inspector"].ID || p1.Patrol.Assets != 1 || p1.Patrol.Points < 100 || p1.Patrol.KeptPoints < p1.Patrol.Points*9/10 {
		t.Fatalf("patrol: %+v", p1.Patrol)
	}
	if !p1.Patrol.StartedAt.Equal(day) || !p1.Patrol.EndedAt.After(day.Add(3*time.Minute)) {
		t.Errorf("times %s..%s, want from %s for ~3.5 minutes", p1.Patrol.StartedAt, p1.Patrol.EndedAt, day)
	}
	row0 := w.a.Do("inspector", "GET", fmt.Sprintf("/api/v1/assets/%d", w.rows[0]), nil).MustStatus(t, 200).JSON()
	length := row0["properties"].(map[string]any)["length_m"].(float64)
	if math.Abs(p1.Patrol.MatchedM-length) > 0.03*length {
		t.Errorf("matched %.1f m of a %.1f m street walked end to end", p1.Patrol.MatchedM, length)
	}
	// The same chunk again, under the same key: the same patrol, 200, nothing added.
	var again patrolOut
	w.postTrack("inspector", "", "application/gpx+xml", walk1, "walk-1").MustStatus(t, http.StatusOK).Decode(t, &again)
	if again.Patrol.ID != p1.Patrol.ID {
		t.Fatalf("retry made patrol %d, want %d", again.Patrol.ID, p1.Patrol.ID)
	}
	// A second walk, as GeoJSON, over the east half of row 0 and up column 3 to row 1.
	var coords [][]float64
	var times []string
	for i, pos := range [][2]float64{{1.5, 0}, {2, 0}, {2.5, 0}, {3, 0}, {3, 0.25}, {3, 0.5}, {3, 0.75}, {3, 1}} {
		p := gridPoint(pos[0], pos[1])
		for k := 0; k < 8; k++ { // 8 fixes a step, the walk's pace
			coords = append(coords, []float64{p[0], p[1]})
			times = append(times, day.Add(time.Hour+time.Duration(i*8+k)*5*time.Second).Format(time.RFC3339))
		}
		_ = i
	}
	gj := map[string]any{"type": "Feature", "properties": map[string]any{"times": times},
		"geometry": map[string]any{"type": "LineString", "coordinates": coords}}
	var p2 patrolOut
	w.a.Do("admin", "POST", "/api/v1/patrols?user=inspector1", gj, "Content-Type", "application/geo+json").MustStatus(t, http.StatusCreated).Decode(t, &p2)
	if p2.Patrol.UserID != w.a.Users["inspector"].ID || p2.Patrol.Assets != 2 {
		t.Fatalf("admin upload for inspector1: %+v", p2.Patrol)
	}

	var cov domain.PatrolCoverage
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage", nil).MustStatus(t, 200).Decode(t, &cov)
	oracle := w.unionFromPostGIS(t)
	if math.Abs(cov.PatrolledM-oracle) > 0.5 {
		t.Errorf("patrolled %.2f m, PostGIS union of the pieces %.2f m", cov.PatrolledM, oracle)
	}
	// The truth: row 0 whole (walked twice, counted once) and column 3 from row 0 to row 1.
	truth := length + 100
	if math.Abs(cov.PatrolledM-truth) > 0.03*truth {
		t.Errorf("patrolled %.1f m, want about %.1f m", cov.PatrolledM, truth)
	}
	var total float64
	if err := w.a.Store.Pool.QueryRow(t.Context(), `SELECT sum(length_m) FROM assets WHERE kind IN ('road', 'alley')`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if math.Abs(cov.TotalM-total) > 0.01 || len(cov.ByKind) != 2 {
		t.Errorf("total %.1f m (by kind %+v), want %.1f", cov.TotalM, cov.ByKind, total)
	}
	// A window before the walks holds nothing.
	var early domain.PatrolCoverage
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage?from=2020-01-01&to=2020-02-01", nil).MustStatus(t, 200).Decode(t, &early)
	if early.PatrolledM != 0 {
		t.Errorf("patrolled %.1f m in 2020", early.PatrolledM)
	}

	// Row 0 per stretch: the west half walked once, the east half twice.
	var ap domain.AssetPatrols
	w.a.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/assets/%d/patrols", w.rows[0]), nil).MustStatus(t, 200).Decode(t, &ap)
	visits := map[int]float64{}
	for _, pc := range ap.Pieces {
		visits[pc.Visits] += pc.ToM - pc.FromM
	}
	if math.Abs(visits[1]-length/2) > 15 || math.Abs(visits[2]-length/2) > 15 {
		t.Errorf("row 0 stretches by visits %v, want about %.0f m once and %.0f m twice: %+v", visits, length/2, length/2, ap.Pieces)
	}
	w.a.Do("leader", "GET", "/api/v1/assets/999999/patrols", nil).MustStatus(t, http.StatusNotFound)

	// Stale over one day: never row 0; row 2 whole with days_since null.
	var stale struct {
		Features []struct {
			Properties struct {
				AssetID   int64   `json:"asset_id"`
				FromM     float64 `json:"from_m"`
				ToM       float64 `json:"to_m"`
				DaysSince *int    `json:"days_since"`
			} `json:"properties"`
		} `json:"features"`
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/stale?days=1", nil).MustStatus(t, 200).Decode(t, &stale)
	sawRow2 := false
	for _, f := range stale.Features {
		pr := f.Properties
		if pr.AssetID == w.rows[0] && pr.ToM-pr.FromM > 10 {
			t.Errorf("row 0, walked today, listed stale: %+v", pr)
		}
		if pr.AssetID == w.rows[2] {
			sawRow2 = true
			if pr.DaysSince != nil || pr.FromM != 0 {
				t.Errorf("row 2 never walked: %+v", pr)
			}
		}
	}
	if !sawRow2 {
		t.Error("row 2, never walked, is not stale")
	}
	// The leaders' layer: row 0 walked today end to end, row 2 never.
	var layer struct {
		Features []struct {
			Properties struct {
				AssetID   int64   `json:"asset_id"`
				FromM     float64 `json:"from_m"`
				ToM       float64 `json:"to_m"`
				DaysSince *int    `json:"days_since"`
			} `json:"properties"`
		} `json:"features"`
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/layer?bbox=114.29,35.69,114.31,35.71", nil).MustStatus(t, 200).Decode(t, &layer)
	today := map[int64]float64{}
	for _, f := range layer.Features {
		if pr := f.Properties; pr.DaysSince != nil && *pr.DaysSince == 0 {
			today[pr.AssetID] += pr.ToM - pr.FromM
		}
	}
	if math.Abs(today[w.rows[0]]-length) > 0.03*length || today[w.rows[2]] != 0 {
		t.Errorf("layer: walked today %v m by asset; want row 0 (%d) whole, row 2 (%d) not", today, w.rows[0], w.rows[2])
	}
	// Patrols older than the window: with days since the last visit.
	if _, err := w.a.Store.Pool.Exec(t.Context(), `UPDATE patrol_pieces SET first_at = first_at - interval '5 days', last_at = last_at - interval '5 days'`); err != nil {
		t.Fatal(err)
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/stale?days=2&kind=road", nil).MustStatus(t, 200).Decode(t, &stale)
	for _, f := range stale.Features {
		if pr := f.Properties; pr.AssetID == w.rows[0] && (pr.DaysSince == nil || *pr.DaysSince != 5) {
			t.Errorf("row 0 last walked 5 days ago: %+v", pr)
		}
	}
}

func TestPatrolRefusals(t *testing.T) {
	w := newPatrolWorld(t)
	walk := gpxWalk(2, time.Now().Add(-time.Hour), [2]float64{0, 1}, [2]float64{2, 1})
	cases := []struct {
		name, role, query, ct, body string
		status                      int
		detail                      string
	}{
		{"waypoints only", "inspector", "", "application/gpx+xml", `<gpx version="1.1"><wpt lat="35.7" lon="114.3"/></gpx>`, 422, "waypoints"},
		{"no time", "inspector", "", "application/gpx+xml", `<gpx version="1.1"><trk><trkseg><trkpt lat="35.7" lon="114.3"/></trkseg></trk></gpx>`, 422, "no time"},
		{"broken xml", "inspector", "", "application/gpx+xml", `<gpx version="1.1"><trk>`, 422, "GPX"},
		{"geojson without times", "inspector", "", "application/geo+json", `{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[114.3,35.7],[114.31,35.7]]}}`, 422, "times"},
		{"csv", "inspector", "", "text/csv", "a,b", 415, ""},
		{"leader may not record", "leader", "", "application/gpx+xml", walk, 403, ""},
		{"unit staff may not record", "unit_staff", "", "application/gpx+xml", walk, 403, ""},
		{"anonymous", "", "", "application/gpx+xml", walk, 401, ""},
		{"inspector for someone else", "inspector", "?user=admin1", "application/gpx+xml", walk, 403, ""},
		{"admin for an unknown user", "admin", "?user=nobody", "application/gpx+xml", walk, 400, "nobody"},
		{"admin for a leader", "admin", "?user=leader1", "application/gpx+xml", walk, 400, "leader"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := w.postTrack(c.role, c.query, c.ct, c.body, "")
			res.MustStatus(t, c.status)
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(res.Body), c.detail) {
				t.Errorf("want a problem naming %q: %s %s", c.detail, res.Header.Get("Content-Type"), res.Body)
			}
		})
	}
	var n int
	if err := w.a.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM patrols`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused uploads left %d patrols (%v)", n, err)
	}
}

// TestPatrolTrackVisibility: the raw points go to their walker and the admins; every other role is told
// the patrol does not exist, and the aggregates show no point of it.
func TestPatrolTrackVisibility(t *testing.T) {
	w := newPatrolWorld(t)
	walk := gpxWalk(3, time.Now().Add(-time.Hour), [2]float64{0, 2}, [2]float64{3, 2})
	var p patrolOut
	w.postTrack("inspector", "", "application/gpx+xml", walk, "").MustStatus(t, http.StatusCreated).Decode(t, &p)
	if _, err := w.a.Svc.AddUser(t.Context(), "inspector2", "inspector", "", testapp.Password); err != nil {
		t.Fatal(err)
	}
	w.a.Tokens["other-inspector"] = w.a.Login("inspector2", testapp.Password)
	path := fmt.Sprintf("/api/v1/patrols/%d/track", p.Patrol.ID)
	want := map[string]int{"inspector": 200, "admin": 200, "other-inspector": 404, "leader": 404, "planner": 404, "unit_staff": 404, "volunteer": 404, "": 401}
	for role := range service.Policy() {
		if _, ok := want[role]; !ok && role != service.Anonymous {
			t.Errorf("role %s has no expectation here: decide whether it may see tracks", role)
		}
	}
	for role, status := range want {
		res := w.a.Do(role, "GET", path, nil)
		if res.Status != status {
			t.Errorf("%q GET track: %d, want %d: %.200s", role, res.Status, status, res.Body)
		}
		if status == 200 && (!strings.Contains(string(res.Body), `"MultiPoint"`) || strings.Count(string(res.Body), "T") < p.Patrol.Points) {
			t.Errorf("%q got no points: %.200s", role, res.Body)
		}
	}
	// Retention: raw points go, matched meters stay.
	var before domain.PatrolCoverage
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage", nil).MustStatus(t, 200).Decode(t, &before)
	ps := service.NewPatrols(w.a.Store, nil)
	ps.Now = func() time.Time { return time.Now().AddDate(0, 0, 31) }
	n, err := ps.Purge(t.Context(), 30)
	if err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
	res := w.a.Do("inspector", "GET", path, nil).MustStatus(t, 200)
	if strings.Contains(string(res.Body), "MultiPoint") || !strings.Contains(string(res.Body), `"points_purged_at"`) {
		t.Errorf("points still there after the retention: %.300s", res.Body)
	}
	var after domain.PatrolCoverage
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage", nil).MustStatus(t, 200).Decode(t, &after)
	if after.PatrolledM != before.PatrolledM || after.PatrolledM < 250 {
		t.Errorf("patrolled %.1f m after the purge, %.1f m before", after.PatrolledM, before.PatrolledM)
	}
}
