package geo

import "errors"

// ErrInvalid is wrapped by every error caused by input a client could fix.
var ErrInvalid = errors.New("geo: invalid input")

// FieldError describes one problem a client can fix; it wraps ErrInvalid.
type FieldError struct {
	Field  string `json:"field"`  // the request field at fault, e.g. "bbox" or "geometry"
	Detail string `json:"detail"` // a human sentence saying what is wrong
}

// Error returns "field: detail".
func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap returns ErrInvalid so errors.Is(err, ErrInvalid) holds.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, detail string) *FieldError { return &FieldError{Field: field, Detail: detail} }
