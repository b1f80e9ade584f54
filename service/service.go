// Package service holds everymeter's domain rules: every write goes through it, inside one transaction,
// so that validation, the audit log and coverage stay consistent with the data.
package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/geo"
	"everymeter/store"
)

// Coverage keeps coverage results current after writes and answers the coverage reads; the coverage engine
// implements it (wired in package server, so that this package does not depend on the engine).
type Coverage interface {
	// RefreshAssets recomputes the coverage of the given assets (deleted ids are simply dropped).
	RefreshAssets(ctx context.Context, tx *store.Store, assetIDs []int64) error
	// RefreshTouching recomputes every asset whose geometry meets one of the given geometries.
	RefreshTouching(ctx context.Context, tx *store.Store, geoms ...orb.Geometry) error

	// Summary is the coverage of the whole network at a time (nil: now).
	Summary(ctx context.Context, st *store.Store, at *time.Time) (domain.Summary, error)
	// AssetCoverage is one asset's coverage with the source of every claim.
	AssetCoverage(ctx context.Context, st *store.Store, id int64, at *time.Time) (domain.AssetCoverage, error)
	// AssetCoverageSide is one asset's coverage on one side (left or right): zones and the assignments of that
	// side or of both.
	AssetCoverageSide(ctx context.Context, st *store.Store, id int64, at *time.Time, side string) (domain.AssetCoverage, error)
	// Segments writes the stored pieces matching f as a GeoJSON FeatureCollection; SegmentsAt computes them for a time.
	Segments(ctx context.Context, st *store.Store, f domain.PieceFilter) ([]byte, error)
	SegmentsAt(ctx context.Context, st *store.Store, f domain.PieceFilter, at time.Time) ([]byte, error)
	// Gaps lists the stored gaps for the CSV export; GapsAt computes them for a time.
	Gaps(ctx context.Context, st *store.Store, kind string, minLengthM float64) ([]domain.GapRow, error)
	GapsAt(ctx context.Context, st *store.Store, kind string, minLengthM float64, at time.Time) ([]domain.GapRow, error)
	// Owner answers who owns the meter nearest a point (domain.ErrNoOwner with candidates when nothing is near).
	Owner(ctx context.Context, st *store.Store, p orb.Point, at *time.Time) (domain.OwnerResult, error)
}

// NoCoverage is a Coverage that keeps nothing and knows nothing (used where no engine is wired).
type NoCoverage struct{}

// RefreshAssets does nothing.
func (NoCoverage) RefreshAssets(context.Context, *store.Store, []int64) error { return nil }

// RefreshTouching does nothing.
func (NoCoverage) RefreshTouching(context.Context, *store.Store, ...orb.Geometry) error { return nil }

// Summary answers an empty network.
func (NoCoverage) Summary(context.Context, *store.Store, *time.Time) (domain.Summary, error) {
	return domain.Summary{}, nil
}

// AssetCoverage knows no asset.
func (NoCoverage) AssetCoverage(context.Context, *store.Store, int64, *time.Time) (domain.AssetCoverage, error) {
	return domain.AssetCoverage{}, domain.ErrNotFound
}

// AssetCoverageSide knows no asset.
func (NoCoverage) AssetCoverageSide(context.Context, *store.Store, int64, *time.Time, string) (domain.AssetCoverage, error) {
	return domain.AssetCoverage{}, domain.ErrNotFound
}

// Segments answers an empty collection.
func (NoCoverage) Segments(context.Context, *store.Store, domain.PieceFilter) ([]byte, error) {
	return []byte(`{"type":"FeatureCollection","features":[]}`), nil
}

// SegmentsAt answers an empty collection.
func (n NoCoverage) SegmentsAt(ctx context.Context, st *store.Store, f domain.PieceFilter, _ time.Time) ([]byte, error) {
	return n.Segments(ctx, st, f)
}

// Gaps lists none.
func (NoCoverage) Gaps(context.Context, *store.Store, string, float64) ([]domain.GapRow, error) {
	return nil, nil
}

// GapsAt lists none.
func (NoCoverage) GapsAt(context.Context, *store.Store, string, float64, time.Time) ([]domain.GapRow, error) {
	return nil, nil
}

// Owner finds nobody.
func (NoCoverage) Owner(context.Context, *store.Store, orb.Point, *time.Time) (domain.OwnerResult, error) {
	return domain.OwnerResult{DecidedBy: "none", Reason: "no coverage engine"}, domain.ErrNoOwner
}

// Service is the domain layer over the store.
type Service struct {
	Store    *store.Store
	Coverage Coverage
	Log      *slog.Logger
	events   *change.Bus // what committed transactions changed, for subscribers (events.go)
	live     sync.Map    // OGC collection id → true once its table is known to exist (tables never go away at run time)
	// throttleWrites counts failed sign-ins, to prune expired throttles now and then.
	throttleWrites atomic.Int64
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
	return &Service{Store: st.Publishing(bus), Coverage: cov, Log: log, events: bus}
}

// Sentinel errors of the domain layer.
var (
	ErrForbidden = domain.ErrForbidden
	ErrAuth      = domain.ErrAuth
)

// ValidationError is domain.ValidationError (the definition moved to package domain).
type ValidationError = domain.ValidationError

// checker collects field errors.
type checker struct{ errs []*geo.FieldError }

// add records a field error; format is an English key (translated by the HTTP layer), filled with args.
func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, geo.Fieldf(field, format, args...))
}

func (c *checker) check(ok bool, field, format string, args ...any) {
	if !ok {
		c.add(field, format, args...)
	}
}

func (c *checker) addErr(err error) {
	var fe *geo.FieldError
	if errors.As(err, &fe) {
		c.errs = append(c.errs, fe)
	} else if err != nil {
		c.add("", "%v", err)
	}
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: c.errs}
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Errors: []*geo.FieldError{geo.Fieldf(field, format, args...)}}
}
