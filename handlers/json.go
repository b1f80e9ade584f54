package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/geo"
)

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readBody returns the request body after checking its content type is JSON (415 otherwise).
func readBody(c echo.Context) ([]byte, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !(mt == "application/json" || mt == "application/geo+json" || mt == "application/merge-patch+json" || strings.HasSuffix(mt, "+json")) {
		return nil, problemf(http.StatusUnsupportedMediaType, "Unsupported media type", "send JSON with Content-Type: application/json (got %q)", ct)
	}
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, badRequestf("body", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, badRequest("body", "the request body is empty; send a JSON document")
	}
	return b, nil
}

// bindJSON decodes a JSON body into v with clear errors.
func bindJSON(c echo.Context, v any) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return jsonError("body", err)
	}
	if dec.More() {
		return badRequest("body", "unexpected data after the JSON document")
	}
	return nil
}

// jsonError is the 400 for a body (or member) that does not decode.
func jsonError(field string, err error) *Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequestf(field, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return badRequestf(field, "field %q must be a %s, not a JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(field, "malformed JSON: the document ends too early")
	}
	return badRequestf(field, "malformed JSON: %v", err)
}

// mergePatch applies an RFC 7396 JSON merge patch to doc.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, jsonError("body", err)
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, badRequest("body", "a PATCH body must be a JSON object (a merge patch)")
	}
	return json.Marshal(merge(d, p))
}

func merge(d, p any) any {
	pm, ok := p.(map[string]any)
	if !ok {
		return p
	}
	dm, ok := d.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
		} else {
			dm[k] = merge(dm[k], v)
		}
	}
	return dm
}

// idParam parses a positive integer path parameter; anything else is a 404 (no such record).
func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problemf(http.StatusNotFound, "Not found", "%q is not a valid id", c.Param(name))
	}
	return id, nil
}

// bboxParam parses the optional bbox query parameter.
func bboxParam(c echo.Context) (*orb.Bound, error) {
	s := c.QueryParam("bbox")
	if s == "" {
		return nil, nil
	}
	b, err := geo.ParseBBox(s)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// intParam parses an optional integer query parameter within [min, max].
func intParam(c echo.Context, name string, def, min, max int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, badRequestf(name, "%s must be an integer from %d to %d", name, min, max)
	}
	return n, nil
}

// floatParam parses an optional finite number query parameter.
func floatParam(c echo.Context, name string, def float64) (float64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1e15 || f < -1e15 {
		return 0, badRequest(name, name+" must be a finite number")
	}
	return f, nil
}

// featureIn is a GeoJSON Feature as received; the geometry is decoded and validated by geo.
type featureIn struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// decodeFeature parses one Feature, returning its geometry and raw properties.
func decodeFeature(b []byte, field string) (orb.Geometry, json.RawMessage, error) {
	var f featureIn
	if err := decodeJSON(b, &f); err != nil {
		return nil, nil, err
	}
	if f.Type != "Feature" {
		return nil, nil, badRequestf(field+"type", "expected a GeoJSON Feature, got type %q", f.Type)
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return nil, nil, badRequest(field+"geometry", "the feature has no geometry")
	}
	g, err := geo.DecodeGeometry(f.Geometry)
	if err != nil {
		var fe *geo.FieldError
		if errors.As(err, &fe) {
			return nil, nil, fieldProblem(false, &geo.FieldError{Field: field + "geometry", Detail: fe.Detail, Format: fe.Format, Args: fe.Args})
		}
		return nil, nil, err
	}
	if len(f.Properties) == 0 || string(f.Properties) == "null" {
		f.Properties = json.RawMessage(`{}`)
	}
	return g, f.Properties, nil
}

// featureCollection is the GeoJSON answer of every list, with paging links.
type featureCollection struct {
	Type     string             `json:"type"`
	Features []*geojson.Feature `json:"features"`
	Links    []link             `json:"links,omitempty"`
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

func newFC(n int) *featureCollection {
	return &featureCollection{Type: "FeatureCollection", Features: make([]*geojson.Feature, 0, n)}
}

// nextLink builds the URL of the next page by setting the cursor parameter on the current request URL.
func nextLink(c echo.Context, cursor string) link {
	u := *c.Request().URL
	q := u.Query()
	q.Set("cursor", cursor)
	u.RawQuery = q.Encode()
	return link{Rel: "next", Href: (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String(), Type: "application/geo+json"}
}

// geoJSON renders v with the GeoJSON content type.
func geoJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	c.Response().WriteHeader(status)
	return jsonEncode(c.Response(), v)
}
