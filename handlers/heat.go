package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// LeadersRoutes registers the leaders' views: heat map, hotspots, statistics and the briefing. Everyone signed
// in may read them (leaders first of all; units see where they stand).
func LeadersRoutes() func(r *Router) {
	return func(r *Router) {
		h := r.Handler()
		r.Add(http.MethodGet, "/api/v1/heatmap", h.heatmap, Signedin)
		r.Add(http.MethodGet, "/api/v1/hotspots", h.hotspots, Signedin)
		r.Add(http.MethodGet, "/api/v1/stats/units", h.unitStats, Signedin)
		r.Add(http.MethodGet, "/api/v1/stats/inspectors", h.inspectorStats, Signedin)
		r.Add(http.MethodGet, "/api/v1/stats/trend", h.trend, Signedin)
		r.Add(http.MethodGet, "/api/v1/briefing", h.briefing, Signedin)
		r.Add(http.MethodGet, briefingCSSPath, h.briefingCSS, Public)
	}
}

// timeParam parses an optional time: RFC 3339, or a date meaning its start in UTC.
func timeParam(c echo.Context, name string) (*time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, badRequestf(name, "%s %q is not a time; use RFC 3339 like 2024-05-01T08:00:00Z or a date like 2024-05-01", name, truncateParam(s))
}

// unitParam parses the optional unit_id filter; "none" (or 0) selects reports in the dispatch queue.
func unitParam(c echo.Context) (*int64, error) {
	s := c.QueryParam("unit_id")
	if s == "" {
		return nil, nil
	}
	if s == "none" {
		return new(int64), nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return nil, badRequest("unit_id", "unit_id must be a unit id, or none for reports not routed to a unit")
	}
	return &id, nil
}

// listParam splits a comma list parameter.
func listParam(c echo.Context, name string) []string {
	var out []string
	for _, p := range strings.Split(c.QueryParam(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// heatmap answers GET /api/v1/heatmap: cells sized to the zoom with count and weight, as a GeoJSON
// FeatureCollection of squares (format=geojson, the default) or as {"points":[[lat,lon,weight],…]} for
// leaflet.heat (format=points: cell centres, weight > 0 only).
func (h *Handler) heatmap(c echo.Context) error {
	var q domain.HeatRequest
	var err error
	if q.BBox, err = bboxParam(c); err != nil {
		return err
	}
	if q.Zoom, err = intParam(c, "zoom", 10, 0, 22); err != nil {
		return err
	}
	if q.UnitID, err = unitParam(c); err != nil {
		return err
	}
	if q.Since, err = timeParam(c, "since"); err != nil {
		return err
	}
	if q.Until, err = timeParam(c, "until"); err != nil {
		return err
	}
	q.Status, q.Weight, q.Categories = c.QueryParam("status"), c.QueryParam("weight"), listParam(c, "category")
	format := c.QueryParam("format")
	if format != "" && format != "geojson" && format != "points" {
		return badRequestf("format", "format %q is not geojson or points", truncateParam(format))
	}
	q.Geometry = format != "points"
	m, err := h.Svc.Heatmap(c.Request().Context(), principal(c), q, time.Now())
	if err != nil {
		return err
	}
	if format == "points" {
		pts := make([][3]float64, 0, len(m.Cells))
		for _, cell := range m.Cells {
			if cell.Weight > 0 {
				pts = append(pts, [3]float64{round7(cell.Lat), round7(cell.Lon), cell.Weight})
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"points": pts, "level": m.Level, "cell_m": m.CellM, "weight": m.Weight})
	}
	type props struct {
		Count  int64   `json:"count"`
		Weight float64 `json:"weight"`
		CX     int     `json:"cx"`
		CY     int     `json:"cy"`
	}
	type feature struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties props           `json:"properties"`
	}
	fs := make([]feature, len(m.Cells))
	for i, cell := range m.Cells {
		fs[i] = feature{Type: "Feature", Geometry: cell.Geometry, Properties: props{Count: cell.Count, Weight: cell.Weight, CX: cell.CX, CY: cell.CY}}
	}
	return geoJSON(c, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": fs,
		"level": m.Level, "cell_m": m.CellM, "weight": m.Weight, "zoom": q.Zoom})
}

func round7(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 7, 64), 64)
	return v
}

// periodParams parses from/to (default: the 30 days up to now).
func periodParams(c echo.Context, now time.Time) (time.Time, time.Time, error) {
	from, err := timeParam(c, "from")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := timeParam(c, "to")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	t := now
	if to != nil {
		t = *to
	}
	f := t.AddDate(0, 0, -30)
	if from != nil {
		f = *from
	}
	return f, t, nil
}

// hotspots answers GET /api/v1/hotspots?from&to&min_count&limit: places where problems recur (反弹: a report
// reopened; 重复投诉: at least min_count reports of one category), on a 50 m stretch of a named asset when the
// reports were routed to one, else in a ~50 m grid cell.
func (h *Handler) hotspots(c echo.Context) error {
	now := time.Now()
	from, to, err := periodParams(c, now)
	if err != nil {
		return err
	}
	minCount, err := intParam(c, "min_count", 3, 2, 1000)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	hs, err := h.Svc.Hotspots(c.Request().Context(), principal(c), from, to, minCount, limit)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(hs))
	for i, s := range hs {
		kind := "repeat"
		switch {
		case s.Reopened > 0 && s.Repeat:
			kind = "rebound+repeat"
		case s.Reopened > 0:
			kind = "rebound"
		}
		it := map[string]any{"kind": kind, "count": s.Count, "reopened": s.Reopened, "categories": s.Categories,
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{round7(s.Lon), round7(s.Lat)}},
			"first_at": s.FirstAt.UTC(), "last_at": s.LastAt.UTC()}
		if s.AssetID != nil {
			it["asset"] = map[string]any{"id": *s.AssetID, "name": s.AssetName}
			it["from_m"], it["to_m"] = s.FromM, s.ToM
		} else {
			it["asset"] = nil
			it["cell"] = map[string]any{"level": s.CellLevel, "cx": s.CX, "cy": s.CY}
		}
		items[i] = it
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "from": from, "to": to})
}
