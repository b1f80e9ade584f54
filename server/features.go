package server

import (
	"everymeter/handlers"
	"everymeter/service"
)

// features lists the route registrations of everymeter's feature areas (coverage, reports, OGC, tiles …);
// each registers through the same rule table as the core routes. The caches behind them are built and
// subscribed in New, not by the routes.
func features(s *Server) []func(r *handlers.Router) {
	return []func(r *handlers.Router){
		handlers.CoverageRoutes(),
		handlers.ReportRoutes(s.Reports),
		handlers.Open311Routes(&service.Open311{Svc: s.Svc, Reports: s.Reports, Citizens: s.Citizens}), // Open311 GeoReport v2 under /open311/v2/
		handlers.OGC(s.Tiles), // OGC API – Features, vector tiles, OpenAPI, API keys
		handlers.LeadersRoutes(),
		handlers.CitizenRoutes(s.Citizens), // public reporting and its moderation queue
		handlers.SignRoutes(s.Signs, s.Citizens),
	}
}
