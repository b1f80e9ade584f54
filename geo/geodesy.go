package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// WGS84 ellipsoid, the one PostGIS geography measures on.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	wgs84B = wgs84A * (1 - wgs84F)
	// meanRadius is the IUGG mean radius R1, used only by the near-antipodal fallback.
	meanRadius = 6371008.8
)

// Distance returns the geodesic distance in meters between two lon/lat points on WGS84.
//
// It uses Vincenty's inverse formula. For nearly antipodal points, where Vincenty's iteration
// does not converge, it falls back to a great circle on the mean-radius sphere (error up to
// ~0.5%); such pairs are more than 19,000 km apart and never occur at street scale.
func Distance(a, b orb.Point) float64 {
	if a == b {
		return 0
	}
	if d, ok := vincenty(a, b); ok {
		return d
	}
	return greatCircle(a, b)
}

// vincenty is Vincenty's inverse formula (1975); ok is false when it does not converge.
func vincenty(p1, p2 orb.Point) (float64, bool) {
	const rad = math.Pi / 180
	L := (p2[0] - p1[0]) * rad
	U1 := math.Atan((1 - wgs84F) * math.Tan(p1[1]*rad))
	U2 := math.Atan((1 - wgs84F) * math.Tan(p2[1]*rad))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)

	lambda := L
	var sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM float64
	converged := false
	for i := 0; i < 200; i++ {
		sinLambda, cosLambda := math.Sincos(lambda)
		t1 := cosU2 * sinLambda
		t2 := cosU1*sinU2 - sinU1*cosU2*cosLambda
		sinSigma = math.Sqrt(t1*t1 + t2*t2)
		if sinSigma == 0 {
			return 0, true // coincident points
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosLambda
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cosSqAlpha = 1 - sinAlpha*sinAlpha
		if cosSqAlpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cosSqAlpha
		} else {
			cos2SigmaM = 0 // equatorial line
		}
		C := wgs84F / 16 * cosSqAlpha * (4 + wgs84F*(4-3*cosSqAlpha))
		prev := lambda
		lambda = L + (1-C)*wgs84F*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-12 {
			converged = true
			break
		}
		if math.Abs(lambda) > math.Pi {
			return 0, false // diverging: the near-antipodal case
		}
	}
	if !converged {
		return 0, false
	}
	uSq := cosSqAlpha * (wgs84A*wgs84A - wgs84B*wgs84B) / (wgs84B * wgs84B)
	A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	deltaSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
		B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
	return wgs84B * A * (sigma - deltaSigma), true
}

// greatCircle is the haversine distance on the mean-radius sphere.
func greatCircle(a, b orb.Point) float64 {
	const rad = math.Pi / 180
	dLat := (b[1] - a[1]) * rad
	dLon := (b[0] - a[0]) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * meanRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Length returns the geodesic length in meters of a LineString, MultiLineString or Ring; 0 for other types.
func Length(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.LineString:
		return pathLength(g)
	case orb.Ring:
		return pathLength(g)
	case orb.MultiLineString:
		t := 0.0
		for _, ls := range g {
			t += pathLength(ls)
		}
		return t
	}
	return 0
}

func pathLength(ps []orb.Point) float64 {
	t := 0.0
	for i := 1; i < len(ps); i++ {
		t += Distance(ps[i-1], ps[i])
	}
	return t
}

// metersPerDegree returns the local scale (meters per degree of lon, of lat) at a latitude,
// from the ellipsoid's radii of curvature; it defines the local equirectangular projection.
func metersPerDegree(lat float64) (kx, ky float64) {
	const e2 = wgs84F * (2 - wgs84F)
	s, c := math.Sincos(lat * math.Pi / 180)
	w := math.Sqrt(1 - e2*s*s)
	n := wgs84A / w                      // prime vertical radius
	m := wgs84A * (1 - e2) / (w * w * w) // meridional radius
	return n * c * math.Pi / 180, m * math.Pi / 180
}
