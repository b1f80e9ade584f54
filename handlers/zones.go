package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
)

type zoneProps struct {
	Name      string     `json:"name"`
	UnitID    int64      `json:"unit_id"`
	Role      string     `json:"role"`
	Kind      string     `json:"kind"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
}

func zoneFeature(z domain.Zone) *geojson.Feature {
	f := geojson.NewFeature(z.Geom)
	f.ID = z.ID
	f.Properties = geojson.Properties{"id": z.ID, "name": z.Name, "unit_id": z.UnitID, "role": z.Role, "kind": z.Kind,
		"valid_from": z.ValidFrom, "valid_to": z.ValidTo, "created_at": z.CreatedAt, "updated_at": z.UpdatedAt}
	return f
}

func (h *Handler) listZones(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	zs, err := h.Svc.Zones(c.Request().Context(), principal(c), bbox)
	if err != nil {
		return err
	}
	fc := newFC(len(zs))
	for _, z := range zs {
		fc.Features = append(fc.Features, zoneFeature(z))
	}
	return geoJSON(c, http.StatusOK, fc)
}

func zoneFromFeature(b []byte) (domain.Zone, error) {
	g, props, err := decodeFeature(b, "")
	if err != nil {
		return domain.Zone{}, err
	}
	var p zoneProps
	if err := json.Unmarshal(props, &p); err != nil {
		return domain.Zone{}, jsonError("properties", err)
	}
	if p.Kind == "" {
		p.Kind = "网格"
	}
	return domain.Zone{Name: p.Name, UnitID: p.UnitID, Role: p.Role, Kind: p.Kind, Geom: g, ValidFrom: p.ValidFrom, ValidTo: p.ValidTo}, nil
}

func (h *Handler) createZone(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	z, err := zoneFromFeature(body)
	if err != nil {
		return err
	}
	out, err := h.Svc.CreateZone(c.Request().Context(), actor(c), z)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/zones/"+itoa(out.ID))
	return geoJSON(c, http.StatusCreated, zoneFeature(out))
}

func (h *Handler) patchZone(c echo.Context) error {
	id, _, merged, err := mergedByID(c, h.Svc.Zone, func(z domain.Zone) any {
		f := geojson.NewFeature(z.Geom)
		f.Properties = geojson.Properties{"name": z.Name, "unit_id": z.UnitID, "role": z.Role, "kind": z.Kind, "valid_from": z.ValidFrom, "valid_to": z.ValidTo}
		return f
	})
	if err != nil {
		return err
	}
	z, err := zoneFromFeature(merged)
	if err != nil {
		return err
	}
	z.ID = id
	out, err := h.Svc.UpdateZone(c.Request().Context(), actor(c), z)
	if err != nil {
		return err
	}
	return geoJSON(c, http.StatusOK, zoneFeature(out))
}
