package handlers

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// OpenAPIDoc is the OpenAPI 3.0 description of /api/v1 (hand-written; a test checks it lists every
// /api/v1 route and that real answers validate against it).
//
//go:embed openapi.json
var OpenAPIDoc []byte

func (o *ogcAPI) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, OpenAPIDoc)
}

// apiDoc serves the OpenAPI 3.0 definition of the OGC endpoints (the landing page's service-desc).
func (o *ogcAPI) apiDoc(c echo.Context) error {
	return o.render(c, mtOpenAPI, "everymeter OGC API definition", o.ogcOpenAPI(c))
}

// ogcOpenAPI describes /ogc/ with the collections known to this build.
func (o *ogcAPI) ogcOpenAPI(c echo.Context) map[string]any {
	ids := o.h.Svc.OGCCollectionIDs()
	param := func(name, in, desc string, schema map[string]any, required bool) map[string]any {
		return map[string]any{"name": name, "in": in, "description": desc, "required": required, "schema": schema}
	}
	str := map[string]any{"type": "string"}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/parameters/" + name} }
	resp := func(desc, mt string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{mt: map[string]any{"schema": map[string]any{"type": "object"}}}},
			"default": map[string]any{"description": "An error (RFC 9457 problem details)",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object"}}}}}
	}
	get := func(id, summary string, params []any, desc, mt string) map[string]any {
		return map[string]any{"get": map[string]any{"operationId": id, "summary": summary, "parameters": params, "responses": resp(desc, mt)}}
	}
	crsEnum := map[string]any{"type": "string", "format": "uri", "enum": supportedCRS, "default": crsCRS84}
	base := strings.TrimSuffix(o.href(c, "/ogc", nil), "/ogc")
	if i := strings.Index(base, "?"); i >= 0 {
		base = base[:i]
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "everymeter OGC API – Features", "version": "1.0.0",
			"description": "Streets, zones, assignments, coverage and outstanding reports. Sign in with an API key: header X-API-Key or ?api_key=."},
		"servers": []map[string]any{{"url": base + "/ogc"}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"apiKeyHeader": map[string]any{"type": "apiKey", "in": "header", "name": apiKeyHeader},
				"apiKeyQuery":  map[string]any{"type": "apiKey", "in": "query", "name": "api_key"},
				"bearer":       map[string]any{"type": "http", "scheme": "bearer"},
			},
			"parameters": map[string]any{
				"f":            param("f", "query", "Representation", map[string]any{"type": "string", "enum": []string{"json", "html"}}, false),
				"collectionId": param("collectionId", "path", "Collection id", map[string]any{"type": "string", "enum": ids}, true),
				"featureId":    param("featureId", "path", "Feature id", str, true),
				"limit": param("limit", "query", "Features per page (larger values are clamped to the maximum)",
					map[string]any{"type": "integer", "minimum": 1, "maximum": ogcMaxLimit, "default": ogcDefaultLimit}, false),
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minx,miny,maxx,maxy in bbox-crs (CRS84 lon,lat by default)",
					"schema":      map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
				"bbox-crs": param("bbox-crs", "query", "CRS of bbox", crsEnum, false),
				"crs":      param("crs", "query", "CRS of the answer's coordinates", crsEnum, false),
				"datetime": param("datetime", "query", "Instant or interval (start/end, '..' open) the features' [created_at, updated_at] must meet", str, false),
				"after":    param("after", "query", "Cursor: features after this id (from a next link)", str, false),
				"before":   param("before", "query", "Cursor: features before this id (from a prev link)", str, false),
			},
		},
		"security": []map[string]any{{"apiKeyHeader": []string{}}, {"apiKeyQuery": []string{}}, {"bearer": []string{}}},
		"paths": map[string]any{
			"/":            get("getLandingPage", "Landing page", []any{ref("f")}, "Links to the API", mtJSON),
			"/conformance": get("getConformance", "Conformance classes", []any{ref("f")}, "Conformance classes", mtJSON),
			"/api":         get("getAPI", "This definition", []any{ref("f")}, "OpenAPI 3.0", mtOpenAPI),
			"/collections": get("getCollections", "Collections", []any{ref("f")}, "The collections", mtJSON),
			"/collections/{collectionId}": get("describeCollection", "One collection",
				[]any{ref("collectionId"), ref("f")}, "The collection", mtJSON),
			"/collections/{collectionId}/queryables": get("getQueryables", "Queryable properties",
				[]any{ref("collectionId"), ref("f")}, "JSON Schema of the properties usable as ?name=value filters", mtSchema),
			"/collections/{collectionId}/items": get("getFeatures", "Features, paged by id with next/prev links",
				[]any{ref("collectionId"), ref("limit"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("datetime"), ref("after"), ref("before"), ref("f")},
				"A FeatureCollection with numberMatched, numberReturned and links; other query parameters filter queryable properties by equality", mtGeoJSON),
			"/collections/{collectionId}/items/{featureId}": get("getFeature", "One feature",
				[]any{ref("collectionId"), ref("featureId"), ref("crs"), ref("f")}, "A Feature", mtGeoJSON),
		},
	}
}
