package service

import (
	"testing"

	"everymeter/store"
)

// TestStaleStretchesFollowThePatrolPolicy: the OGC collection and the tile layer of stretches nobody walked are
// patrol aggregates, decided by the policy's patrol entry like GET /api/v1/patrols/stale, not by the map data's;
// the reports stay cases and the network map data.
func TestStaleStretchesFollowThePatrolPolicy(t *testing.T) {
	for _, c := range []struct {
		name string
		want Resource
	}{{"patrol_stale", PatrolAggregates}, {"reports", Cases}, {"gaps", MapData}} {
		if col := store.OGCCollectionByID(c.name); col == nil {
			t.Errorf("no collection %s", c.name)
		} else if got := resourceOf(col.Cases, col.Patrols); got != c.want {
			t.Errorf("collection %s is served as %s, want %s", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		want Resource
	}{{"patrol_stale", PatrolAggregates}, {"reports", Cases}, {"road", MapData}, {"basemap", BaseMap}} {
		if l := store.TileLayerByName(c.name); l == nil {
			t.Errorf("no tile layer %s", c.name)
		} else if got := tileResource(l); got != c.want {
			t.Errorf("tile layer %s is served as %s, want %s", c.name, got, c.want)
		}
	}
}
