// Package server wires everymeter's layers together — store → service (with the coverage engine) →
// handlers — so that the command and the tests build exactly the same server.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net"

	"github.com/labstack/echo/v4"

	"everymeter/handlers"
	"everymeter/service"
	"everymeter/store"
)

// Options configure a server.
type Options struct {
	DataDir       string // photos and other files live here
	SecureCookies bool
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed (none by default).
	TrustedProxies []*net.IPNet
	TileURL        string
	Static         fs.FS                           // the web app; nil serves none
	Ready          func(ctx context.Context) error // extra readiness check (schema current)
}

// Service builds the domain layer with the coverage engine wired in.
func Service(st *store.Store, log *slog.Logger) *service.Service {
	return service.New(st, coverageEngine(st, log), log)
}

// Build returns the echo server and the domain service behind it.
func Build(st *store.Store, log *slog.Logger, opt Options) (*echo.Echo, *service.Service) {
	svc := Service(st, log)
	h := &handlers.Handler{
		Svc: svc, Store: st, Log: log, SecureCookies: opt.SecureCookies, TrustedProxies: opt.TrustedProxies, Static: opt.Static, Ready: opt.Ready,
		Config: handlers.AppConfig{TileURL: opt.TileURL, Attribution: "© OpenStreetMap contributors"},
		Extra:  features(svc, log, opt),
	}
	return handlers.New(h), svc
}
