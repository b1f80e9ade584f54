package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// offset moves p by east and north meters in the local projection; good to millimetres over a few km.
func offset(p orb.Point, east, north float64) orb.Point {
	kx, ky := metersPerDegree(p[1])
	return orb.Point{p[0] + east/kx, p[1] + north/ky}
}

// rect returns a closed ring spanning [x0,x1]×[y0,y1] meters from origin o.
func rect(o orb.Point, x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{offset(o, x0, y0), offset(o, x1, y0), offset(o, x1, y1), offset(o, x0, y1), offset(o, x0, y0)}
}

// eastLine returns a straight east-west LineString from x0 to x1 meters east of o, at north meters.
func eastLine(o orb.Point, x0, x1, north float64) orb.LineString {
	return orb.LineString{offset(o, x0, north), offset(o, x1, north)}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// dms converts degrees, minutes, seconds to decimal degrees.
func dms(d, m, s float64) float64 {
	if d < 0 {
		return d - m/60 - s/3600
	}
	return d + m/60 + s/3600
}
