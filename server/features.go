package server

import (
	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/handlers"
	"everymeter/service"
	"everymeter/tilecache"
)

// features lists the route registrations of everymeter's feature areas (coverage, reports, OGC, tiles …);
// each registers through the same rule table as the core routes. The caches and hooks behind them are set up
// here, not by the routes.
func features(svc *service.Service, eng *coverage.Engine, reports *service.Reports) []func(r *handlers.Router) {
	tiles := tilecache.New(256 << 20) // vector tiles, 256 MB
	svc.OnWrite(func(b orb.Bound) { tiles.InvalidateBound(b) })
	eng.Attach(svc) // tile caches learn which coverage a refresh changed
	return []func(r *handlers.Router){
		handlers.CoverageRoutes(),
		handlers.ReportRoutes(reports),
		handlers.Open311Routes(&service.Open311{Svc: svc, Reports: reports}), // Open311 GeoReport v2 under /open311/v2/
		handlers.OGC(tiles),                                                  // OGC API – Features, vector tiles, OpenAPI, API keys
		handlers.LeadersRoutes(),
	}
}
