package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/tilecache"
)

// Vector tiles (MVT 2.1) built by PostGIS: /tiles/{layer}/{z}/{x}/{y}.mvt, TileJSON at /tiles/{layer}.json.

const mtMVT = "application/vnd.mapbox-vector-tile"

func (o *ogcAPI) layerNames() string {
	var names []string
	for _, l := range o.h.Svc.TileLayers() {
		names = append(names, l.Name)
	}
	return strings.Join(names, ", ")
}

func (o *ogcAPI) layerParam(name string) (domain.TileLayer, error) {
	l, err := o.h.Svc.TileLayer(name)
	if err != nil {
		return l, problemf(http.StatusNotFound, "Not found", "no tile layer %q; the layers are %s", name, o.layerNames())
	}
	return l, nil
}

// TileBound returns the lon/lat area a tile shows, its buffer included: a write within it can change the tile.
func TileBound(t maptile.Tile) orb.Bound {
	b := t.Bound()
	// The buffer is TileBuffer/TileExtent of the tile on each side; pad a little more so that rounding in
	// the projection never leaves a changed tile cached.
	f := 1.5 * float64(domain.TileBuffer) / domain.TileExtent
	dx, dy := (b.Max[0]-b.Min[0])*f, (b.Max[1]-b.Min[1])*f
	return orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
}

func (o *ogcAPI) tile(c echo.Context) error {
	l, err := o.layerParam(c.Param("layer"))
	if err != nil {
		return err
	}
	y, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		if y, ok = strings.CutSuffix(c.Param("y"), ".pbf"); !ok {
			return problem(http.StatusNotFound, "Not found", "tile URLs end in .mvt: /tiles/{layer}/{z}/{x}/{y}.mvt")
		}
	}
	t, err := geo.ParseTile(c.Param("z"), c.Param("x"), y)
	if err != nil {
		return err
	}
	// Principals who see different features of a layer (unit staff see their unit's cases) get different
	// cache entries: the scope is part of the key.
	p := principal(c)
	scope, err := o.h.Svc.TileScope(p, l.Name)
	if err != nil {
		return err
	}
	key := tilecache.Key{Layer: l.Name, Z: uint32(t.Z), X: t.X, Y: t.Y}
	if scope != "" {
		key.Layer += "@" + scope
	}
	ctx := c.Request().Context()
	tl, err := o.tiles.Load(key, TileBound(t), func() ([]byte, error) { return o.h.Svc.Tile(ctx, p, l.Name, t) })
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("ETag", tl.ETag)
	hd.Set("Vary", "Accept-Encoding")
	// Tiles change with every edit: clients may keep them but must revalidate (a 304 costs nothing).
	hd.Set("Cache-Control", "private, no-cache")
	if etagMatches(c.Request().Header.Get("If-None-Match"), tl.ETag) {
		return c.NoContent(http.StatusNotModified)
	}
	body := tl.Data
	if len(body) > 0 && acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		body = tl.Gzip()
		hd.Set("Content-Encoding", "gzip")
	}
	// A declared length spares the chunked framing and lets HEAD answer with the size of the GET.
	hd.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, mtMVT, body)
}

// etagMatches reports whether an If-None-Match header names etag (weak comparison, as RFC 9110 asks).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding allows gzip (and does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			p := strings.ReplaceAll(params, " ", "")
			return !(p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000")
		}
	}
	return false
}

func (o *ogcAPI) tileJSONDoc(c echo.Context, l domain.TileLayer) map[string]any {
	q := url.Values{}
	tiles := o.href(c, "/tiles/"+l.Name+"/", q) // carries api_key
	u, _ := url.Parse(tiles)
	rawQuery := u.RawQuery
	u.RawQuery = ""
	tmpl := u.String() + "{z}/{x}/{y}.mvt"
	if rawQuery != "" {
		tmpl += "?" + rawQuery
	}
	layers := []map[string]any{{"id": l.Name, "fields": l.Fields, "minzoom": l.MinZoom, "maxzoom": l.MaxZoom, "geometry_type": l.GeomType}}
	if len(l.Parts) > 0 { // a tile of several MVT layers (the basemap): each is a vector layer of its own
		layers = layers[:0]
		for _, p := range l.Parts {
			layers = append(layers, map[string]any{"id": p.Name, "fields": p.Fields, "minzoom": p.MinZoom, "maxzoom": p.MaxZoom, "geometry_type": p.GeomType})
		}
	}
	return map[string]any{
		"tilejson": "3.0.0", "name": l.Name, "scheme": "xyz", "tiles": []string{tmpl},
		"minzoom": l.MinZoom, "maxzoom": l.MaxZoom, "bounds": []float64{-180, -85.0511, 180, 85.0511},
		"attribution":   "© OpenStreetMap contributors",
		"vector_layers": layers,
	}
}

func (o *ogcAPI) tileJSON(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("layer"), ".json")
	if !ok {
		return problem(http.StatusNotFound, "Not found", "TileJSON is at /tiles/{layer}.json; tiles at /tiles/{layer}/{z}/{x}/{y}.mvt")
	}
	l, err := o.layerParam(name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o.tileJSONDoc(c, l))
}

func (o *ogcAPI) tileIndex(c echo.Context) error {
	layers := o.h.Svc.TileLayers()
	items := make([]map[string]any, 0, len(layers))
	for _, l := range layers {
		items = append(items, map[string]any{"name": l.Name, "geometry_type": l.GeomType,
			"tilejson": o.href(c, "/tiles/"+l.Name+".json", nil)})
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
