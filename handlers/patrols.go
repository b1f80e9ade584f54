package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/track"
	"everymeter/vocab"
)

// PatrolService is the patrols' domain layer: tracks in, coverage by patrol out.
type PatrolService interface {
	Record(ctx context.Context, p domain.Principal, in domain.NewPatrol) (domain.Patrol, bool, error)
	Coverage(ctx context.Context, p domain.Principal, f domain.PatrolFilter) (domain.PatrolCoverage, error)
	AssetPatrols(ctx context.Context, p domain.Principal, id int64, f domain.PatrolFilter) (domain.AssetPatrols, error)
	Stale(ctx context.Context, p domain.Principal, days int, f domain.PatrolFilter, limit int) (json.RawMessage, error)
	Track(ctx context.Context, p domain.Principal, id int64) (json.RawMessage, error)
	Layer(ctx context.Context, p domain.Principal, bbox *orb.Bound, f domain.PatrolFilter, limit int) (json.RawMessage, error)
	PatrolMoreService
}

// PatrolRoutes registers the patrol routes.
func PatrolRoutes(ps PatrolService) func(r *Router) {
	return func(r *Router) {
		h := &patrolHandlers{ps: ps}
		r.Add(http.MethodPost, "/api/v1/patrols", h.wrap(h.create), Roles("patrollers", vocab.PatrolRoles...))
		r.Add(http.MethodGet, "/api/v1/patrols/coverage", h.wrap(h.coverage), Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/stale", h.wrap(h.stale), Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/layer", h.wrap(h.layer), Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/:id/track", h.wrap(h.track), Account)
		r.Add(http.MethodPost, "/api/v1/patrols/checkins", h.checkin, Roles("patrollers", vocab.PatrolRoles...))
		r.Add(http.MethodGet, "/api/v1/patrols/presence", h.presence, Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/targets", h.targets, Signedin)
		r.Add(http.MethodPut, "/api/v1/patrols/targets/:kind", h.setTarget, Planners)
		r.Add(http.MethodGet, "/api/v1/patrols/compliance", h.compliance, Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/inspectors", h.inspectors, Signedin)
		r.Add(http.MethodGet, "/api/v1/patrols/today", h.today, Roles("patrollers", vocab.PatrolRoles...))
		r.Add(http.MethodGet, "/api/v1/assets/:id/patrols", h.wrap(h.assetPatrols), Signedin)
	}
}

type patrolHandlers struct{ ps PatrolService }

// wrap turns a refused track into a 422 naming what is wrong with it.
func (h *patrolHandlers) wrap(fn echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := fn(c)
		var te *track.Error
		if errors.As(err, &te) {
			return problemf(http.StatusUnprocessableEntity, "Unusable track", "the track cannot be used: %s", te.Msg)
		}
		return err
	}
}

// maxTrackBytes bounds an uploaded track (a day of 1 s fixes in GPX is about 10 MB).
const maxTrackBytes = 16 << 20

func (h *patrolHandlers) create(c echo.Context) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "application/gpx+xml", "application/xml", "text/xml", "application/geo+json", "application/json":
	default:
		return problemf(http.StatusUnsupportedMediaType, "Unsupported media type",
			"send a track as application/gpx+xml or application/geo+json (got %q)", ct)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxTrackBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return badRequest("body", "could not read the request body")
	}
	if len(body) > maxTrackBytes {
		return echo.ErrStatusRequestEntityTooLarge
	}
	in := domain.NewPatrol{ContentType: ct, Body: body, User: strings.TrimSpace(c.QueryParam("user")),
		IdempotencyKey: strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))}
	p, created, err := h.ps.Record(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	c.Response().Header().Set("Location", "/api/v1/patrols/"+strconv.FormatInt(p.ID, 10)+"/track")
	return c.JSON(status, map[string]any{"patrol": p})
}

// patrolFilter reads from, to, unit_id, kind and role.
func patrolFilter(c echo.Context) (domain.PatrolFilter, error) {
	var f domain.PatrolFilter
	for _, x := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		t, err := timeParam(c, x.name)
		if err != nil {
			return f, err
		}
		if t != nil {
			*x.dst = *t
		}
	}
	u, err := unitParam(c)
	if err != nil {
		return f, err
	}
	f.UnitID, f.Kind, f.Role = u, c.QueryParam("kind"), c.QueryParam("role")
	return f, nil
}

func (h *patrolHandlers) coverage(c echo.Context) error {
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	out, err := h.ps.Coverage(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) assetPatrols(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	out, err := h.ps.AssetPatrols(c.Request().Context(), principal(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *patrolHandlers) stale(c echo.Context) error {
	days, err := intParam(c, "days", 7, 1, 3650)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 5000, 1, 50000)
	if err != nil {
		return err
	}
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	b, err := h.ps.Stale(c.Request().Context(), principal(c), days, f, limit)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/geo+json", b)
}

func (h *patrolHandlers) track(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := h.ps.Track(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "application/geo+json", b)
}

func (h *patrolHandlers) layer(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 5000, 1, 50000)
	if err != nil {
		return err
	}
	f, err := patrolFilter(c)
	if err != nil {
		return err
	}
	b, err := h.ps.Layer(c.Request().Context(), principal(c), bbox, f, limit)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/geo+json", b)
}
