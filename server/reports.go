package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/service"
	"everymeter/store"
)

// ReportService builds the report loop's service with the coverage engine's owner lookup for routing (Open311 and
// the importers build theirs the same way); eng may be nil (no routing by owner). Its writes publish through svc.
func ReportService(svc *service.Service, eng *coverage.Engine, log *slog.Logger, opt Options) *service.Reports {
	var loc service.Locator
	if eng != nil {
		loc = ownerLocator{eng}
	}
	return service.NewReports(svc.Store, loc, opt.DataDir, log)
}

// ownerLocator adapts the coverage engine's owner lookup to service.Locator.
type ownerLocator struct{ e *coverage.Engine }

// Owner asks the engine and translates its answer.
func (l ownerLocator) Owner(ctx context.Context, st *store.Store, p orb.Point, at *time.Time) (service.OwnerResult, error) {
	o, err := l.e.Owner(ctx, st, p, at)
	res := service.OwnerResult{MeasureM: o.MeasureM, DistanceM: o.DistanceM, Person: o.Person, Phone: o.Phone,
		DecidedBy: o.DecidedBy, Reason: o.Reason, Ambiguous: o.Ambiguous}
	if o.Asset != nil {
		id := o.Asset.ID
		res.AssetID, res.AssetName, res.AssetKind = &id, o.Asset.Name, o.Asset.Kind
	}
	for _, u := range o.Units {
		res.Units = append(res.Units, service.OwnerUnit{ID: u.ID, Code: u.Code, Name: u.Name})
	}
	if errors.Is(err, coverage.ErrNoOwner) {
		return res, service.ErrNoOwner
	}
	return res, err
}
