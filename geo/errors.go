package geo

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error caused by input a client could fix.
var ErrInvalid = errors.New("geo: invalid input")

// FieldError describes one problem a client can fix; it wraps ErrInvalid.
type FieldError struct {
	Field  string `json:"field"`  // the request field at fault, e.g. "bbox" or "geometry"
	Detail string `json:"detail"` // a human sentence saying what is wrong (English)
	// Format and Args are Detail in its parts (an English format and its arguments), kept so the HTTP layer can
	// translate the format before filling it; empty Format means Detail is the key itself.
	Format string `json:"-"`
	Args   []any  `json:"-"`
}

// Error returns "field: detail".
func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap returns ErrInvalid so errors.Is(err, ErrInvalid) holds.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Key returns the English message key and its arguments: the format when there is one, else the detail.
func (e *FieldError) Key() (string, []any) {
	if e.Format != "" {
		return e.Format, e.Args
	}
	return e.Detail, nil
}

// Fieldf is a FieldError whose detail is an English format filled with args (translated later from the format).
func Fieldf(field, format string, args ...any) *FieldError {
	if len(args) == 0 {
		return &FieldError{Field: field, Detail: format}
	}
	return &FieldError{Field: field, Detail: fmt.Sprintf(format, args...), Format: format, Args: args}
}

func fieldErr(field, detail string) *FieldError { return &FieldError{Field: field, Detail: detail} }
