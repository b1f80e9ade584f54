package service

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// HeatWeights are the weights a heat map can sum per cell (see store.HeatCells for the formulas).
var HeatWeights = []string{"count", "age", "overdue", "urgency"}

// AllStatuses are every report status (vocab.Statuses).
var AllStatuses = vocab.Strings(vocab.Statuses)

// MaxHeatCells bounds the cells one heat-map request may span (bbox × zoom), so no request scans a continent
// of small cells.
const MaxHeatCells = 1_000_000

// HeatCellCap is the most cells a heat map's box may span at the grid its zoom asks for before a coarser kept
// grid is used instead: a city-wide box at street zoom would otherwise answer with tens of thousands of cells
// (74k for Los Angeles at z13, in most of a second), more than a screen can show. The totals are the same: every
// report is in one cell of each grid.
const HeatCellCap = 65_536

// HeatRequest is domain.HeatRequest (the definition moved to package domain).
type HeatRequest = domain.HeatRequest

// HeatMap is domain.HeatMap (the definition moved to package domain).
type HeatMap = domain.HeatMap

// HeatLevelForZoom picks the grid for a map zoom: cells of about 16 screen pixels (2^(21−zoom) Mercator meters
// at 256-pixel tiles), rounded down to the nearest kept level so a cell is never coarser than asked.
func HeatLevelForZoom(zoom int) int {
	want := 21 - zoom
	best := store.HeatLevels[0]
	for _, k := range store.HeatLevels {
		if k <= want {
			best = k
		}
	}
	return best
}

// HeatLevel picks the grid for a request: the zoom's (HeatLevelForZoom), or the finest coarser kept grid on which
// the box spans at most HeatCellCap cells (the coarsest when none does).
func HeatLevel(zoom int, bbox *orb.Bound) int {
	level := HeatLevelForZoom(zoom)
	if bbox == nil {
		return level
	}
	for _, k := range store.HeatLevels {
		if k >= level {
			level = k
			if heatSpan(*bbox, k) <= HeatCellCap {
				break
			}
		}
	}
	return level
}

// heatSpan is the number of cells of grid level the box meets.
func heatSpan(b orb.Bound, level int) float64 {
	size := float64(int64(1) << level)
	x0, y0 := mercator(b.Min[0], b.Min[1])
	x1, y1 := mercator(b.Max[0], b.Max[1])
	return (math.Floor(x1/size) - math.Floor(x0/size) + 1) * (math.Floor(y1/size) - math.Floor(y0/size) + 1)
}

// mercator is spherical Web Mercator in meters (for sizing a request only; cells use PostGIS's).
func mercator(lon, lat float64) (float64, float64) {
	const r = 6378137.0
	lat = math.Max(-85.0511287798, math.Min(85.0511287798, lat))
	return r * lon * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

// Heatmap validates a request and sums its cells.
// The visibility policy's case-aggregates entry limits the cells to the reports a principal may see.
func (s *Service) Heatmap(ctx context.Context, p domain.Principal, q HeatRequest, now time.Time) (HeatMap, error) {
	v, err := view(p, CaseAggregates)
	if err != nil {
		return HeatMap{}, err
	}
	var c checker
	c.check(q.Zoom >= 0 && q.Zoom <= 22, "zoom", "zoom must be an integer from 0 to 22")
	if q.Weight == "" {
		q.Weight = "count"
	}
	c.check(contains(HeatWeights, q.Weight), "weight", "weight must be one of %s", strings.Join(HeatWeights, ", "))
	statuses, err := ParseStatuses(q.Status)
	if err != nil {
		c.addErr(err)
	}
	if q.Since != nil && q.Until != nil && !q.Until.After(*q.Since) {
		c.add("until", "until must be after since")
	}
	level := HeatLevel(q.Zoom, q.BBox)
	size := float64(int64(1) << level)
	if q.BBox != nil {
		if n := heatSpan(*q.BBox, level); n > MaxHeatCells {
			c.add("bbox", "the box spans %.0f cells of %.0f m at zoom %d (at most %d): zoom out or draw a smaller box", n, size, q.Zoom, MaxHeatCells)
		}
	} else if q.Zoom > 10 {
		c.add("bbox", "a bbox is required above zoom 10")
	}
	if err := c.err(); err != nil {
		return HeatMap{}, err
	}
	unit, ok := v.narrow(q.UnitID)
	if !ok {
		unit = &nobody
	}
	q.UnitID = unit
	cells, err := s.Store.Reads().HeatCells(ctx, store.HeatQuery{Level: level, BBox: q.BBox, Statuses: statuses, Categories: q.Categories,
		UnitID: q.UnitID, Since: q.Since, Until: q.Until, Weight: q.Weight, Now: now}, q.Geometry)
	if err != nil {
		return HeatMap{}, err
	}
	return HeatMap{Level: level, CellM: size, Weight: q.Weight, Cells: cells}, nil
}

// ParseStatuses reads a status filter: "" or "outstanding" → every status but closed, voided and duplicate;
// "all" → nil (no filter); otherwise a comma list of statuses.
func ParseStatuses(s string) ([]string, error) {
	switch strings.TrimSpace(s) {
	case "", "outstanding":
		return vocab.Strings(vocab.OpenStatuses), nil
	case "all":
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !contains(AllStatuses, p) {
			return nil, invalid("status", "unknown status %q: use outstanding, all, or a comma list of %s", p, strings.Join(AllStatuses, ", "))
		}
		out = append(out, p)
	}
	return out, nil
}
