// Package service holds everymeter's domain rules: every write goes through it, inside one transaction,
// so that validation, the audit log and coverage stay consistent with the data.
package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/geo"
	"everymeter/store"
)

// Coverage keeps coverage results current after writes; the coverage engine implements it.
type Coverage interface {
	// RefreshAssets recomputes the coverage of the given assets (deleted ids are simply dropped).
	RefreshAssets(ctx context.Context, tx *store.Store, assetIDs []int64) error
	// RefreshTouching recomputes every asset whose geometry meets one of the given geometries.
	RefreshTouching(ctx context.Context, tx *store.Store, geoms ...orb.Geometry) error
}

// NoCoverage is a Coverage that does nothing (used where no engine is wired).
type NoCoverage struct{}

// RefreshAssets does nothing.
func (NoCoverage) RefreshAssets(context.Context, *store.Store, []int64) error { return nil }

// RefreshTouching does nothing.
func (NoCoverage) RefreshTouching(context.Context, *store.Store, ...orb.Geometry) error { return nil }

// Service is the domain layer over the store.
type Service struct {
	Store    *store.Store
	Coverage Coverage
	Log      *slog.Logger
	events   *change.Bus // what committed transactions changed, for subscribers (events.go)
	guard    *loginGuard
}

// New wires a service; cov may be nil. Its Store is st publishing to the service's subscribers: every
// transaction run on it tells them, after the commit, what it changed.
func New(st *store.Store, cov Coverage, log *slog.Logger) *Service {
	if cov == nil {
		cov = NoCoverage{}
	}
	if log == nil {
		log = slog.Default()
	}
	bus := &change.Bus{}
	return &Service{Store: st.Publishing(bus), Coverage: cov, Log: log, events: bus, guard: newLoginGuard()}
}

// Sentinel errors of the domain layer.
var (
	ErrForbidden = errors.New("service: forbidden")
	ErrAuth      = errors.New("service: wrong username or password")
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

// checker collects field errors.
type checker struct{ errs []*geo.FieldError }

func (c *checker) add(field, detail string) {
	c.errs = append(c.errs, &geo.FieldError{Field: field, Detail: detail})
}

func (c *checker) check(ok bool, field, detail string) {
	if !ok {
		c.add(field, detail)
	}
}

func (c *checker) addErr(err error) {
	var fe *geo.FieldError
	if errors.As(err, &fe) {
		c.errs = append(c.errs, fe)
	} else if err != nil {
		c.add("", err.Error())
	}
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: c.errs}
}

func invalid(field, detail string) error {
	return &ValidationError{Errors: []*geo.FieldError{{Field: field, Detail: detail}}}
}
