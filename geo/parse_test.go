package geo

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    orb.Bound
		wantErr string // substring of the detail; empty means success
	}{
		{"liechtenstein", "9.47,47.04,9.64,47.28", orb.Bound{Min: orb.Point{9.47, 47.04}, Max: orb.Point{9.64, 47.28}}, ""},
		{"spaces allowed", " -1 , -2 ,3, 4 ", orb.Bound{Min: orb.Point{-1, -2}, Max: orb.Point{3, 4}}, ""},
		{"whole world", "-180,-90,180,90", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, ""},
		{"degenerate point", "1,2,1,2", orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{1, 2}}, ""},
		{"empty", "", orb.Bound{}, "want 4"},
		{"three values", "1,2,3", orb.Bound{}, "got 3 values"},
		{"five values", "1,2,3,4,5", orb.Bound{}, "got 5 values"},
		{"not a number", "a,2,3,4", orb.Bound{}, "minLon"},
		{"NaN", "1,NaN,3,4", orb.Bound{}, "minLat"},
		{"Inf", "1,2,Inf,4", orb.Bound{}, "maxLon"},
		{"overflow", "1,2,3,1e999", orb.Bound{}, "maxLat"},
		{"lon out of range", "-181,2,3,4", orb.Bound{}, "outside [-180, 180]"},
		{"lat out of range", "1,2,3,90.5", orb.Bound{}, "outside [-90, 90]"},
		{"min lon above max", "5,2,3,4", orb.Bound{}, "minLon 5 is greater than maxLon 3"},
		{"min lat above max", "1,5,3,4", orb.Bound{}, "minLat 5 is greater than maxLat 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBBox(tc.in)
			checkFieldErr(t, err, "bbox", tc.wantErr)
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("ParseBBox = %v, want %v", got, tc.want)
			}
		})
	}
}

// checkFieldErr checks err is nil when want is empty, else a *FieldError on field whose detail contains want.
func checkFieldErr(t *testing.T, err error, field, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FieldError", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	if fe.Field != field || !strings.Contains(fe.Detail, want) {
		t.Errorf("error = %q on %q, want detail containing %q on %q", fe.Detail, fe.Field, want, field)
	}
}

func TestParseTile(t *testing.T) {
	tests := []struct {
		name     string
		z, x, y  string
		want     maptile.Tile
		errField string
	}{
		{"root", "0", "0", "0", maptile.New(0, 0, 0), ""},
		{"vaduz z14", "14", "8626", "5749", maptile.New(8626, 5749, 14), ""},
		{"max zoom corner", "22", "4194303", "4194303", maptile.New(4194303, 4194303, 22), ""},
		{"leading zeros", "02", "03", "001", maptile.New(3, 1, 2), ""},
		{"zoom too high", "23", "0", "0", maptile.Tile{}, "z"},
		{"x out of range", "1", "2", "0", maptile.Tile{}, "x"},
		{"y out of range", "3", "0", "8", maptile.Tile{}, "y"},
		{"negative", "3", "-1", "0", maptile.Tile{}, "x"},
		{"plus sign", "+3", "0", "0", maptile.Tile{}, "z"},
		{"extension not handled here", "3", "0", "1.mvt", maptile.Tile{}, "y"},
		{"empty", "", "0", "0", maptile.Tile{}, "z"},
		{"huge", "3", "99999999999999999999999", "0", maptile.Tile{}, "x"},
		{"space", "3", " 1", "0", maptile.Tile{}, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTile(tc.z, tc.x, tc.y)
			if tc.errField == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseTile = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.errField || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseTile error = %v, want a FieldError on %q", err, tc.errField)
			}
		})
	}
}

func TestTileBound(t *testing.T) {
	tests := []struct {
		name string
		tile maptile.Tile
		want orb.Bound
	}{
		{"root", maptile.New(0, 0, 0), orb.Bound{Min: orb.Point{-180, -85.0511287798066}, Max: orb.Point{180, 85.0511287798066}}},
		{"z1 north-east", maptile.New(1, 0, 1), orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{180, 85.0511287798066}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TileBound(tc.tile)
			for i := 0; i < 2; i++ {
				if !near(got.Min[i], tc.want.Min[i], 1e-9) || !near(got.Max[i], tc.want.Max[i], 1e-9) {
					t.Fatalf("TileBound = %v, want %v", got, tc.want)
				}
			}
		})
	}
}
