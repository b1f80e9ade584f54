package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// MaxVertices is the most vertices a client geometry may have.
const MaxVertices = 200000

// Class groups geometry types by dimension.
type Class int

// Geometry classes; the zero Class means unsupported.
const (
	Lineal    Class = iota + 1 // LineString, MultiLineString
	Polygonal                  // Polygon, MultiPolygon
	Puntal                     // Point, MultiPoint
)

// String returns the class name.
func (c Class) String() string {
	switch c {
	case Lineal:
		return "lineal"
	case Polygonal:
		return "polygonal"
	case Puntal:
		return "puntal"
	}
	return "unsupported"
}

// ClassOf returns the class of a geometry, or 0 for types outside the three classes.
func ClassOf(g orb.Geometry) Class {
	switch g.(type) {
	case orb.LineString, orb.MultiLineString:
		return Lineal
	case orb.Polygon, orb.MultiPolygon:
		return Polygonal
	case orb.Point, orb.MultiPoint:
		return Puntal
	}
	return 0
}

// rawGeometry is a GeoJSON geometry object before its coordinates are typed.
type rawGeometry struct {
	Type        *string         `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// position is a GeoJSON position kept as text so huge exponents such as 1e999 are
// reported as non-finite instead of failing inside encoding/json with a type error.
type position []number

// number is a JSON number literal; unlike json.Number it refuses strings such as "1".
type number string

// UnmarshalJSON accepts only a number literal.
func (n *number) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return fmt.Errorf("expected a number, got %s", truncate(string(b), 32))
	}
	*n = number(b)
	return nil
}

// DecodeGeometry parses and validates one GeoJSON geometry object; every failure is a *FieldError on "geometry".
func DecodeGeometry(raw []byte) (orb.Geometry, error) {
	var rg rawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return nil, geomErr("is not a valid GeoJSON object: %s", jsonDetail(err))
	}
	if rg.Type == nil {
		return nil, geomErr(`has no "type" member`)
	}
	typ := *rg.Type
	switch typ {
	case "GeometryCollection":
		return nil, geomErr("type GeometryCollection is not supported; send a Point, LineString, Polygon or their Multi- forms")
	case "Feature", "FeatureCollection":
		return nil, geomErr("expected a geometry object, got a %s; send its geometry member", typ)
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon":
	default:
		return nil, geomErr("unknown geometry type %q", truncate(typ, 40))
	}
	c := bytes.TrimSpace(rg.Coordinates)
	if len(c) == 0 || string(c) == "null" {
		return nil, geomErr("%s has no coordinates", typ)
	}
	g, err := decodeCoords(typ, c)
	if err != nil {
		return nil, err
	}
	if err := ValidateGeometry(g); err != nil {
		return nil, err
	}
	return g, nil
}

func decodeCoords(typ string, c []byte) (orb.Geometry, error) {
	bad := func(err error) error {
		return geomErr("coordinates are not nested as a %s needs: %s", typ, jsonDetail(err))
	}
	switch typ {
	case "Point":
		var p position
		if err := json.Unmarshal(c, &p); err != nil {
			return nil, bad(err)
		}
		return toPoint(p, "point")
	case "MultiPoint", "LineString":
		var ps []position
		if err := json.Unmarshal(c, &ps); err != nil {
			return nil, bad(err)
		}
		pts, err := toPoints(ps, "point")
		if err != nil {
			return nil, err
		}
		if typ == "MultiPoint" {
			return orb.MultiPoint(pts), nil
		}
		return orb.LineString(pts), nil
	case "MultiLineString", "Polygon":
		var ls [][]position
		if err := json.Unmarshal(c, &ls); err != nil {
			return nil, bad(err)
		}
		if err := countVertices(len2(ls)); err != nil {
			return nil, err
		}
		if typ == "Polygon" {
			return toPolygon(ls, "")
		}
		mls := make(orb.MultiLineString, len(ls))
		for i, l := range ls {
			pts, err := toPoints(l, fmt.Sprintf("point of line %d,", i))
			if err != nil {
				return nil, err
			}
			mls[i] = pts
		}
		return mls, nil
	case "MultiPolygon":
		var ps [][][]position
		if err := json.Unmarshal(c, &ps); err != nil {
			return nil, bad(err)
		}
		n := 0
		for _, p := range ps {
			n += len2(p)
		}
		if err := countVertices(n); err != nil {
			return nil, err
		}
		mp := make(orb.MultiPolygon, len(ps))
		for i, p := range ps {
			poly, err := toPolygon(p, fmt.Sprintf(" %d", i))
			if err != nil {
				return nil, err
			}
			mp[i] = poly
		}
		return mp, nil
	}
	return nil, geomErr("unknown geometry type %q", typ)
}

func len2(ls [][]position) int {
	n := 0
	for _, l := range ls {
		n += len(l)
	}
	return n
}

func toPolygon(rings [][]position, which string) (orb.Polygon, error) {
	poly := make(orb.Polygon, len(rings))
	for i, r := range rings {
		pts, err := toPoints(r, fmt.Sprintf("point of ring %d of polygon%s,", i, which))
		if err != nil {
			return nil, err
		}
		poly[i] = orb.Ring(pts)
	}
	return poly, nil
}

func toPoints(ps []position, what string) ([]orb.Point, error) {
	if err := countVertices(len(ps)); err != nil {
		return nil, err
	}
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		pt, err := toPoint(p, fmt.Sprintf("%s %d", what, i))
		if err != nil {
			return nil, err
		}
		out[i] = pt
	}
	return out, nil
}

func toPoint(p position, what string) (orb.Point, error) {
	if len(p) < 2 || len(p) > 3 {
		return orb.Point{}, geomErr("%s has %d numbers; a position is [lon, lat] or [lon, lat, height]", what, len(p))
	}
	var pt orb.Point
	for i := 0; i < 2; i++ {
		f, err := strconv.ParseFloat(string(p[i]), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Point{}, geomErr("%s: coordinate %s is not a finite number", what, truncate(string(p[i]), 32))
		}
		pt[i] = f
	}
	return pt, nil
}

func countVertices(n int) error {
	if n > MaxVertices {
		return geomErr("has %d vertices, more than the limit of %d", n, MaxVertices)
	}
	return nil
}

// jsonDetail turns encoding/json errors into a sentence without Go type names.
func jsonDetail(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("unexpected %s in %q at byte %d", te.Value, te.Field, te.Offset)
		}
		return fmt.Sprintf("unexpected %s at byte %d", te.Value, te.Offset)
	}
	return err.Error()
}

func geomErr(format string, args ...any) *FieldError {
	return Fieldf("geometry", format, args...)
}
