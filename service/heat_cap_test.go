package service

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestHeatLevelCapsTheCells: a district at street zoom keeps the zoom's grid; all of Los Angeles at z13 would span
// ~330k cells of 128 m, so a coarser grid answers, on which the box spans at most HeatCellCap cells.
func TestHeatLevelCapsTheCells(t *testing.T) {
	district := orb.Bound{Min: orb.Point{-118.30, 34.04}, Max: orb.Point{-118.24, 34.08}}
	city := orb.Bound{Min: orb.Point{-118.70, 33.70}, Max: orb.Point{-118.15, 34.35}}
	if got, want := HeatLevel(14, &district), HeatLevelForZoom(14); got != want {
		t.Errorf("district at z14: level %d, want the zoom's %d", got, want)
	}
	got := HeatLevel(13, &city)
	if got <= HeatLevelForZoom(13) || heatSpan(city, got) > HeatCellCap || heatSpan(city, HeatLevelForZoom(13)) <= HeatCellCap {
		t.Errorf("city at z13: level %d spanning %.0f cells (the zoom's level %d spans %.0f); want a coarser level within %d",
			got, heatSpan(city, got), HeatLevelForZoom(13), heatSpan(city, HeatLevelForZoom(13)), HeatCellCap)
	}
}
