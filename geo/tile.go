package geo

import (
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the highest tile zoom ParseTile accepts.
const MaxZoom = 22

// ParseTile parses XYZ tile path components made of decimal digits only.
func ParseTile(z, x, y string) (maptile.Tile, error) {
	zv, err := parseTileNum("z", z, MaxZoom)
	if err != nil {
		return maptile.Tile{}, err
	}
	max := uint64(1)<<zv - 1
	xv, err := parseTileNum("x", x, max)
	if err != nil {
		return maptile.Tile{}, err
	}
	yv, err := parseTileNum("y", y, max)
	if err != nil {
		return maptile.Tile{}, err
	}
	return maptile.New(uint32(xv), uint32(yv), maptile.Zoom(zv)), nil
}

func parseTileNum(field, s string, max uint64) (uint64, error) {
	if s == "" {
		return 0, fieldErr(field, "is empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, Fieldf(field, "%q is not a non-negative integer", truncate(s, 32))
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, Fieldf(field, "%s is outside [0, %d]", truncate(s, 32), max)
	}
	return v, nil
}

// TileBound returns the lon/lat bound of a web mercator tile.
func TileBound(t maptile.Tile) orb.Bound { return t.Bound() }
