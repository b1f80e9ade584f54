package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestDecodeGeometry(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		class   Class
		wantErr string // substring of the detail; empty means success
	}{
		{"point", `{"type":"Point","coordinates":[9.52,47.14]}`, Puntal, ""},
		{"point with height", `{"type":"Point","coordinates":[9.52,47.14,455.5]}`, Puntal, ""},
		{"multipoint", `{"type":"MultiPoint","coordinates":[[9.52,47.14],[9.53,47.15]]}`, Puntal, ""},
		{"linestring", `{"type":"LineString","coordinates":[[9.52,47.14],[9.53,47.15]]}`, Lineal, ""},
		{"multilinestring", `{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}`, Lineal, ""},
		{"polygon", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`, Polygonal, ""},
		{"polygon with hole", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}`, Polygonal, ""},
		{"hole touching shell at a vertex", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[0,0],[1,2],[2,1],[0,0]]]}`, Polygonal, ""},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`, Polygonal, ""},
		{"extra members ignored", `{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2],"crs":null}`, Puntal, ""},
		{"repeated vertices are fine", `{"type":"LineString","coordinates":[[0,0],[0,0],[1,1]]}`, Lineal, ""},

		{"malformed JSON", `{"type":"Point",`, 0, "not a valid GeoJSON object"},
		{"not an object", `[1,2]`, 0, "not a valid GeoJSON object"},
		{"empty input", ``, 0, "not a valid GeoJSON object"},
		{"no type", `{"coordinates":[1,2]}`, 0, `no "type"`},
		{"type not a string", `{"type":5,"coordinates":[1,2]}`, 0, "not a valid GeoJSON object"},
		{"unknown type", `{"type":"Circle","coordinates":[1,2]}`, 0, `unknown geometry type "Circle"`},
		{"lowercase type", `{"type":"point","coordinates":[1,2]}`, 0, "unknown geometry type"},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[]}`, 0, "GeometryCollection is not supported"},
		{"feature", `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`, 0, "got a Feature"},
		{"missing coordinates", `{"type":"Point"}`, 0, "has no coordinates"},
		{"null coordinates", `{"type":"LineString","coordinates":null}`, 0, "has no coordinates"},
		{"wrong nesting", `{"type":"LineString","coordinates":[1,2]}`, 0, "not nested as a LineString"},
		{"string coordinate", `{"type":"Point","coordinates":["1","2"]}`, 0, "expected a number"},
		{"null coordinate", `{"type":"Point","coordinates":[null,2]}`, 0, "expected a number"},
		{"NaN via huge exponent", `{"type":"Point","coordinates":[1e999,2]}`, 0, "coordinate 1e999 is not a finite number"},
		{"one number position", `{"type":"Point","coordinates":[1]}`, 0, "has 1 numbers"},
		{"four number position", `{"type":"Point","coordinates":[1,2,3,4]}`, 0, "has 4 numbers"},
		{"longitude out of range", `{"type":"Point","coordinates":[181,2]}`, 0, "longitude 181 is outside [-180, 180]"},
		{"latitude out of range", `{"type":"LineString","coordinates":[[0,0],[1,-91]]}`, 0, "point 1 of linestring: latitude -91 is outside [-90, 90]"},
		{"empty multipoint", `{"type":"MultiPoint","coordinates":[]}`, 0, "MultiPoint has no points"},
		{"empty linestring", `{"type":"LineString","coordinates":[]}`, 0, "linestring has 0 points"},
		{"one point linestring", `{"type":"LineString","coordinates":[[1,2]]}`, 0, "linestring has 1 points"},
		{"linestring of one repeated point", `{"type":"LineString","coordinates":[[1,2],[1,2],[1,2]]}`, 0, "fewer than 2 distinct points"},
		{"empty multilinestring", `{"type":"MultiLineString","coordinates":[]}`, 0, "MultiLineString has no lines"},
		{"bad part of multilinestring", `{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2]]]}`, 0, "line 1 of multilinestring has 1 points"},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, 0, "polygon has no rings"},
		{"empty ring", `{"type":"Polygon","coordinates":[[]]}`, 0, "ring 0 of polygon has 0 points"},
		{"ring with 3 points", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, 0, "ring 0 of polygon has 3 points; a closed ring needs at least 4"},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[1,2],[2,2],[2,3],[1,3]]]}`, 0, "ring 0 of polygon is not closed: first point [1,2] differs from last point [1,3]"},
		{"collapsed ring", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0],[1,1],[0,0]]]}`, 0, "fewer than 3 distinct points"},
		{"bow-tie", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`, 0, "ring 0 of polygon crosses itself near [0.5,0.5]"},
		{"hole crossing shell", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[3,1],[5,1],[5,2],[3,2],[3,1]]]}`, 0, "ring 1 of polygon crosses ring 0 near [4,"},
		{"bow-tie in multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,1],[1,0],[0,1],[0,0]]]]}`, 0, "ring 0 of polygon 1 crosses itself"},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, 0, "MultiPolygon has no polygons"},
		{"too many vertices", tooManyVertices(), 0, fmt.Sprintf("more than the limit of %d", MaxVertices)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := DecodeGeometry([]byte(tc.in))
			checkFieldErr(t, err, "geometry", tc.wantErr)
			if tc.wantErr == "" {
				if c := ClassOf(g); c != tc.class {
					t.Errorf("ClassOf = %v, want %v", c, tc.class)
				}
				if err := ValidateGeometry(g); err != nil {
					t.Errorf("ValidateGeometry after decode: %v", err)
				}
			}
		})
	}
}

