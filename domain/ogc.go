package domain

import (
	"strconv"
	"strings"
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
	// OnlyUnit limits a collection of cases to one unit's reports. The service sets it from the visibility
	// policy (whatever a caller put there is replaced).
	OnlyUnit *int64
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

// OGCProp is one property of an OGC API collection: its name, JSON Schema type and whether it can be used as an
// equality filter (?name=value).
type OGCProp struct {
	Name   string
	Type   string // "string", "integer", "number", "boolean", "object", "array", "date-time"
	Filter bool
}

// OGCCollection is what clients see of one OGC API – Features collection (the store holds the SQL reading it).
type OGCCollection struct {
	ID           string
	Title        string
	Description  string
	GeometryType string // GeoJSON type of every feature (queryables, tests)
	Props        []OGCProp
	Temporal     bool // features have created_at/updated_at; datetime filters on [created_at, updated_at]
	StringIDs    bool // feature ids are strings "assetid_fromm" (coverage pieces); otherwise integers
	// Cases marks a collection of reports: the visibility policy's cases entry limits what it serves.
	Cases bool
	// Patrols marks a collection of patrol aggregates (where nobody walked): the policy's patrol entry decides.
	Patrols bool
}

// Prop returns the named property, or nil.
func (c *OGCCollection) Prop(name string) *OGCProp {
	for i := range c.Props {
		if c.Props[i].Name == name {
			return &c.Props[i]
		}
	}
	return nil
}

// ParseKey parses a feature id or paging cursor of the collection.
func (c *OGCCollection) ParseKey(s string) (OGCKey, bool) {
	if c.StringIDs {
		a, b, ok := strings.Cut(s, "_")
		if !ok {
			return OGCKey{}, false
		}
		id, err1 := strconv.ParseInt(a, 10, 64)
		m, err2 := strconv.ParseFloat(b, 64)
		return OGCKey{ID: id, FromM: m}, err1 == nil && err2 == nil && m == m
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return OGCKey{ID: id}, err == nil
}

// KeyString formats a key as the collection's feature id, the way PostgreSQL writes it (shortest exact float text).
func (c *OGCCollection) KeyString(k OGCKey) string {
	if c.StringIDs {
		return strconv.FormatInt(k.ID, 10) + "_" + strconv.FormatFloat(k.FromM, 'g', -1, 64)
	}
	return strconv.FormatInt(k.ID, 10)
}

// TileExtent and TileBuffer are the MVT grid size and the buffer around a tile, in tile units.
const (
	TileExtent = 4096
	TileBuffer = 64
)

// TileLayer is what clients see of one vector tile layer (the store holds the SQL building it).
type TileLayer struct {
	Name     string
	GeomType string // GeoJSON type family of its features (Point, LineString, Polygon)
	MinZoom  int
	MaxZoom  int
	Fields   map[string]string // TileJSON vector_layers fields: name → type
	// Cases marks a layer of reports: the visibility policy's cases entry limits what it shows.
	Cases bool
	// Patrols marks a layer of patrol aggregates: the policy's patrol entry decides who sees it.
	Patrols bool
	// Base marks the base map: the policy's base_map entry decides who sees it.
	Base bool
	// Parts are the MVT layers of a tile made of several (the basemap); empty for a layer that is one.
	Parts []TileLayer
}
