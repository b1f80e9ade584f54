package handlers_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
)

// unionByRole is unionFromPostGIS over the pieces walked by one role.
func (w *patrolWorld) unionByRole(t *testing.T, role string) float64 {
	var m float64
	err := w.a.Store.Pool.QueryRow(t.Context(), `SELECT COALESCE(sum(l), 0) FROM (
		SELECT ST_Length(ST_Union(ST_MakeLine(ST_MakePoint(p.from_m, 0), ST_MakePoint(LEAST(p.to_m, a.length_m), 0)))) AS l
		FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id AND p.to_m > p.from_m WHERE p.role = $1 GROUP BY a.id) x`, role).Scan(&m)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestVolunteerPresenceIsNotInspection: a volunteer records a walk and checks in; both count as presence on
// their stretches that day, never as inspection, and the volunteer may do nothing else (the route table's
// test walks every other route as a volunteer).
func TestVolunteerPresenceIsNotInspection(t *testing.T) {
	w := newPatrolWorld(t)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	day := at.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	w.postTrack("inspector", "", "application/gpx+xml", gpxWalk(11, at, [2]float64{0, 0}, [2]float64{3, 0}), "").MustStatus(t, http.StatusCreated)
	var vp patrolOut
	w.postTrack("volunteer", "", "application/gpx+xml", gpxWalk(12, at, [2]float64{0, 1}, [2]float64{3, 1}), "v-1").
		MustStatus(t, http.StatusCreated).Decode(t, &vp)
	if vp.Patrol.Role != "volunteer" || vp.Patrol.UserID != w.a.Users["volunteer"].ID {
		t.Fatalf("volunteer's patrol: %+v", vp.Patrol)
	}
	// Their own track they see; the aggregates and the map data they do not.
	w.a.Do("volunteer", "GET", fmt.Sprintf("/api/v1/patrols/%d/track", vp.Patrol.ID), nil).MustStatus(t, 200)
	for _, path := range []string{"/api/v1/patrols/coverage", "/api/v1/patrols/presence", "/api/v1/units", "/api/v1/reports", "/tiles"} {
		w.a.Do("volunteer", "GET", path, nil).MustStatus(t, http.StatusForbidden)
	}
	// The base map they draw like everyone (street names are public geography); a tile of the network itself
	// comes back empty, while a planner's has the streets.
	tl := maptile.At(gridPoint(1.5, 1), 15)
	names := func(user, layer string) []string {
		t.Helper()
		ls, err := mvt.Unmarshal(w.a.Do(user, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y), nil).MustStatus(t, 200).Body)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range ls {
			for _, f := range l.Features {
				out = append(out, fmt.Sprint(f.Properties["name"]))
			}
		}
		sort.Strings(out)
		return out
	}
	if got := names("volunteer", "basemap"); !slices.Contains(got, "横1路") || !slices.Contains(got, "纵1巷") {
		t.Errorf("the volunteer's base-map tile names %v, want the grid's streets", got)
	}
	if got, staff := names("volunteer", "road"), names("planner", "road"); len(got) != 0 || len(staff) == 0 {
		t.Errorf("the road layer's tile: %v to the volunteer, %v to a planner; want nothing, and the streets", got, staff)
	}

	// A check-in 20 m east of alley 纵0巷's middle lands on it; one 300 m off the grid is refused; an unknown asset is 404.
	mid := gridPoint(0, 0.5)
	var ck struct {
		Checkin domain.Checkin `json:"checkin"`
	}
	w.a.Do("volunteer", "POST", "/api/v1/patrols/checkins", map[string]any{"lon": mid[0] + 20.0/90400, "lat": mid[1]}).
		MustStatus(t, http.StatusCreated).Decode(t, &ck)
	if ck.Checkin.AssetID != w.cols[0] || ck.Checkin.DistanceM == nil || math.Abs(*ck.Checkin.DistanceM-20) > 2 ||
		ck.Checkin.AtM == nil || math.Abs(*ck.Checkin.AtM-50) > 3 {
		t.Errorf("check-in: %+v (want on asset %d, ~20 m off, ~50 m along)", ck.Checkin, w.cols[0])
	}
	far := gridPoint(-3, 0)
	w.a.Do("volunteer", "POST", "/api/v1/patrols/checkins", map[string]any{"lon": far[0], "lat": far[1]}).MustStatus(t, http.StatusBadRequest)
	w.a.Do("volunteer", "POST", "/api/v1/patrols/checkins", map[string]any{"asset_id": 999999}).MustStatus(t, http.StatusNotFound)
	w.a.Do("volunteer", "POST", "/api/v1/patrols/checkins", map[string]any{"lon": mid[0]}).MustStatus(t, http.StatusBadRequest)
	w.a.Do("leader", "POST", "/api/v1/patrols/checkins", map[string]any{"asset_id": w.cols[1]}).MustStatus(t, http.StatusForbidden)
	w.a.Do("volunteer", "POST", "/api/v1/patrols/checkins", map[string]any{"asset_id": w.cols[3]}).MustStatus(t, http.StatusCreated)

	// Coverage by role: inspection excludes the volunteer's walk, role=volunteer shows only it (oracle: PostGIS's
	// union of each role's pieces).
	for _, role := range []string{"inspector", "volunteer"} {
		var cov domain.PatrolCoverage
		w.a.Do("leader", "GET", "/api/v1/patrols/coverage?role="+role, nil).MustStatus(t, 200).Decode(t, &cov)
		want := w.unionByRole(t, role)
		if want < 250 || math.Abs(cov.PatrolledM-want) > 0.01 {
			t.Errorf("role=%s: patrolled %.2f m, PostGIS says %.2f", role, cov.PatrolledM, want)
		}
	}
	var all, insp domain.PatrolCoverage
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage", nil).MustStatus(t, 200).Decode(t, &all)
	w.a.Do("leader", "GET", "/api/v1/patrols/coverage?role=inspector", nil).MustStatus(t, 200).Decode(t, &insp)
	if all.PatrolledM < insp.PatrolledM+250 {
		t.Errorf("all roles %.1f m, inspection %.1f m: the volunteer's ~300 m should be in the first only", all.PatrolledM, insp.PatrolledM)
	}

	// Presence that day: the volunteer's road (walk) and the two alleys (check-ins); not the inspector's road.
	var pr domain.Presence
	w.a.Do("leader", "GET", "/api/v1/patrols/presence?date="+day, nil).MustStatus(t, 200).Decode(t, &pr)
	want := map[int64]bool{w.rows[1]: true, w.cols[0]: true, w.cols[3]: true}
	got := map[int64]bool{}
	for _, it := range pr.Items {
		if it.Present {
			got[it.AssetID] = true
		}
		if it.Present != want[it.AssetID] {
			t.Errorf("asset %d (%s): present %v, want %v (%+v)", it.AssetID, it.Name, it.Present, want[it.AssetID], it)
		}
	}
	if pr.Stretches != 7 || pr.Present != 3 || len(got) != 3 {
		t.Errorf("presence: %d of %d stretches (%v), want 3 of 7", pr.Present, pr.Stretches, got)
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/presence?date="+day+"&kind=alley", nil).MustStatus(t, 200).Decode(t, &pr)
	if pr.Stretches != 4 || pr.Present != 2 {
		t.Errorf("alleys: %d of %d present, want 2 of 4", pr.Present, pr.Stretches)
	}
	// The day before: nobody.
	prev := at.In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -1).Format(time.DateOnly)
	w.a.Do("leader", "GET", "/api/v1/patrols/presence?date="+prev, nil).MustStatus(t, 200).Decode(t, &pr)
	if pr.Present != 0 {
		t.Errorf("%d stretches present the day before", pr.Present)
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/presence?date=yesterday", nil).MustStatus(t, http.StatusBadRequest)

	// Their own route of today: the volunteer sees theirs and no stale stretches; the inspector theirs and the
	// stale stretches in view (not the road they walked).
	var vt, it domain.PatrolToday
	w.a.Do("volunteer", "GET", "/api/v1/patrols/today", nil).MustStatus(t, 200).Decode(t, &vt)
	if math.Abs(vt.WalkedM-w.unionByRole(t, "volunteer")) > 1 || string(vt.Stale) != "null" || !strings.Contains(string(vt.Route), "横1路") {
		t.Errorf("volunteer's today: %.1f m (PostGIS %.1f), stale %.40s, route %.80s", vt.WalkedM, w.unionByRole(t, "volunteer"), vt.Stale, vt.Route)
	}
	lo, hi := gridPoint(-1, -1), gridPoint(4, 3)
	w.a.Do("inspector", "GET", fmt.Sprintf("/api/v1/patrols/today?bbox=%f,%f,%f,%f", lo[0], lo[1], hi[0], hi[1]), nil).MustStatus(t, 200).Decode(t, &it)
	var stale struct {
		Features []struct {
			Properties struct {
				AssetID int64   `json:"asset_id"`
				FromM   float64 `json:"from_m"`
				ToM     float64 `json:"to_m"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(it.Stale, &stale); err != nil {
		t.Fatal(err)
	}
	if math.Abs(it.WalkedM-w.unionByRole(t, "inspector")) > 1 || strings.Contains(string(it.Route), "横1路") || len(stale.Features) < 5 {
		t.Errorf("inspector's today: %.1f m (PostGIS %.1f), route %.80s, %d stale", it.WalkedM, w.unionByRole(t, "inspector"), it.Route, len(stale.Features))
	}
	for _, f := range stale.Features {
		if f.Properties.AssetID == w.rows[0] && f.Properties.ToM-f.Properties.FromM > 15 {
			t.Errorf("the road the inspector walked today is listed as stale: %+v", f.Properties)
		}
	}
	far = gridPoint(50, 50)
	w.a.Do("inspector", "GET", fmt.Sprintf("/api/v1/patrols/today?bbox=%f,%f,%f,%f", far[0], far[1], far[0]+0.01, far[1]+0.01), nil).MustStatus(t, 200).Decode(t, &it)
	if err := json.Unmarshal(it.Stale, &stale); err != nil || len(stale.Features) != 0 {
		t.Errorf("%d stale stretches far from the grid", len(stale.Features))
	}
	w.a.Do("leader", "GET", "/api/v1/patrols/presence?kind=market", nil).MustStatus(t, http.StatusBadRequest)
}
