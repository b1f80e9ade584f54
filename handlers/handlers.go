// Package handlers is everymeter's HTTP layer: every route is registered in Register with its access rule,
// requests are parsed and validated here, one domain call is made, and the answer is rendered as JSON,
// GeoJSON or problem+json.
package handlers

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"everymeter/domain"
)

// Handler holds what the HTTP layer needs; every handler is a method on it.
type Handler struct {
	Svc    Service
	Log    *slog.Logger
	Static fs.FS // the embedded web app; nil serves no app
	// SecureCookies marks cookies Secure, redirects plain HTTP to https and sends Strict-Transport-Security
	// (set when served behind HTTPS).
	SecureCookies bool
	// TrustedProxies are the peers whose X-Forwarded-For and X-Forwarded-Proto are believed (clientaddr.go).
	TrustedProxies []*net.IPNet
	// Ready reports whether the schema is current (for /readyz).
	Ready func(ctx context.Context) error
	// Config is served to the web app at /api/v1/config.
	Config AppConfig
	// Extra registers routes of later features (reports, OGC, tiles …) through the same rule table.
	Extra []func(r *Router)

	keys *apiKeyCache // API keys checked recently (apikey.go)
}

// AppConfig is what the web app needs to know about this deployment.
type AppConfig struct {
	TileURL     string `json:"tile_url"`
	Attribution string `json:"attribution"`
	// Optional online base maps offered beside the offline one (never the default): 天地图 with the county's
	// browser key, and 高德 (GCJ-02, shifted on display by the app).
	TiandituKey string `json:"tianditu_key,omitempty"`
	Gaode       bool   `json:"gaode,omitempty"`
}

// MaxBody is the largest request body accepted (a bulk FeatureCollection of a whole town fits).
const MaxBody = 16 << 20

// New builds the echo server with every route and middleware.
func New(h *Handler) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.renderError
	e.IPExtractor = ClientIPExtractor(h.TrustedProxies)
	e.SchemeExtractor = SchemeExtractor(h.TrustedProxies)
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.ReadTimeout = 60 * time.Second
	e.Server.WriteTimeout = 120 * time.Second
	e.Server.IdleTimeout = 120 * time.Second
	e.Use(middleware.RequestID())
	e.Use(h.logRequests)
	e.Use(h.recoverer)
	e.Use(securityHeaders)
	if h.SecureCookies {
		e.Use(requireHTTPS)
	}
	e.Use(cleanText)
	e.Use(middleware.BodyLimit(bodyLimitString))
	e.Use(h.authenticate)
	h.keys = newAPIKeyCache()
	e.Use(h.apiKeyAuth)
	r := &Router{e: e, h: h}
	h.Register(r)
	for _, f := range h.Extra {
		f(r)
	}
	return e
}

const bodyLimitString = "16M"

// Register adds every core route with its access rule.
func (h *Handler) Register(r *Router) {
	r.Add(http.MethodGet, "/healthz", h.healthz, Public)
	r.Add(http.MethodGet, "/readyz", h.readyz, Public)

	r.Add(http.MethodPost, "/api/v1/auth/login", h.login, Public)
	r.Add(http.MethodPost, "/api/v1/auth/logout", h.logout, Account)
	r.Add(http.MethodGet, "/api/v1/auth/me", h.me, Account)
	r.Add(http.MethodGet, "/api/v1/config", h.config, Public)
	r.Add(http.MethodGet, "/api/v1/admin/throttles", h.listThrottles, Admins)
	r.Add(http.MethodDelete, "/api/v1/admin/throttles/:id", deleteByID(h.Svc.ClearThrottle), Admins)

	r.Add(http.MethodGet, "/api/v1/units", h.listUnits, Signedin)
	r.Add(http.MethodPost, "/api/v1/units", h.createUnit, Planners)
	r.Add(http.MethodGet, "/api/v1/units/:id", getByID(h.Svc.Unit, renderJSON[domain.Unit]), Signedin)
	r.Add(http.MethodPatch, "/api/v1/units/:id", h.patchUnit, Planners)
	r.Add(http.MethodDelete, "/api/v1/units/:id", deleteByID(h.Svc.DeleteUnit), Planners)

	r.Add(http.MethodGet, "/api/v1/assets", h.listAssets, Signedin)
	r.Add(http.MethodPost, "/api/v1/assets", h.createAssets, Planners)
	r.Add(http.MethodGet, "/api/v1/assets/:id", getByID(h.Svc.Asset, renderAsset), Signedin)
	r.Add(http.MethodPatch, "/api/v1/assets/:id", h.patchAsset, Planners)
	r.Add(http.MethodDelete, "/api/v1/assets/:id", deleteByID(h.Svc.DeleteAsset), Planners)

	r.Add(http.MethodGet, "/api/v1/zones", h.listZones, Signedin)
	r.Add(http.MethodPost, "/api/v1/zones", h.createZone, Planners)
	r.Add(http.MethodGet, "/api/v1/zones/:id", getByID(h.Svc.Zone, renderZone), Signedin)
	r.Add(http.MethodPatch, "/api/v1/zones/:id", h.patchZone, Planners)
	r.Add(http.MethodDelete, "/api/v1/zones/:id", deleteByID(h.Svc.DeleteZone), Planners)

	r.Add(http.MethodGet, "/api/v1/assets/:id/assignments", h.listAssignments, Signedin)
	r.Add(http.MethodPost, "/api/v1/assets/:id/assignments", h.createAssignment, Planners)
	r.Add(http.MethodGet, "/api/v1/assignments/:id", getByID(h.Svc.Assignment, renderJSON[domain.Assignment]), Signedin)
	r.Add(http.MethodPatch, "/api/v1/assignments/:id", h.patchAssignment, Planners)
	r.Add(http.MethodDelete, "/api/v1/assignments/:id", deleteByID(h.Svc.DeleteAssignment), Planners)

	if h.Static != nil {
		r.Static(h.Static)
	}
}

