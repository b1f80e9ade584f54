package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// frontageSheets are the 门前三包 sheets of the ranking and the briefing exports: per unit (the stretches it
// leads) and, when the briefing gives them, per street by side.
func frontageSheets(units []domain.UnitStat, fb *domain.FrontageBriefing) []xlsxSheet {
	us := xlsxSheet{Name: "Frontage by unit", Cols: []xlsxCol{
		{"Unit code", ""}, {"Unit", ""}, {"Led (m)", "0.0"}, {"Left covered (m)", "0.0"}, {"Right covered (m)", "0.0"},
		{"Left coverage", "pct"}, {"Right coverage", "pct"}, {"Frontage coverage", "pct"},
	}}
	for _, u := range units {
		if f := u.Frontage; f != nil && f.LeadM > 0 {
			us.Rows = append(us.Rows, []any{u.Code, u.Name, f.LeadM, f.LeftM, f.RightM, opt(f.Left), opt(f.Right), opt(f.Rate)})
		}
	}
	out := []xlsxSheet{us}
	if fb == nil {
		return out
	}
	ss := xlsxSheet{Name: "Frontage by street", Cols: []xlsxCol{
		{"Asset", ""}, {"Street", ""}, {"Length (m)", "0.00"}, {"Shops", ""}, {"Left covered (m)", "0.0"}, {"Right covered (m)", "0.0"},
		{"Left coverage", "pct"}, {"Right coverage", "pct"},
	}}
	for _, s := range fb.Streets {
		ss.Rows = append(ss.Rows, []any{s.AssetID, s.Name, s.LengthM, s.Shops, s.LeftM, s.RightM, opt(s.Left), opt(s.Right)})
	}
	return append(out, ss)
}

// assetIDParam is the optional asset_id query parameter.
func assetIDParam(c echo.Context) (*int64, error) {
	s := c.QueryParam("asset_id")
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, badRequest("asset_id", "asset_id must be a positive integer")
	}
	return &id, nil
}

// shopRepeats answers GET /api/v1/shops/repeats?asset_id&from&to&min_count: per street (most cases first), the
// shops by the cases filed at their frontage in the period (default the last 30 days).
func (a *partsAPI) shopRepeats(c echo.Context) error {
	from, to, err := periodParams(c, time.Now())
	if err != nil {
		return err
	}
	q := domain.RepeatQuery{From: from, To: to}
	if q.AssetID, err = assetIDParam(c); err != nil {
		return err
	}
	if q.MinCount, err = intParam(c, "min_count", 1, 1, 1000); err != nil {
		return err
	}
	items, err := a.ps.ShopRepeats(c.Request().Context(), principal(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "from": from, "to": to, "min_count": q.MinCount})
}
