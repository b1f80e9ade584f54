package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

type unitIn struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	ParentID      *int64 `json:"parent_id"`
	ContactPerson string `json:"contact_person"`
	Phone         string `json:"phone"`
}

func (u unitIn) unit(id int64) domain.Unit {
	return domain.Unit{ID: id, Code: u.Code, Name: u.Name, Kind: u.Kind, ParentID: u.ParentID, ContactPerson: u.ContactPerson, Phone: u.Phone}
}

func (h *Handler) listUnits(c echo.Context) error {
	units, err := h.Svc.Units(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": units})
}

func (h *Handler) createUnit(c echo.Context) error {
	var in unitIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Svc.CreateUnit(c.Request().Context(), actor(c), in.unit(0))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/units/"+itoa(u.ID))
	return c.JSON(http.StatusCreated, u)
}

func (h *Handler) patchUnit(c echo.Context) error {
	id, _, merged, err := mergedByID(c, h.Svc.Unit, func(u domain.Unit) any {
		return unitIn{Code: u.Code, Name: u.Name, Kind: u.Kind, ParentID: u.ParentID, ContactPerson: u.ContactPerson, Phone: u.Phone}
	})
	if err != nil {
		return err
	}
	var in unitIn
	if err := decodeJSON(merged, &in); err != nil {
		return err
	}
	u, err := h.Svc.UpdateUnit(c.Request().Context(), actor(c), in.unit(id))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}
