package geo

import (
	"errors"
	"testing"
)

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"9.47,47.04,9.64,47.28", "-180,-90,180,90", "1,2,3", "a,b,c,d", "1e999,0,0,0", "5,0,1,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1] && b.Min[0] >= -180 && b.Max[0] <= 180 && b.Min[1] >= -90 && b.Max[1] <= 90) {
			t.Fatalf("accepted invalid bound %v from %q", b, s)
		}
	})
}

func FuzzDecodeGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[9.52,47.14]}`,
		`{"type":"LineString","coordinates":[[0,0],[1,1]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`,
		`{"type":"GeometryCollection","geometries":[]}`,
		`{"type":"Point","coordinates":[1e999,2]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := DecodeGeometry(raw)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "geometry" || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not a geometry FieldError", err)
			}
			return
		}
		if ClassOf(g) == 0 {
			t.Fatalf("accepted %T, which has no class", g)
		}
		if err := ValidateGeometry(g); err != nil {
			t.Fatalf("decoded geometry fails validation: %v", err)
		}
		if ClassOf(g) == Lineal {
			l, err := NewLine(g)
			if err != nil {
				t.Fatalf("NewLine on a valid lineal geometry: %v", err)
			}
			if m, _ := l.Locate(l.PointAt(l.Length() / 2)); m < 0 || m > l.Length() {
				t.Fatalf("Locate out of range: %v", m)
			}
		}
		if ClassOf(g) == Polygonal {
			if _, err := NewArea(g); err != nil {
				t.Fatalf("NewArea on a valid polygonal geometry: %v", err)
			}
		}
	})
}

func FuzzParseTile(f *testing.F) {
	f.Add("0", "0", "0")
	f.Add("14", "8626", "5749")
	f.Add("23", "1", "1")
	f.Add("3", "0", "1.mvt")
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseTile(z, x, y)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !tile.Valid() || tile.Z > MaxZoom {
			t.Fatalf("accepted invalid tile %v", tile)
		}
		b := TileBound(tile)
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("bad bound %v", b)
		}
	})
}
