// Package domain holds the values that cross the boundary between the HTTP layer and the service: records
// (units, assets, zones, reports …), filters, answers of the coverage engine and the statistics, the principal
// a request acts as, and the sentinel errors. It is pure: no I/O, no SQL, no project package but geo.
package domain

import (
	"time"
)

// Principal is who a request acts as: a signed-in user (ID > 0, a role, perhaps a unit) or the anonymous
// public (the zero value). Every service read and write takes one, and the visibility policy reads it.
type Principal struct {
	ID     int64
	Name   string
	Role   string
	UnitID *int64
}

// Anonymous is the principal of a request that did not sign in.
var Anonymous = Principal{}

// Audit is the audit-log identity of the principal.
func (p Principal) Audit() Actor {
	if p.ID == 0 && p.Name == "" {
		return Actor{Name: "anonymous"}
	}
	return Actor{ID: p.ID, Name: p.Name}
}

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

// MaxPhotoBytes is the largest photo upload accepted.
const MaxPhotoBytes = 10 << 20

// DefaultScoreWeights weigh the league table's composite score unless a request says otherwise.
var DefaultScoreWeights = ScoreWeights{Handling: 30, OnTime: 20, Rework: 20, OverduePending: 20, Extension: 10, Satisfaction: 10}

// DefaultMinReceived is how many reports a unit must have received in the period to be ranked.
const DefaultMinReceived = 5
