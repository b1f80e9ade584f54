package geo

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ParseBBox parses "minLon,minLat,maxLon,maxLat" into a bound, rejecting anything out of range.
func ParseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, Fieldf("bbox", "want 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got %d values", len(parts))
	}
	names := [4]string{"minLon", "minLat", "maxLon", "maxLat"}
	var v [4]float64
	for i, p := range parts {
		p = strings.TrimSpace(p)
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, Fieldf("bbox", "%s %q is not a finite number", names[i], truncate(p, 32))
		}
		v[i] = f
	}
	for _, i := range []int{0, 2} {
		if v[i] < -180 || v[i] > 180 {
			return orb.Bound{}, Fieldf("bbox", "%s %g is outside [-180, 180]", names[i], v[i])
		}
	}
	for _, i := range []int{1, 3} {
		if v[i] < -90 || v[i] > 90 {
			return orb.Bound{}, Fieldf("bbox", "%s %g is outside [-90, 90]", names[i], v[i])
		}
	}
	if v[0] > v[2] {
		return orb.Bound{}, Fieldf("bbox", "minLon %g is greater than maxLon %g", v[0], v[2])
	}
	if v[1] > v[3] {
		return orb.Bound{}, Fieldf("bbox", "minLat %g is greater than maxLat %g", v[1], v[3])
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// truncate keeps error details short when echoing client input back.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
