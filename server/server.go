// Package server wires everymeter's layers together — store → service (with the coverage engine) →
// handlers — so that the command and the tests build exactly the same server.
package server

import (
	"context"
	"io/fs"
	"log/slog"

	"github.com/labstack/echo/v4"

	"everymeter/coverage"
	"everymeter/handlers"
	"everymeter/service"
	"everymeter/store"
)

// Options configure a server.
type Options struct {
	DataDir       string // photos and other files live here
	SecureCookies bool
	TileURL       string
	Static        fs.FS                           // the web app; nil serves none
	Ready         func(ctx context.Context) error // extra readiness check (schema current)
}

// Service builds the domain layer with a coverage engine wired in.
func Service(st *store.Store, log *slog.Logger) *service.Service {
	return service.New(st, coverage.New(log), log)
}

// Wired is a built server and the collaborators behind it, for the command (which runs the engine's watch) and
// the benchmarks.
type Wired struct {
	Echo    *echo.Echo
	Svc     *service.Service
	Reports *service.Reports
	Engine  *coverage.Engine
}

// Wire builds the whole server: the engine, the service over it, the report loop and the HTTP layer.
func Wire(st *store.Store, log *slog.Logger, opt Options) *Wired {
	eng := coverage.New(log)
	svc := service.New(st, eng, log)
	reports := ReportService(svc, log, opt) // one loop service (and category cache) for the API and Open311
	h := &handlers.Handler{
		Svc: svc, Log: log, SecureCookies: opt.SecureCookies, Static: opt.Static, Ready: opt.Ready,
		Config: handlers.AppConfig{TileURL: opt.TileURL, Attribution: "© OpenStreetMap contributors"},
		Extra:  features(svc, eng, reports),
	}
	return &Wired{Echo: handlers.New(h), Svc: svc, Reports: reports, Engine: eng}
}

// Build returns the echo server and the domain service behind it.
func Build(st *store.Store, log *slog.Logger, opt Options) (*echo.Echo, *service.Service) {
	w := Wire(st, log, opt)
	return w.Echo, w.Svc
}