// Router registers routes together with their access rule, so that no route exists without one.
type Router struct {
	e     *echo.Echo
	h     *Handler
	Rules []RouteRule
}

// RouteRule is one row of the permission table.
type RouteRule struct {
	Method, Path string
	Allow        Rule
}

// Handler returns the handler the routes are methods of.
func (r *Router) Handler() *Handler { return r.h }

// Add registers a route guarded by a rule.
func (r *Router) Add(method, path string, fn echo.HandlerFunc, allow Rule) {
	r.Rules = append(r.Rules, RouteRule{Method: method, Path: path, Allow: allow})
	route := r.e.Add(method, path, func(c echo.Context) error {
		if err := allow.check(c); err != nil {
			return err
		}
		return fn(c)
	})
	// The rule travels in the route's name, so the echo route table itself says who may call each route
	// (a route added around the Router has no rule, and the route × role test fails on it).
	route.Name = allow.encode()
}

// Static serves the embedded web app at / (anyone may load the app; its data needs sign-in).
func (r *Router) Static(fsys fs.FS) {
	fileServer := http.FileServer(http.FS(fsys))
	serve := func(c echo.Context) error {
		p := c.Request().URL.Path
		if strings.HasPrefix(p, "/api/") {
			return echo.ErrNotFound
		}
		if strings.HasPrefix(p, "/vendor/") {
			c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		} else if p == "/app/sw.js" {
			// The service worker lives with the app's files but serves the whole app.
			c.Response().Header().Set("Service-Worker-Allowed", "/")
			c.Response().Header().Set("Cache-Control", "no-cache")
		} else {
			c.Response().Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	r.Add(http.MethodGet, "/", serve, Public)
	r.Add(http.MethodGet, "/app/*", serve, Public)
	r.Add(http.MethodGet, "/vendor/*", serve, Public)
	r.Add(http.MethodGet, "/favicon.ico", serve, Public)
}

// recoverer turns a panic into a logged 500 instead of a dead connection.
func (h *Handler) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if pe, ok := p.(error); ok && errors.Is(pe, http.ErrAbortHandler) {
					panic(p)
				}
				h.Log.Error("panic", "panic", p, "path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
				err = errors.New("internal panic")
			}
		}()
		return next(c)
	}
}

func (h *Handler) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		if status >= 500 || time.Since(start) > 2*time.Second {
			h.Log.Warn("request", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status,
				"ms", time.Since(start).Milliseconds(), "addr", clientAddr(c), "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		return nil
	}
}

// securityHeaders sets headers every answer carries. The CSP allows only this origin's scripts and styles
// (the web app has no inline script); images may be data: or blob: URLs (photo previews, Leaflet icons).
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: *; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'")
		return next(c)
	}
}

// cleanText refuses paths and query strings holding NUL bytes or invalid UTF-8: PostgreSQL cannot store
// them in text, and no legitimate client sends them.
func cleanText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		for _, s := range []string{u.Path, c.QueryString()} {
			if dec, err := url.QueryUnescape(s); err == nil && (strings.ContainsRune(dec, 0) || !utf8.ValidString(dec)) {
				return badRequest("query", "the URL contains a NUL byte or invalid UTF-8")
			}
		}
		return next(c)
	}
}

func (h *Handler) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.Svc.Ping(ctx); err != nil {
		return problem(http.StatusServiceUnavailable, "Database unreachable", "the database does not answer; retry shortly")
	}
	if h.Ready != nil {
		if err := h.Ready(ctx); err != nil {
			return problemf(http.StatusServiceUnavailable, "Not ready", "%v", err)
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (h *Handler) config(c echo.Context) error { return c.JSON(http.StatusOK, h.Config) }
