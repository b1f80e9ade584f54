package domain

import "github.com/paulmach/orb"

// Part is a 部件: a piece of street furniture (a point, or a short line) with the unit that owns it (权属单位) and
// the one that maintains it (养护单位). Code is the standard's object code: 6-digit county + 2-digit 大类 + 2-digit
// 小类 + 6-digit sequence. Dates are ISO dates (YYYY-MM-DD).
type Part struct {
	ID                 int64        `json:"id"`
	Kind               string       `json:"kind"`
	Code               string       `json:"code"`
	Name               string       `json:"name"`
	Geom               orb.Geometry `json:"-"`
	OwnerUnitID        int64        `json:"owner_unit_id"`
	OwnerUnitName      string       `json:"owner_unit_name"`
	MaintainerUnitID   *int64       `json:"maintainer_unit_id"`
	MaintainerUnitName string       `json:"maintainer_unit_name"`
	State              string       `json:"state"`
	CheckedOn          *string      `json:"checked_on"`
	Source             string       `json:"source"`
	SourceID           string       `json:"source_id"`
	// County, on a new part without a code, is the 6-digit county code its code starts with.
	County string `json:"-"`
}

// PartFilter selects parts for a list.
type PartFilter struct {
	Kind  string
	BBox  *orb.Bound
	Limit int
}

// NearPart is a part and how far it is from a point, in meters.
type NearPart struct {
	Part
	DistanceM float64
}

// Shop is a shop under 门前三包. ContactPerson and Phone are personal data: blank unless the visibility policy
// lets the reader see them. UnitID is the territory's unit its agreement is with.
type Shop struct {
	ID            int64        `json:"id"`
	Name          string       `json:"name"`
	Licence       string       `json:"licence"`
	ContactPerson string       `json:"contact_person"`
	Phone         string       `json:"phone"`
	Address       string       `json:"address"`
	Geom          orb.Geometry `json:"-"`
	UnitID        *int64       `json:"unit_id"`
	UnitName      string       `json:"unit_name"`
	Source        string       `json:"source"`
	SourceID      string       `json:"source_id"`
	Frontage      *Frontage    `json:"frontage"`
	Agreement     *Agreement   `json:"agreement"` // the agreement valid today, else the latest one
	// Cases counts the cases filed at its frontage (the repeat cases of the loop).
	Cases int `json:"cases"`
}

// Frontage is a shop's stretch of pavement: a meter range on one side of one street.
type Frontage struct {
	ShopID    int64   `json:"shop_id"`
	AssetID   int64   `json:"asset_id"`
	AssetName string  `json:"asset_name"`
	Side      string  `json:"side"`
	FromM     float64 `json:"from_m"`
	ToM       float64 `json:"to_m"`
	LengthM   float64 `json:"length_m"`
	Adjusted  bool    `json:"adjusted"`
}

// Agreement is a 门前三包 责任书 between a shop and its territory's unit.
type Agreement struct {
	ID        int64    `json:"id"`
	ShopID    int64    `json:"shop_id"`
	UnitID    int64    `json:"unit_id"`
	UnitName  string   `json:"unit_name"`
	Duties    []string `json:"duties"`
	SignedOn  string   `json:"signed_on"`
	ValidFrom string   `json:"valid_from"`
	ValidTo   string   `json:"valid_to"`
	SignedBy  string   `json:"signed_by"`
	Valid     bool     `json:"valid"` // valid today
}

// Interval is a meter range along a line.
type Interval struct {
	FromM float64 `json:"from_m"`
	ToM   float64 `json:"to_m"`
}

// FrontageRef is one shop's frontage on a side, as coverage lists it.
type FrontageRef struct {
	ShopID int64   `json:"shop_id"`
	Name   string  `json:"name"`
	FromM  float64 `json:"from_m"`
	ToM    float64 `json:"to_m"`
	Valid  bool    `json:"valid"` // the shop has an agreement valid on the day asked
}

// SideCoverage is one side of a street: how much of it lies in front of a shop with a valid agreement.
type SideCoverage struct {
	Side      string        `json:"side"`
	LengthM   float64       `json:"length_m"`
	CoveredM  float64       `json:"covered_m"`
	Percent   float64       `json:"percent"`
	Gaps      []Interval    `json:"gaps"`
	Frontages []FrontageRef `json:"frontages"`
}

// FrontageCoverage is a street's 门前三包 coverage by side.
type FrontageCoverage struct {
	AssetID int64          `json:"asset_id"`
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	LengthM float64        `json:"length_m"`
	Sides   []SideCoverage `json:"sides"`
}

// FrontageStat is one row of the frontage coverage per street or per unit (ranking context and briefing).
type FrontageStat struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	LengthM  float64 `json:"length_m"` // both sides: twice the street length
	CoveredM float64 `json:"covered_m"`
	Percent  float64 `json:"percent"`
	Shops    int     `json:"shops"`
	Cases    int     `json:"cases"` // cases filed at these frontages
}

// ShopOnFrontage is what routing found at a point: the shop whose frontage it is and its agreement.
type ShopOnFrontage struct {
	Shop      Shop
	Agreement *Agreement
}

// FrontageSummary is 门前三包 coverage across the network: per side, per street and per unit.
type FrontageSummary struct {
	Sides   []SideTotal    `json:"sides"`
	Streets []FrontageStat `json:"streets"` // streets with at least one frontage, least covered first
	Units   []FrontageStat `json:"units"`   // units by the agreements signed with them
}

// SideTotal is the network's frontage coverage on one side.
type SideTotal struct {
	Side     string  `json:"side"`
	LengthM  float64 `json:"length_m"`
	CoveredM float64 `json:"covered_m"`
	Percent  float64 `json:"percent"`
}
