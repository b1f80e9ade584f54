package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
	"everymeter/vocab"
)

type assignmentIn struct {
	UnitID    int64      `json:"unit_id"`
	FromM     *float64   `json:"from_m"`
	ToM       *float64   `json:"to_m"`
	Role      string     `json:"role"`
	Person    string     `json:"person"`
	Phone     string     `json:"phone"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
	Side      string     `json:"side"`
}

func (in assignmentIn) assignment(id, assetID int64) (domain.Assignment, error) {
	if in.FromM == nil {
		return domain.Assignment{}, badRequest("from_m", "from_m is required (meters from the asset's start)")
	}
	if in.ToM == nil {
		return domain.Assignment{}, badRequest("to_m", "to_m is required (meters from the asset's start)")
	}
	if in.Role == "" {
		in.Role = string(vocab.Lead)
	}
	return domain.Assignment{ID: id, AssetID: assetID, UnitID: in.UnitID, FromM: *in.FromM, ToM: *in.ToM, Role: in.Role,
		Person: in.Person, Phone: in.Phone, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Side: in.Side}, nil
}

func (h *Handler) listAssignments(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	as, err := h.Svc.AssignmentsOf(ctx, principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": as})
}

func (h *Handler) createAssignment(c echo.Context) error {
	assetID, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in assignmentIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := in.assignment(0, assetID)
	if err != nil {
		return err
	}
	out, err := h.Svc.CreateAssignment(c.Request().Context(), actor(c), a)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/assignments/"+itoa(out.ID))
	return c.JSON(http.StatusCreated, out)
}

func (h *Handler) patchAssignment(c echo.Context) error {
	id, cur, merged, err := mergedByID(c, h.Svc.Assignment, func(a domain.Assignment) any {
		return assignmentIn{UnitID: a.UnitID, FromM: &a.FromM, ToM: &a.ToM, Role: a.Role, Person: a.Person, Phone: a.Phone, ValidFrom: a.ValidFrom, ValidTo: a.ValidTo, Side: a.Side}
	})
	if err != nil {
		return err
	}
	var in assignmentIn
	if err := decodeJSON(merged, &in); err != nil {
		return err
	}
	a, err := in.assignment(id, cur.AssetID)
	if err != nil {
		return err
	}
	out, err := h.Svc.UpdateAssignment(c.Request().Context(), actor(c), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
