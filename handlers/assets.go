package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
)

type assetProps struct {
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	Attributes map[string]any `json:"attributes"`
}

func assetFeature(a domain.Asset) *geojson.Feature {
	f := geojson.NewFeature(a.Geom)
	f.ID = a.ID
	f.Properties = geojson.Properties{
		"id": a.ID, "kind": a.Kind, "name": a.Name, "length_m": a.LengthM, "area_m": a.AreaM,
		"attributes": a.Attributes, "created_at": a.CreatedAt, "updated_at": a.UpdatedAt,
	}
	if a.Source != "" {
		f.Properties["source"] = a.Source
		f.Properties["source_id"] = a.SourceID
	}
	return f
}

func (h *Handler) listAssets(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	var after int64
	if s := c.QueryParam("cursor"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return badRequest("cursor", "cursor must be the value from a next link")
		}
	}
	kind := c.QueryParam("kind")
	q := c.QueryParam("q")
	if len(q) > 200 {
		return badRequest("q", "q must be at most 200 bytes")
	}
	as, err := h.Svc.Assets(c.Request().Context(), principal(c), domain.AssetFilter{Kind: kind, BBox: bbox, Q: q, After: after, Limit: limit})
	if err != nil {
		return err
	}
	fc := newFC(len(as))
	for _, a := range as {
		fc.Features = append(fc.Features, assetFeature(a))
	}
	if len(as) == limit {
		fc.Links = append(fc.Links, nextLink(c, strconv.FormatInt(as[len(as)-1].ID, 10)))
	}
	return geoJSON(c, http.StatusOK, fc)
}

// assetFrom turns a decoded Feature into an asset.
func assetFrom(g orb.Geometry, props json.RawMessage, field string) (domain.Asset, error) {
	var p assetProps
	if err := json.Unmarshal(props, &p); err != nil {
		return domain.Asset{}, jsonError(field+"properties", err)
	}
	return domain.Asset{Kind: p.Kind, Name: p.Name, Attributes: p.Attributes, Geom: g}, nil
}

func (h *Handler) createAssets(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var head struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := decodeJSON(body, &head); err != nil {
		return err
	}
	ctx := c.Request().Context()
	switch head.Type {
	case "Feature":
		g, props, err := decodeFeature(body, "")
		if err != nil {
			return err
		}
		a, err := assetFrom(g, props, "")
		if err != nil {
			return err
		}
		out, err := h.Svc.CreateAssets(ctx, actor(c), []domain.Asset{a}, false)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Location", "/api/v1/assets/"+itoa(out[0].ID))
		return geoJSON(c, http.StatusCreated, assetFeature(out[0]))
	case "FeatureCollection":
		if len(head.Features) == 0 {
			return badRequest("features", "the FeatureCollection has no features")
		}
		if len(head.Features) > 50000 {
			return badRequest("features", "at most 50000 features per request")
		}
		as := make([]domain.Asset, 0, len(head.Features))
		for i, raw := range head.Features {
			field := fmt.Sprintf("features[%d].", i)
			g, props, err := decodeFeature(raw, field)
			if err != nil {
				return err
			}
			a, err := assetFrom(g, props, field)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		out, err := h.Svc.CreateAssets(ctx, actor(c), as, true)
		if err != nil {
			return err
		}
		fc := newFC(len(out))
		for _, a := range out {
			fc.Features = append(fc.Features, assetFeature(a))
		}
		return geoJSON(c, http.StatusCreated, fc)
	}
	return badRequestf("type", "expected a GeoJSON Feature or FeatureCollection, got type %q", head.Type)
}

func (h *Handler) patchAsset(c echo.Context) error {
	id, _, merged, err := mergedByID(c, h.Svc.Asset, func(a domain.Asset) any {
		f := geojson.NewFeature(a.Geom)
		f.Properties = geojson.Properties{"kind": a.Kind, "name": a.Name, "attributes": a.Attributes}
		return f
	})
	if err != nil {
		return err
	}
	g, props, err := decodeFeature(merged, "")
	if err != nil {
		return err
	}
	a, err := assetFrom(g, props, "")
	if err != nil {
		return err
	}
	a.ID = id
	out, err := h.Svc.UpdateAsset(c.Request().Context(), actor(c), a)
	if err != nil {
		return err
	}
	return geoJSON(c, http.StatusOK, assetFeature(out))
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
