package domain

import (
	"time"

	"github.com/paulmach/orb"
)

// OGCKey is a position in a collection's id order: ID alone, or (ID, FromM) for coverage pieces.
type OGCKey struct {
	ID    int64
	FromM float64
}

// OGCQuery selects features of a collection.
type OGCQuery struct {
	BBox      *orb.Bound // in lon/lat (EPSG:4326 / CRS84)
	Start     *time.Time // datetime interval; nil = open
	End       *time.Time
	Filters   map[string]string // property name → value, properties checked by the caller with Prop
	After     *OGCKey           // next pages: keys greater than this
	Before    *OGCKey           // previous pages: keys less than this (the page nearest to it)
	Limit     int
	SRID      int  // output CRS: 4326, 3857 or 4490
	FlipAxes  bool // write lat,lon (EPSG:4326 and EPSG:4490 axis order)
	NoMatched bool // skip numberMatched
}

// OGCPage describes one page of features; OGCItems writes the features themselves into the caller's
// buffer.
type OGCPage struct {
	Returned int    // features on the page
	First    OGCKey // smallest key on the page
	Last     OGCKey // largest key on the page
	More     bool   // there are features beyond the page in the direction read
	Matched  int64  // numberMatched (-1 when not counted)
}

// OGCExtent is a collection's spatial (lon/lat) and temporal extent.
type OGCExtent struct {
	BBox       *orb.Bound // nil when the collection is empty
	Start, End *time.Time
}
