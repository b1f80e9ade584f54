package domain

import (
	"time"

	"github.com/paulmach/orb"

	"everymeter/i18n"
	"everymeter/vocab"
)

// PieceStatuses are the statuses of a stretch of coverage: no lead unit, one, two or more.
var PieceStatuses = vocab.Strings(vocab.Coverages)

// PieceFilter selects stored pieces for a GeoJSON list.
type PieceFilter struct {
	BBox       *orb.Bound
	Kind       string
	Status     string // "" for all
	MinLengthM float64
	Limit      int
}

// GapRow is one stored gap with its end points, for the CSV export.
type GapRow struct {
	AssetID   int64
	AssetName string
	Kind      string
	FromM     float64
	ToM       float64
	Start     orb.Point
	End       orb.Point
}

// Summary is the coverage of the whole network (GET /api/v1/coverage).
type Summary struct {
	TotalM   float64        `json:"total_m"`
	CoveredM float64        `json:"covered_m"`
	GapM     float64        `json:"gap_m"`
	OverlapM float64        `json:"overlap_m"`
	Percent  float64        `json:"percent"`
	ByKind   []KindSummary  `json:"by_kind"`
	ByUnit   []UnitSummary  `json:"by_unit"`
	Areal    []ArealSummary `json:"areal"`
	At       *time.Time     `json:"at,omitempty"`
	// FrontageBySide is the 门前三包 coverage of the streets' left and right sides (issue 16).
	FrontageBySide []SideTotal `json:"frontage_by_side"`
}

// KindSummary is the coverage of one linear asset kind.
type KindSummary struct {
	Kind     string  `json:"kind"`
	TotalM   float64 `json:"total_m"`
	CoveredM float64 `json:"covered_m"`
	GapM     float64 `json:"gap_m"`
	OverlapM float64 `json:"overlap_m"`
	Percent  float64 `json:"percent"`
}

// UnitSummary is what one unit leads and supports, in meters.
type UnitSummary struct {
	UnitID   int64   `json:"unit_id"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	LeadM    float64 `json:"lead_m"`
	OverlapM float64 `json:"overlap_m"`
	SupportM float64 `json:"support_m"`
}

// ArealSummary is the coverage of one areal asset kind, in square meters.
type ArealSummary struct {
	Kind      string  `json:"kind"`
	TotalM2   float64 `json:"total_m2"`
	CoveredM2 float64 `json:"covered_m2"`
	Percent   float64 `json:"percent"`
}

// AssetCoverage is one asset's coverage with its owners (GET /api/v1/assets/{id}/coverage).
type AssetCoverage struct {
	AssetID int64          `json:"asset_id"`
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	LengthM float64        `json:"length_m"`
	Pieces  []PieceInfo    `json:"pieces"`
	Support []SupportInfo  `json:"support"`
	Areal   *ArealCoverage `json:"areal,omitempty"`
	At      *time.Time     `json:"at,omitempty"`
	// Side, when asked for one: the pieces count the zones and the assignments of that side or of both, and
	// Frontage is that side's 门前三包 coverage.
	Side     string        `json:"side,omitempty"`
	Frontage *SideCoverage `json:"frontage,omitempty"`
}

// PieceInfo is a stretch with a constant set of lead owners.
type PieceInfo struct {
	FromM   float64    `json:"from_m"`
	ToM     float64    `json:"to_m"`
	LengthM float64    `json:"length_m"`
	Status  string     `json:"status"`
	UnitIDs []int64    `json:"unit_ids"`
	Units   []UnitInfo `json:"units"`
}

// UnitInfo names an owner of a piece and where its claim comes from.
type UnitInfo struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Person   string `json:"person"`
	Phone    string `json:"phone"`
	Source   string `json:"source"` // zone or assignment
	SourceID int64  `json:"source_id"`
}

// SupportInfo is a stretch a unit supports.
type SupportInfo struct {
	UnitID   int64   `json:"unit_id"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	FromM    float64 `json:"from_m"`
	ToM      float64 `json:"to_m"`
	Source   string  `json:"source"`
	SourceID int64   `json:"source_id"`
}

// ArealCoverage is the coverage of a market, park or other areal asset.
type ArealCoverage struct {
	AreaM2    float64 `json:"area_m2"`
	CoveredM2 float64 `json:"covered_m2"`
	Percent   float64 `json:"percent"`
	UnitIDs   []int64 `json:"unit_ids"`
}

// OwnerResult answers "who owns the meter nearest this point" (GET /api/v1/owner).
type OwnerResult struct {
	Asset     *AssetRef   `json:"asset"`
	MeasureM  *float64    `json:"measure_m"`
	DistanceM *float64    `json:"distance_m"`
	Units     []OwnerUnit `json:"units"`
	Person    string      `json:"person"`
	Phone     string      `json:"phone"`
	DecidedBy string      `json:"decided_by"` // nearest_meter, zone or none
	Reason    string      `json:"reason"`     // ReasonParts in English, or in the client's language once rendered
	Ambiguous bool        `json:"ambiguous"`
	// ReasonParts is the reason in its parts, for rendering in either language.
	ReasonParts i18n.Msgs   `json:"-"`
	ZoneID      int64       `json:"zone_id,omitempty"`
	At          *time.Time  `json:"at,omitempty"`
	Candidates  []Candidate `json:"candidates,omitempty"`
}

// AssetRef names an asset.
type AssetRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// OwnerUnit names an owning unit.
type OwnerUnit struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Candidate is a nearby asset offered when nothing is near enough to decide.
type Candidate struct {
	Asset     AssetRef `json:"asset"`
	MeasureM  float64  `json:"measure_m"`
	DistanceM float64  `json:"distance_m"`
}
