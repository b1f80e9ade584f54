package handlers

import (
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/i18n"
	"everymeter/vocab"
)

// coverageAPI serves the coverage routes.
type coverageAPI struct{ h *Handler }

// CoverageRoutes registers the coverage and owner-lookup routes (all for signed-in users).
func CoverageRoutes() func(r *Router) {
	return func(r *Router) {
		a := &coverageAPI{h: r.Handler()}
		r.Add(http.MethodGet, "/api/v1/coverage", a.summary, Signedin)
		r.Add(http.MethodGet, "/api/v1/coverage/segments", a.segments(""), Signedin)
		r.Add(http.MethodGet, "/api/v1/coverage/gaps", a.segments(string(vocab.Gap)), Signedin)
		r.Add(http.MethodGet, "/api/v1/coverage/overlaps", a.segments(string(vocab.Overlap)), Signedin)
		r.Add(http.MethodGet, "/api/v1/coverage/export", a.export, Signedin)
		r.Add(http.MethodGet, "/api/v1/assets/:id/coverage", a.asset, Signedin)
		r.Add(http.MethodGet, "/api/v1/owner", a.owner, Signedin)
	}
}

// atParam parses the optional at= time (RFC 3339, or a date meaning its start in UTC).
func atParam(c echo.Context) (*time.Time, error) {
	s := c.QueryParam("at")
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, badRequestf("at", "at %q is not a time; use RFC 3339 like 2024-05-01T08:00:00Z or a date like 2024-05-01", truncateParam(s))
}

func truncateParam(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (a *coverageAPI) summary(c echo.Context) error {
	at, err := atParam(c)
	if err != nil {
		return err
	}
	s, err := a.h.Svc.CoverageSummary(c.Request().Context(), principal(c), at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

// segmentFilter parses bbox, kind, min_length_m and limit.
func segmentFilter(c echo.Context, status string) (domain.PieceFilter, error) {
	f := domain.PieceFilter{Status: status}
	var err error
	if f.BBox, err = bboxParam(c); err != nil {
		return f, err
	}
	f.Kind = c.QueryParam("kind")
	if f.MinLengthM, err = floatParam(c, "min_length_m", 0); err != nil {
		return f, err
	}
	if f.MinLengthM < 0 {
		return f, badRequest("min_length_m", "min_length_m must be ≥ 0")
	}
	if f.Limit, err = intParam(c, "limit", 20000, 1, 200000); err != nil {
		return f, err
	}
	return f, nil
}

func (a *coverageAPI) segments(status string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := segmentFilter(c, status)
		if err != nil {
			return err
		}
		at, err := atParam(c)
		if err != nil {
			return err
		}
		if status == "" {
			if s := c.QueryParam("status"); s != "" {
				if !vocab.Coverage(s).Valid() {
					return badRequestf("status", "status must be one of %s", strings.Join(vocab.Strings(vocab.Coverages), ", "))
				}
				f.Status = s
			}
		}
		b, err := a.segmentsAt(c, f, at)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/geo+json", b)
	}
}

// segmentsAt returns the stored pieces matching f, or with at= those computed for that time.
func (a *coverageAPI) segmentsAt(c echo.Context, f domain.PieceFilter, at *time.Time) ([]byte, error) {
	return a.h.Svc.CoverageSegments(c.Request().Context(), principal(c), f, at)
}

func (a *coverageAPI) export(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		format = "csv"
	}
	f, err := segmentFilter(c, string(vocab.Gap))
	if err != nil {
		return err
	}
	at, err := atParam(c)
	if err != nil {
		return err
	}
	ctx := domain.LagTolerant(c.Request().Context()) // a download: the replica will do
	stamp := time.Now().UTC().Format("20060102")
	if at != nil {
		stamp = at.UTC().Format("20060102")
	}
	switch format {
	case "geojson":
		b, err := a.segmentsAt(c, f, at)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="everymeter-gaps-`+stamp+`.geojson"`)
		return c.Blob(http.StatusOK, "application/geo+json", b)
	case "csv":
		gaps, err := a.h.Svc.CoverageGaps(ctx, principal(c), f, at)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().Header().Set("Content-Disposition", `attachment; filename="everymeter-gaps-`+stamp+`.csv"`)
		c.Response().WriteHeader(http.StatusOK)
		w := csv.NewWriter(c.Response())
		_ = w.Write([]string{"asset_id", "asset_name", "kind", "from_m", "to_m", "length_m", "start_lon", "start_lat", "end_lon", "end_lat"})
		num := func(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
		for _, g := range gaps {
			_ = w.Write([]string{strconv.FormatInt(g.AssetID, 10), csvSafe(g.AssetName), g.Kind, num(g.FromM, 2), num(g.ToM, 2), num(g.ToM-g.FromM, 2),
				num(g.Start[0], 7), num(g.Start[1], 7), num(g.End[0], 7), num(g.End[1], 7)})
		}
		w.Flush()
		return w.Error()
	case "xlsx":
		gaps, err := a.h.Svc.CoverageGaps(ctx, principal(c), f, at)
		if err != nil {
			return err
		}
		return sendXLSX(c, "everymeter-gaps-"+stamp+".xlsx", gapsSheet(gaps))
	}
	return badRequestf("format", "format %q is not csv, geojson or xlsx", truncateParam(format))
}

// csvSafe keeps a spreadsheet from running a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (a *coverageAPI) asset(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	at, err := atParam(c)
	if err != nil {
		return err
	}
	var out domain.AssetCoverage
	switch side := c.QueryParam("side"); side {
	case "", string(vocab.Both):
		out, err = a.h.Svc.AssetCoverage(c.Request().Context(), principal(c), id, at)
	default:
		if !vocab.Is(side, vocab.OneSides) {
			return badRequest("side", "side must be left, right or both")
		}
		out, err = a.h.Svc.AssetCoverageOn(c.Request().Context(), principal(c), id, at, side)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// coordParam parses a required coordinate within [-lim, lim].
func coordParam(c echo.Context, name string, lim float64) (float64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return 0, badRequest(name, name+" is required (WGS84 degrees)")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < -lim || v > lim {
		return 0, badRequestf(name, "%s must be a number from %g to %g", name, -lim, lim)
	}
	return v, nil
}

func (a *coverageAPI) owner(c echo.Context) error {
	lon, err := coordParam(c, "lon", 180)
	if err != nil {
		return err
	}
	lat, err := coordParam(c, "lat", 90)
	if err != nil {
		return err
	}
	at, err := atParam(c)
	if err != nil {
		return err
	}
	res, err := a.h.Svc.Owner(c.Request().Context(), principal(c), orb.Point{lon, lat}, at)
	var why any = i18n.Key(res.Reason)
	if len(res.ReasonParts) > 0 {
		why, res.Reason = res.ReasonParts, res.ReasonParts.In(langOf(c))
	}
	if errors.Is(err, domain.ErrNoOwner) {
		p := problemf(http.StatusNotFound, "No owner here", "%s; pick a point on or next to a street", why)
		p.Extra = map[string]any{"candidates": res.Candidates}
		return p
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
