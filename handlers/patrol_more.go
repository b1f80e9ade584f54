package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/domain"
)

// PatrolMoreService is the patrols' second part: volunteers' check-ins and presence, the frequency targets and
// the 巡查达标率, and the per-inspector figures.
type PatrolMoreService interface {
	Checkin(ctx context.Context, p domain.Principal, in domain.NewCheckin) (domain.Checkin, error)
	Presence(ctx context.Context, p domain.Principal, day string, kind string, unitID *int64) (domain.Presence, error)
	Targets(ctx context.Context, p domain.Principal) ([]domain.PatrolTarget, error)
	SetTarget(ctx context.Context, p domain.Principal, t domain.PatrolTarget) (domain.PatrolTarget, error)
	Compliance(ctx context.Context, p domain.Principal, f domain.PatrolFilter) (domain.PatrolCompliance, error)
	Inspectors(ctx context.Context, p domain.Principal, from, to time.Time) ([]domain.InspectorPatrol, error)
	Today(ctx context.Context, p domain.Principal, bbox *orb.Bound, days int) (domain.PatrolToday, error)
}

func (h *patrolHandlers) today(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	days, err := intParam(c, "days", 7, 1, 3650)
	if err != nil {
		return err
	}
	out, err := h.ps.Today(c.Request().Context(), principal(c), bbox, days)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) checkin(c echo.Context) error {
	var in domain.NewCheckin
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.ps.Checkin(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"checkin": out})
}

func (h *patrolHandlers) presence(c echo.Context) error {
	u, err := unitParam(c)
	if err != nil {
		return err
	}
	out, err := h.ps.Presence(c.Request().Context(), principal(c), c.QueryParam("date"), c.QueryParam("kind"), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) targets(c echo.Context) error {
	out, err := h.ps.Targets(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"targets": out})
}

func (h *patrolHandlers) setTarget(c echo.Context) error {
	var in domain.PatrolTarget
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	in.Kind = c.Param("kind")
	out, err := h.ps.SetTarget(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) compliance(c echo.Context) error {
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	out, err := h.ps.Compliance(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) inspectors(c echo.Context) error {
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	out, err := h.ps.Inspectors(c.Request().Context(), principal(c), f.From, f.To)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"inspectors": out})
}

// patrolSheets are the briefing workbook's 巡查达标率 sheets (none without a patrol section): by unit, and the
// stretches furthest below target.
func patrolSheets(c *domain.PatrolCompliance) []xlsxSheet {
	if c == nil {
		return nil
	}
	rate := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p / 100
	}
	units := xlsxSheet{Name: "Patrol compliance", Cols: []xlsxCol{{"Unit", ""}, {"Stretches", ""}, {"Lead (m)", "0"}, {"Patrol compliance", "pct"}}}
	for _, u := range c.ByUnit {
		units.Rows = append(units.Rows, []any{u.Name, u.Stretches, u.LeadM, rate(u.Percent)})
	}
	low := xlsxSheet{Name: "Stretches below target", Cols: []xlsxCol{{"Asset", ""}, {"Asset name", ""}, {"Kind", ""},
		{"Length (m)", "0"}, {"Periods", ""}, {"Periods met", ""}, {"Patrol compliance", "pct"}}}
	for _, s := range c.Stretches {
		low.Rows = append(low.Rows, []any{s.AssetID, s.Name, s.Kind, s.LengthM, s.Periods, s.Met, rate(s.Percent)})
	}
	return []xlsxSheet{units, low}
}
