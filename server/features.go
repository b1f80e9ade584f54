package server

import (
	"log/slog"

	"everymeter/coverage"
	"everymeter/handlers"
	"everymeter/service"
	"everymeter/store"
	"everymeter/tilecache"
)

// coverageEngine returns the engine that keeps coverage current (nil: none yet).
func coverageEngine(st *store.Store, log *slog.Logger) service.Coverage { return coverage.New(log) }

// features lists the route registrations of everymeter's feature areas (coverage, reports, OGC, tiles …);
// each registers through the same rule table as the core routes.
func features(svc *service.Service, log *slog.Logger, opt Options) []func(r *handlers.Router) {
	reports := ReportService(svc, log, opt) // one loop service (and category cache) for the API and Open311
	return []func(r *handlers.Router){
		handlers.CoverageRoutes(svc.Coverage.(*coverage.Engine)),
		handlers.ReportRoutes(svc, reports),
		handlers.Open311Routes(svc, reports),   // Open311 GeoReport v2 under /open311/v2/
		handlers.OGC(tilecache.New(256 << 20)), // OGC API – Features, vector tiles (256 MB tile cache), OpenAPI, API keys
		handlers.LeadersRoutes(),
	}
}
