package server

import (
	"everymeter/handlers"
	"everymeter/importer"
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
		handlers.EvalRoutes(s.Eval),            // checklists, rounds, the feedback list, the ledger (测评与整改)
		handlers.PatrolRoutes(s.Patrols),       // patrols: GPS tracks matched to the network, coverage by patrol
		handlers.CitizenRoutes(s.Citizens),     // public reporting and its moderation queue
		handlers.PartsRoutes(s.Svc, s.Reports), // 部件, shops, frontages and 门前三包 (issue 16)
		handlers.SignRoutes(s.Signs, s.Citizens),
		handlers.ImportRoutes(&importer.Uploads{Svc: s.Svc}), // zone and unit files: upload, preview, confirm (issue 17)
	}
}
