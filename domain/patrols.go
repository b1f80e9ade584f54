package domain

import (
	"encoding/json"
	"time"
)

// Patrol is one recorded walk, as POST /api/v1/patrols answers it.
type Patrol struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Role       string    `json:"role"`
	StartedAt  time.Time `json:"started_at"`
	EndedAt    time.Time `json:"ended_at"`
	Points     int       `json:"points"`
	KeptPoints int       `json:"kept_points"`
	MatchedM   float64   `json:"matched_m"`
	Assets     int       `json:"assets"`
	Format     string    `json:"format"`
}

// NewPatrol is an uploaded track: the file's bytes and content type, whose it is, and the retry key.
type NewPatrol struct {
	ContentType    string
	Body           []byte
	User           string // username of the walker; "" for the uploader (others: admins only)
	IdempotencyKey string
}

// PatrolFilter selects the patrol pieces an answer counts: walked in [From, To), by this role ("" all),
// on assets of this kind ("" all linear kinds) and, for units, owned by this unit.
type PatrolFilter struct {
	From, To time.Time
	UnitID   *int64
	Kind     string
	Role     string
}

// PatrolCoverage is GET /api/v1/patrols/coverage: meters of network walked at least once in the window.
type PatrolCoverage struct {
	TotalM     float64              `json:"total_m"`
	PatrolledM float64              `json:"patrolled_m"`
	Percent    float64              `json:"percent"`
	ByUnit     []PatrolCoverageUnit `json:"by_unit"`
	ByKind     []PatrolCoverageKind `json:"by_kind"`
}

// PatrolCoverageUnit is one unit's line of the patrol coverage: the meters it leads and how many were walked.
type PatrolCoverageUnit struct {
	UnitID     int64   `json:"unit_id"`
	Name       string  `json:"name"`
	TotalM     float64 `json:"total_m"`
	PatrolledM float64 `json:"patrolled_m"`
	Percent    float64 `json:"percent"`
}

// PatrolCoverageKind is one asset kind's line of the patrol coverage.
type PatrolCoverageKind struct {
	Kind       string  `json:"kind"`
	TotalM     float64 `json:"total_m"`
	PatrolledM float64 `json:"patrolled_m"`
	Percent    float64 `json:"percent"`
}

// AssetPatrols is GET /api/v1/assets/{id}/patrols: the walked stretches of one asset.
type AssetPatrols struct {
	AssetID int64              `json:"asset_id"`
	LengthM float64            `json:"length_m"`
	Pieces  []AssetPatrolPiece `json:"pieces"`
}

// AssetPatrolPiece is a maximal stretch walked by the same set of patrols: how many walked it and when last.
type AssetPatrolPiece struct {
	FromM  float64   `json:"from_m"`
	ToM    float64   `json:"to_m"`
	Visits int       `json:"visits"`
	LastAt time.Time `json:"last_at"`
}

// Percent returns part/total in percent, 0 for an empty total, rounded to 0.01.
func Percent(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(int64(part/total*10000+0.5)) / 100
}

// PatrolTrack is a patrol's raw points as GeoJSON built by PostGIS (owner and admins only).
type PatrolTrack struct {
	UserID  int64
	GeoJSON json.RawMessage
}