func tooManyVertices() string {
	var b strings.Builder
	b.WriteString(`{"type":"LineString","coordinates":[`)
	for i := 0; i <= MaxVertices; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%g,%g]", float64(i%3600)/20, float64(i/3600)/1000)
	}
	b.WriteString("]}")
	return b.String()
}

func TestValidateGeometry(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		wantErr string
	}{
		{"nil", nil, "is missing"},
		{"NaN point", orb.Point{math.NaN(), 0}, "longitude is not a finite number"},
		{"Inf point", orb.Point{0, math.Inf(1)}, "latitude is not a finite number"},
		{"ring is not a GeoJSON type", orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, "not a supported"},
		{"bound is not a GeoJSON type", orb.Bound{}, "not a supported"},
		{"collection", orb.Collection{orb.Point{1, 2}}, "GeometryCollection is not supported"},
		{"valid polygon", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFieldErr(t, ValidateGeometry(tc.g), "geometry", tc.wantErr)
		})
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
		want Class
	}{
		{"point", orb.Point{}, Puntal},
		{"multipoint", orb.MultiPoint{}, Puntal},
		{"linestring", orb.LineString{}, Lineal},
		{"multilinestring", orb.MultiLineString{}, Lineal},
		{"polygon", orb.Polygon{}, Polygonal},
		{"multipolygon", orb.MultiPolygon{}, Polygonal},
		{"ring", orb.Ring{}, 0},
		{"collection", orb.Collection{}, 0},
		{"nil", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassOf(tc.g); got != tc.want {
				t.Errorf("ClassOf = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestValidateLargePolygon checks the self-intersection sweep stays fast at the vertex limit
// on a wiggly ring (a line across it meets many edges) and still finds one planted crossing.
func TestValidateLargePolygon(t *testing.T) {
	ring := wigglyRing(orb.Point{9.5, 47.1}, MaxVertices-1, 0.05, 0.3, 0)
	start := time.Now()
	if err := ValidateGeometry(orb.Polygon{ring}); err != nil {
		t.Fatalf("valid ring rejected: %v", err)
	}
	elapsed := time.Since(start)
	t.Logf("validated %d vertices in %v", len(ring), elapsed)

	bad := append(orb.Ring(nil), ring...)
	n := len(bad)
	bad[n/3], bad[n/3+1] = bad[n/3+1], bad[n/3] // swapping two vertices makes a tiny bow-tie
	checkFieldErr(t, ValidateGeometry(orb.Polygon{bad}), "geometry", "crosses itself")

	// A comb whose teeth stack ~10,000 edges across every line is refused, not validated for seconds.
	comb := wigglyRing(orb.Point{9.5, 47.1}, MaxVertices-1, 0.05, 0.3, 0.37)
	checkFieldErr(t, ValidateGeometry(orb.Polygon{comb}), "geometry", "too many edges stacked")
}

// wigglyRing returns a closed star-like ring of n points around c with radius r degrees, varying by the
// fraction w; a nonzero zig makes the radius jump between neighbouring vertices, giving a dense comb.
func wigglyRing(c orb.Point, n int, r, w, zig float64) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (1 + w*math.Sin(a*7))
		if zig != 0 {
			rr = r * (1 + w*math.Sin(float64(i)*zig)*math.Sin(a*7))
		}
		ring = append(ring, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)})
	}
	return append(ring, ring[0])
}
