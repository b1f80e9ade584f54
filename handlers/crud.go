package handlers

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// getByID answers GET …/:id: parse the id (anything but a positive integer is a 404), load, render.
func getByID[T any](load func(context.Context, domain.Principal, int64) (T, error), render func(echo.Context, T) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		v, err := load(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return render(c, v)
	}
}

// deleteByID answers DELETE …/:id through a service delete that audits it as the request's user.
func deleteByID(del func(context.Context, domain.Actor, int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		if err := del(c.Request().Context(), actor(c), id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// renderJSON renders a value as plain JSON.
func renderJSON[T any](c echo.Context, v T) error { return c.JSON(http.StatusOK, v) }

// renderAsset renders an asset as a GeoJSON Feature.
func renderAsset(c echo.Context, a domain.Asset) error {
	return geoJSON(c, http.StatusOK, assetFeature(a))
}

// renderZone renders a zone as a GeoJSON Feature.
func renderZone(c echo.Context, z domain.Zone) error {
	return geoJSON(c, http.StatusOK, zoneFeature(z))
}

// mergedByID does the common part of PATCH …/:id: it reads the JSON merge patch, loads the current record,
// renders it as the document clients patch (doc), and returns the record and the patched document. The
// caller validates the result through the same path as a create.
func mergedByID[T any](c echo.Context, load func(context.Context, domain.Principal, int64) (T, error), doc func(T) any) (int64, T, []byte, error) {
	var cur T
	id, err := idParam(c, "id")
	if err != nil {
		return 0, cur, nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return 0, cur, nil, err
	}
	if cur, err = load(c.Request().Context(), principal(c), id); err != nil {
		return 0, cur, nil, err
	}
	current, err := json.Marshal(doc(cur))
	if err != nil {
		return 0, cur, nil, err
	}
	merged, err := mergePatch(current, body)
	return id, cur, merged, err
}
