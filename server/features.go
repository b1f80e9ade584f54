package server

import (
	"log/slog"

	"everymeter/handlers"
)

// features lists the route registrations of everymeter's feature areas (coverage, reports, OGC, tiles …);
// each registers through the same rule table as the core routes.
func features(s *Server, log *slog.Logger, opt Options) []func(r *handlers.Router) {
	reports := ReportService(s.Svc, s.Engine, log, opt) // one loop service (and category cache) for the API and Open311
	return []func(r *handlers.Router){
		handlers.CoverageRoutes(s.Engine),
		handlers.ReportRoutes(s.Svc, reports),
		handlers.Open311Routes(s.Svc, reports), // Open311 GeoReport v2 under /open311/v2/
		handlers.OGC(s.Tiles),                  // OGC API – Features, vector tiles (256 MB tile cache), OpenAPI, API keys
		handlers.LeadersRoutes(),
	}
}
