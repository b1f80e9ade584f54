package domain

import (
	"errors"
	"strings"

	"everymeter/geo"
)

// ValidationError lists everything wrong with a request; it wraps geo.ErrInvalid.
type ValidationError struct{ Errors []*geo.FieldError }

// Error joins the field errors.
func (v *ValidationError) Error() string {
	parts := make([]string, len(v.Errors))
	for i, e := range v.Errors {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, geo.ErrInvalid) hold.
func (v *ValidationError) Unwrap() error { return geo.ErrInvalid }

// Sentinel errors shared by every layer: the store returns the first four, the service the rest, and the HTTP
// layer maps each to one status.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrConflict  = errors.New("store: conflict")
	ErrReference = errors.New("store: referenced record missing or still in use")
	ErrInvalid   = errors.New("store: invalid value")
	ErrForbidden = errors.New("service: forbidden")
	ErrAuth      = errors.New("service: wrong username or password")
	// ErrNoOwner means no street is near a point and no lead zone contains it (OwnerResult.Candidates then
	// lists the nearest assets).
	ErrNoOwner = errors.New("coverage: no owner near this point")
	// ErrPhotoTooLarge refuses a photo over MaxPhotoBytes.
	ErrPhotoTooLarge = errors.New("service: photo larger than 10 MB")
	// ErrNotReporter refuses filing by a user whose role may not file reports.
	ErrNotReporter = errors.New("service: this user may not file reports")
)
