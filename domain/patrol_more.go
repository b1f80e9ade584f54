package domain

import (
	"encoding/json"
	"time"
)

// NewCheckin is POST /api/v1/patrols/checkins: someone is at a stretch, given by a position (the nearest stretch
// within reach) or by the asset's id; At is when (zero: now).
type NewCheckin struct {
	Lon     *float64  `json:"lon"`
	Lat     *float64  `json:"lat"`
	AssetID *int64    `json:"asset_id"`
	At      time.Time `json:"at"`
}

// Checkin is a recorded check-in: the stretch it was placed on and where along it.
type Checkin struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Role      string    `json:"role"`
	AssetID   int64     `json:"asset_id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	AtM       *float64  `json:"at_m"`       // meters along the asset; null when only the asset was named
	DistanceM *float64  `json:"distance_m"` // from the sent position to the stretch
	At        time.Time `json:"at"`
}

// Presence is GET /api/v1/patrols/presence: on one day, on which stretches a volunteer was present (walked some
// of it or checked in at it). A separate measure from inspection (DOMAIN.md §9).
type Presence struct {
	Date      string            `json:"date"`
	Kind      string            `json:"kind"`
	Stretches int               `json:"stretches"`
	Present   int               `json:"present"`
	Percent   float64           `json:"percent"`
	Items     []PresenceStretch `json:"items"`
}

// PresenceStretch is one stretch's line of the presence answer.
type PresenceStretch struct {
	AssetID    int64  `json:"asset_id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Present    bool   `json:"present"`
	Walks      int    `json:"walks"`
	Checkins   int    `json:"checkins"`
	Volunteers int    `json:"volunteers"`
}

// PatrolTarget is the patrol frequency target of an asset kind: each stretch is walked — at least MinPercent of
// its meters — once in every EveryDays days.
type PatrolTarget struct {
	Kind       string  `json:"kind"`
	Label      string  `json:"label"` // the kind's Chinese name (answers only)
	EveryDays  int     `json:"every_days"`
	MinPercent float64 `json:"min_percent"`
}

// PatrolCompliance is GET /api/v1/patrols/compliance: the 巡查达标率 over a window of whole days. The window is
// cut, per kind, into periods of the kind's EveryDays from its first day (a last, incomplete period is not
// counted); a stretch meets a period when inspectors walked at least MinPercent of its meters within it.
type PatrolCompliance struct {
	From      string                    `json:"from"` // first day (China Standard Time)
	To        string                    `json:"to"`   // day after the last
	Days      int                       `json:"days"`
	Targets   []PatrolTarget            `json:"targets"`
	Percent   *float64                  `json:"percent"` // length-weighted over every stretch; null without periods
	ByUnit    []PatrolComplianceUnit    `json:"by_unit"`
	Stretches []PatrolComplianceStretch `json:"stretches"`
}

// PatrolComplianceUnit is one unit's 巡查达标率: over the stretches it leads, length-weighted — met periods times
// the meters it leads there, over all periods times those meters (the walked share measured on its own meters).
type PatrolComplianceUnit struct {
	UnitID    int64    `json:"unit_id"`
	Name      string   `json:"name"`
	Stretches int      `json:"stretches"`
	LeadM     float64  `json:"lead_m"`
	Percent   *float64 `json:"percent"`
}

// PatrolComplianceStretch is one stretch (asset): how many periods it had and in how many it was walked.
type PatrolComplianceStretch struct {
	AssetID int64    `json:"asset_id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	LengthM float64  `json:"length_m"`
	Periods int      `json:"periods"`
	Met     int      `json:"met"`
	Percent *float64 `json:"percent"`
}

// InspectorPatrol is one inspector's line of GET /api/v1/patrols/inspectors: how far they patrolled in the
// window (matched network meters; a street walked twice counts twice in Km, once in NetworkKm) and how many
// reports they filed per km.
type InspectorPatrol struct {
	UserID       int64    `json:"user_id"`
	Username     string   `json:"username"`
	Patrols      int      `json:"patrols"`
	Km           float64  `json:"km"`
	NetworkKm    float64  `json:"network_km"`
	Reports      int      `json:"reports"`
	ReportsPerKm *float64 `json:"reports_per_km"`
}

// PatrolToday is GET /api/v1/patrols/today: the walker's own route of today (their matched stretches) and, for
// those who see patrol aggregates, the stale stretches near them (in bbox; of their unit's grid when they have
// a unit).
type PatrolToday struct {
	Date    string          `json:"date"`
	WalkedM float64         `json:"walked_m"`
	Route   json.RawMessage `json:"route"`
	Stale   json.RawMessage `json:"stale"` // null for volunteers
}
