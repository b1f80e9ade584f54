package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// SideOf tells on which side of the line, looking along its direction, p lies: +1 left, -1 right, 0 on it.
// The segment nearest p decides (judged like Locate, in a local equirectangular projection at p's latitude); at a
// vertex shared by two segments the sign of the nearer segment's cross product wins, which is what a shop at the
// outside of a bend expects.
func (l *Line) SideOf(p orb.Point) int {
	kx, ky := metersPerDegree(p[1])
	best := math.Inf(1)
	side := 0
	for _, part := range l.parts {
		for i := 1; i < len(part); i++ {
			a, b := part[i-1], part[i]
			ax, ay := (p[0]-a[0])*kx, (p[1]-a[1])*ky
			dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*ky
			t := 0.0
			if d2 := dx*dx + dy*dy; d2 > 0 {
				t = math.Max(0, math.Min(1, (ax*dx+ay*dy)/d2))
			}
			x, y := ax-t*dx, ay-t*dy
			if d := x*x + y*y; d < best-1e-12 {
				best = d
				switch c := dx*ay - dy*ax; {
				case c > 0:
					side = 1
				case c < 0:
					side = -1
				default:
					side = 0
				}
			}
		}
	}
	return side
}
