package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// categoryIn is a category as written by clients. default_unit_id, when present, wins over default_unit_code.
type categoryIn struct {
	Code             string   `json:"code"`
	NameZh           string   `json:"name_zh"`
	NameEn           string   `json:"name_en"`
	Group            string   `json:"group"`
	Type             string   `json:"type"`
	DefaultUnitID    *int64   `json:"default_unit_id,omitempty"`
	DefaultUnitCode  string   `json:"default_unit_code"`
	TimeLimitHours   float64  `json:"time_limit_hours"`
	UrgentLimitHours *float64 `json:"urgent_time_limit_hours"`
	Active           *bool    `json:"active"`
	Sort             int      `json:"sort"`
}

func (in categoryIn) category() domain.Category {
	c := domain.Category{Code: in.Code, NameZh: in.NameZh, NameEn: in.NameEn, Group: in.Group, Type: in.Type,
		DefaultUnitID: in.DefaultUnitID, DefaultUnitCode: in.DefaultUnitCode, TimeLimitHours: in.TimeLimitHours,
		UrgentLimitHours: in.UrgentLimitHours, Active: true, Sort: in.Sort}
	if in.Active != nil {
		c.Active = *in.Active
	}
	return c
}

// categoryRoutes registers the category endpoints.
func categoryRoutes(r *Router, svc Service) {
	h := &categoryHandlers{svc: svc}
	r.Add(http.MethodGet, "/api/v1/categories", h.list, Signedin)
	r.Add(http.MethodPost, "/api/v1/categories", h.create, Admins)
	r.Add(http.MethodGet, "/api/v1/categories/:code", h.get, Signedin)
	r.Add(http.MethodPatch, "/api/v1/categories/:code", h.patch, Admins)
}

type categoryHandlers struct{ svc Service }

func (h *categoryHandlers) list(c echo.Context) error {
	active := c.QueryParam("active")
	if active != "" && active != "1" && active != "true" && active != "0" && active != "false" {
		return badRequest("active", "active must be 1/true (only active categories) or 0/false (all)")
	}
	cats, err := h.svc.Categories(c.Request().Context(), principal(c), active == "1" || active == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": cats})
}

func (h *categoryHandlers) get(c echo.Context) error {
	cat, err := h.svc.Category(c.Request().Context(), principal(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cat)
}

func (h *categoryHandlers) create(c echo.Context) error {
	var in categoryIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	cat, err := h.svc.CreateCategory(c.Request().Context(), actor(c), in.category())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/categories/"+cat.Code)
	return c.JSON(http.StatusCreated, cat)
}

func (h *categoryHandlers) patch(c echo.Context) error {
	code := c.Param("code")
	body, err := readBody(c)
	if err != nil {
		return err
	}
	cur, err := h.svc.Category(c.Request().Context(), principal(c), code)
	if err != nil {
		return err
	}
	active := cur.Active
	// The document patched holds the default unit by code only, so that a patch naming either the code or the id
	// (or null to clear it) is unambiguous.
	doc, _ := json.Marshal(categoryIn{Code: cur.Code, NameZh: cur.NameZh, NameEn: cur.NameEn, Group: cur.Group, Type: cur.Type,
		DefaultUnitCode: cur.DefaultUnitCode, TimeLimitHours: cur.TimeLimitHours, UrgentLimitHours: cur.UrgentLimitHours,
		Active: &active, Sort: cur.Sort})
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(body, &raw)
	merged, err := mergePatch(doc, body)
	if err != nil {
		return err
	}
	var in categoryIn
	if err := decodeJSON(merged, &in); err != nil {
		return err
	}
	if v, ok := raw["default_unit_id"]; ok && string(v) == "null" {
		in.DefaultUnitCode = ""
	}
	cat, err := h.svc.UpdateCategory(c.Request().Context(), actor(c), code, in.category())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cat)
}
