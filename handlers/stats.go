package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// statsQuery parses the period, the score weights (w_handling, w_on_time, w_rework, w_overdue_pending,
// w_extension, w_satisfaction; defaults domain.DefaultScoreWeights) and min_received.
func statsQuery(c echo.Context, now time.Time) (domain.StatsQuery, error) {
	from, to, err := periodParams(c, now)
	if err != nil {
		return domain.StatsQuery{}, err
	}
	q := domain.StatsQuery{From: from, To: to, Now: now, Weights: domain.DefaultScoreWeights}
	for _, p := range []struct {
		name string
		v    *float64
	}{
		{"w_handling", &q.Weights.Handling}, {"w_on_time", &q.Weights.OnTime}, {"w_rework", &q.Weights.Rework},
		{"w_overdue_pending", &q.Weights.OverduePending}, {"w_extension", &q.Weights.Extension},
		{"w_satisfaction", &q.Weights.Satisfaction},
	} {
		if *p.v, err = floatParam(c, p.name, *p.v); err != nil {
			return q, err
		}
	}
	if q.MinReceived, err = intParam(c, "min_received", domain.DefaultMinReceived, 0, 1_000_000); err != nil {
		return q, err
	}
	return q, nil
}

// unitStats answers GET /api/v1/stats/units: the ranked league table (indicators defined in service/stats.go).
func (h *Handler) unitStats(c echo.Context) error {
	q, err := statsQuery(c, time.Now())
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "xlsx" {
		return badRequestf("format", "format %q is not json or xlsx", truncateParam(format))
	}
	items, err := h.Svc.UnitStats(c.Request().Context(), principal(c), q)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		return sendXLSX(c, xlsxName("ranking", q.Now), append([]xlsxSheet{rankingSheet(items)}, frontageSheets(items, nil)...)...)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "from": q.From, "to": q.To, "weights": q.Weights,
		"min_received": q.MinReceived})
}

// inspectorStats answers GET /api/v1/stats/inspectors: 上报数, 有效上报率, 按时核查率 per inspector.
func (h *Handler) inspectorStats(c echo.Context) error {
	from, to, err := periodParams(c, time.Now())
	if err != nil {
		return err
	}
	items, err := h.Svc.InspectorStats(c.Request().Context(), principal(c), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "from": from, "to": to})
}

// trend answers GET /api/v1/stats/trend?interval=day|week|month&from&to&unit_id&category → created and closed
// per bucket (UTC), zeros included.
func (h *Handler) trend(c echo.Context) error {
	now := time.Now()
	from, to, err := periodParams(c, now)
	if err != nil {
		return err
	}
	interval := c.QueryParam("interval")
	if interval == "" {
		interval = "day"
	}
	unit, err := unitParam(c)
	if err != nil {
		return err
	}
	if unit != nil && *unit == 0 {
		return badRequest("unit_id", "unit_id must be a unit id")
	}
	pts, err := h.Svc.Trend(c.Request().Context(), principal(c), interval, from, to, unit, c.QueryParam("category"))
	if err != nil {
		return err
	}
	type item struct {
		T       time.Time `json:"t"`
		Created int64     `json:"created"`
		Closed  int64     `json:"closed"`
	}
	items := make([]item, len(pts))
	for i, p := range pts {
		items[i] = item{T: p.T, Created: p.Created, Closed: p.Closed}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "interval": interval})
}

// pct formats a rate as a percentage for people ("—" when there is none).
func pct(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

// num formats an optional number.
func num(p *float64, prec int) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, *p)
}

// overdueHours is how long an item has run past its deadline at now.
func overdueHours(o domain.OverdueItem, now time.Time) float64 {
	return now.Sub(o.Deadline).Hours()
}
