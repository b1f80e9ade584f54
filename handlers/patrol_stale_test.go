package handlers_test

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// staleKey is one stale stretch as the answers give it.
type staleKey struct {
	Asset    int64
	From, To float64
	Days     any
}

// staleTile reads the patrol_stale layer of a tile: its stretches, sorted.
func staleTile(t *testing.T, w *patrolWorld, tl maptile.Tile) []staleKey {
	t.Helper()
	res := w.a.Do("leader", "GET", fmt.Sprintf("/tiles/patrol_stale/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y), nil).MustStatus(t, 200)
	layers, err := mvt.Unmarshal(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []staleKey
	for _, l := range layers {
		for _, f := range l.Features {
			out = append(out, staleKey{int64(f.Properties["asset_id"].(float64)), math.Round(f.Properties["from_m"].(float64)),
				math.Round(f.Properties["to_m"].(float64)), f.Properties["days_since"]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Asset < out[j].Asset || out[i].Asset == out[j].Asset && out[i].From < out[j].From
	})
	return out
}

// TestStaleCollectionAndTiles: the OGC collection and the tile layer of stale stretches give /patrols/stale's
// answer, and a patrol upload makes the cached tiles forget what it walked.
func TestStaleCollectionAndTiles(t *testing.T) {
	w := newPatrolWorld(t)
	w.postTrack("inspector", "", "application/gpx+xml", gpxWalk(51, time.Now().AddDate(0, 0, -10), [2]float64{0, 0}, [2]float64{3, 0}), "").MustStatus(t, http.StatusCreated)
	w.postTrack("inspector", "", "application/gpx+xml", gpxWalk(52, time.Now().Add(-2*time.Hour), [2]float64{0, 1}, [2]float64{1.5, 1}), "").MustStatus(t, http.StatusCreated)

	keys := func(features []any) []staleKey {
		var out []staleKey
		for _, f := range features {
			p := f.(map[string]any)["properties"].(map[string]any)
			out = append(out, staleKey{int64(p["asset_id"].(float64)), math.Round(p["from_m"].(float64)), math.Round(p["to_m"].(float64)), p["days_since"]})
		}
		sort.Slice(out, func(i, j int) bool {
			return out[i].Asset < out[j].Asset || out[i].Asset == out[j].Asset && out[i].From < out[j].From
		})
		return out
	}
	rest := keys(w.a.Do("leader", "GET", "/api/v1/patrols/stale?days=7", nil).MustStatus(t, 200).JSON()["features"].([]any))
	ogc := keys(w.a.Do("leader", "GET", "/ogc/collections/patrol_stale/items?limit=1000", nil).MustStatus(t, 200).JSON()["features"].([]any))
	if fmt.Sprint(rest) != fmt.Sprint(ogc) || len(rest) != 7 {
		t.Errorf("OGC collection %v\n/patrols/stale %v\n(want the same 7: six whole stretches and the east half of 横1路)", ogc, rest)
	}
	// 横0路 was walked 10 days ago less the walk's few minutes: stale, 9 whole days since; 横1路's walked west half is not there.
	for _, k := range rest {
		if k.Asset == w.rows[0] && fmt.Sprint(k.Days) != "9" || k.Asset == w.rows[1] && k.From < 140 {
			t.Errorf("stale stretch %+v", k)
		}
	}
	// The deepest tile that holds the whole grid.
	z := maptile.Zoom(18)
	for ; maptile.At(gridPoint(0, 0), z) != maptile.At(gridPoint(3, 2), z); z-- {
	}
	tl := maptile.At(gridPoint(0, 0), z)
	before := staleTile(t, w, tl)
	var tiled []staleKey
	for _, k := range rest {
		tiled = append(tiled, staleKey{k.Asset, k.From, k.To, k.Days})
	}
	if fmt.Sprint(before) != fmt.Sprint(tiled) {
		t.Errorf("tile %v\nwant %v", before, tiled)
	}
	// Cached now; a walk of 横2路 must make the tile drop it.
	w.postTrack("inspector", "", "application/gpx+xml", gpxWalk(53, time.Now().Add(-time.Hour), [2]float64{0, 2}, [2]float64{3, 2}), "").MustStatus(t, http.StatusCreated)
	after := staleTile(t, w, tl)
	for _, k := range after {
		if k.Asset == w.rows[2] {
			t.Errorf("横2路 still stale in the tile after its walk (the cache was not invalidated): %v", after)
		}
	}
	if len(after) != len(before)-1 {
		t.Errorf("tile after the walk %v, before %v", after, before)
	}
}
