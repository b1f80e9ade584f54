package domain

import (
	"time"

	"github.com/paulmach/orb"
)

// Unit is a responsible unit (责任单位).
type Unit struct {
	ID            int64     `json:"id"`
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	ParentID      *int64    `json:"parent_id"`
	ContactPerson string    `json:"contact_person"`
	Phone         string    `json:"phone"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Asset is a road, alley, market, park or other mapped thing someone is responsible for.
type Asset struct {
	ID         int64
	Kind       string
	Name       string
	Geom       orb.Geometry
	Attributes map[string]any
	LengthM    float64
	AreaM      float64
	Source     string
	SourceID   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AssetFilter selects assets for a list.
type AssetFilter struct {
	Kind  string
	BBox  *orb.Bound
	Q     string
	After int64 // cursor: ids greater than this
	Limit int
}

// Zone is a polygon responsibility area drawn by a planner.
type Zone struct {
	ID        int64
	Name      string
	UnitID    int64
	Role      string
	Kind      string
	Geom      orb.Geometry // MultiPolygon
	ValidFrom *time.Time
	ValidTo   *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Assignment gives a unit a meter range of a linear asset.
type Assignment struct {
	ID        int64      `json:"id"`
	AssetID   int64      `json:"asset_id"`
	UnitID    int64      `json:"unit_id"`
	FromM     float64    `json:"from_m"`
	ToM       float64    `json:"to_m"`
	Role      string     `json:"role"`
	Person    string     `json:"person"`
	Phone     string     `json:"phone"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// Side is left, right or both (vocab.Sides), relative to the line's direction; both unless set.
	Side string `json:"side"`
}
