// Package server wires everymeter's layers together — store → service (with the coverage engine) →
// handlers — so that the command and the tests build exactly the same server. It is also the one place
// where the caches of derived views subscribe to what committed writes changed.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/coverage"
	"everymeter/handlers"
	"everymeter/service"
	"everymeter/store"
	"everymeter/tilecache"
)

// Options configure a server.
type Options struct {
	DataDir       string // photos and other files live here
	SecureCookies bool
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed (none by default).
	TrustedProxies []*net.IPNet
	TileURL        string
	// TiandituKey and Gaode offer the online base maps 天地图 (WMTS with the county's key) and 高德 in the app's
	// base-map switch; the offline base map stays the default.
	TiandituKey string
	Gaode       bool
	Static      fs.FS                           // the web app; nil serves none
	Ready       func(ctx context.Context) error // extra readiness check (schema current)
	// Origin, when set, makes every committed change also NOTIFY the other servers of the fleet, under this
	// name (see Follow); empty keeps a single server's behaviour.
	Origin string
	// Replica, when set, serves the reads that tolerate lag (see store.Replica).
	Replica *store.Replica
	// NotifyWebhook, when set, receives every citizen notice as a JSON POST (besides the log).
	NotifyWebhook string
	// SupervisionPhone is the county's supervision phone (监督电话) printed on the sign boards.
	SupervisionPhone string
}

// Server is a built server: the HTTP handler and the parts behind it that the command runs (the engine's
// watch) or tests and benchmarks inspect.
type Server struct {
	Echo    *echo.Echo
	Svc     *service.Service
	Reports *service.Reports
	Eval    *service.Evaluation // checklists, rounds, the feedback list, the ledger (测评与整改)
	Patrols *service.Patrols
	// Citizens is public reporting and its moderation queue.
	Citizens *service.Citizens
	// Signs are the responsibility stretches' sign boards.
	Signs  *service.Signs
	Engine *coverage.Engine
	Tiles  *tilecache.Cache
	log    *slog.Logger
}

// tileCacheBytes bounds the vector tile cache.
const tileCacheBytes = 256 << 20

// Service builds the domain layer with a coverage engine wired in (for commands that serve nothing).
func Service(st *store.Store, log *slog.Logger) *service.Service {
	return service.New(st, coverage.New(log), log)
}

// New builds the whole server over st: the engine, the service over it, the report loop, the tile cache
// subscribed to committed changes, and the HTTP layer.
func New(st *store.Store, log *slog.Logger, opt Options) *Server {
	eng := coverage.New(log)
	if opt.Origin != "" {
		st = st.Notifying(opt.Origin)
	}
	if opt.Replica != nil {
		st = st.WithReplica(opt.Replica)
	}
	s := &Server{Svc: service.New(st, eng, log), Engine: eng, Tiles: tilecache.New(tileCacheBytes), log: log}
	if opt.Replica != nil {
		// First of the subscribers: a tile rebuilt once the cache below has forgotten it must not be read from a
		// replica that has not replayed the change yet.
		s.Svc.Subscribe(func(change.Event) { opt.Replica.Fence() })
	}
	// The engine's prepared geometries are keyed by row version and need no subscription; its owner index
	// (IndexOwners, which Follow turns on once it listens for notices) marks stale what each commit changed.
	s.Svc.Subscribe(eng.Changed)
	s.Svc.Subscribe(InvalidateTiles(s.Tiles))
	s.Reports = ReportService(s.Svc, log, opt) // one loop service (and category cache) for the API and Open311
	s.Eval = &service.Evaluation{Store: s.Svc.Store, Reports: s.Reports}
	s.Patrols = service.NewPatrols(s.Svc.Store, log)
	s.Citizens = CitizenService(s.Reports, log, opt)
	s.Svc.Subscribe(NotifyReporters(s.Citizens))
	s.Signs = &service.Signs{Store: s.Svc.Store, Supervision: opt.SupervisionPhone, Duties: service.ShopRegister{}}
	h := &handlers.Handler{
		Svc: s.Svc, Log: log, SecureCookies: opt.SecureCookies, TrustedProxies: opt.TrustedProxies, Static: opt.Static, Ready: opt.Ready,
		Config: handlers.AppConfig{TileURL: opt.TileURL, Attribution: "© OpenStreetMap contributors", TiandituKey: opt.TiandituKey, Gaode: opt.Gaode},
		Extra:  features(s),
	}
	s.Echo = handlers.New(h)
	return s
}

// Build returns the echo server and the domain service behind it.
func Build(st *store.Store, log *slog.Logger, opt Options) (*echo.Echo, *service.Service) {
	s := New(st, log, opt)
	return s.Echo, s.Svc
}

// tiled are the kinds of change the tile layers show: assets, coverage pieces, reports and patrols (the stale layer). Zones and
// assignments show only through the coverage they change, which their unit of work records as well.
var tiled = map[change.Kind]bool{change.Asset: true, change.Coverage: true, change.Report: true, change.Base: true, change.Patrol: true}

// InvalidateTiles returns the subscriber that makes the tile cache forget the tiles a committed change
// can have changed.
func InvalidateTiles(tiles *tilecache.Cache) func(change.Event) {
	return func(ev change.Event) {
		var bs []orb.Bound
		for _, c := range ev.Changes {
			if tiled[c.Kind] {
				for _, b := range c.Bounds {
					bs = append(bs, b.Orb())
				}
			}
		}
		tiles.InvalidateBounds(bs...)
	}
}

// CitizenService builds public reporting over the report loop, notifying through the log and, when configured,
// a webhook.
func CitizenService(rs *service.Reports, log *slog.Logger, opt Options) *service.Citizens {
	n := service.Notifiers{service.LogNotifier{Log: log}}
	if opt.NotifyWebhook != "" {
		n = append(n, service.WebhookNotifier{URL: opt.NotifyWebhook})
	}
	return service.NewCitizens(rs, n)
}

// NotifyReporters returns the subscriber that tells residents following a case that it changed.
func NotifyReporters(c *service.Citizens) func(change.Event) {
	return func(ev change.Event) {
		for _, ch := range ev.Changes {
			if ch.Kind == change.Report && len(ch.IDs) > 0 {
				c.ReportChanged(context.Background(), ch.IDs)
			}
		}
	}
}
