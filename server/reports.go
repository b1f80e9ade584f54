package server

import (
	"log/slog"

	"everymeter/service"
)

// ReportService builds the report loop's service; it routes with the owner lookup of the service's coverage
// engine (Open311 and the importers build theirs the same way).
func ReportService(svc *service.Service, log *slog.Logger, opt Options) *service.Reports {
	return service.NewReports(svc.Store, service.CoverageLocator{Coverage: svc.Coverage}, opt.DataDir, log)
}
