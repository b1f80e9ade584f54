package handlers

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/vocab"
	"everymeter/workflow"
)

// ReportRoutes registers categories, reports, their loop and photos (issue 4 §1–§5).
func ReportRoutes(rs ReportLoop) func(r *Router) {
	return func(r *Router) {
		categoryRoutes(r, r.Handler().Svc)
		h := &reportHandlers{rs: rs}
		reporters := Roles("reporters", vocab.ReporterRoles...)
		r.Add(http.MethodGet, "/api/v1/reports", h.wrap(h.list), Signedin)
		r.Add(http.MethodPost, "/api/v1/reports", h.wrap(h.create), reporters)
		r.Add(http.MethodGet, "/api/v1/reports/:id", h.wrap(h.get), Signedin)
		r.Add(http.MethodGet, "/api/v1/reports/:id/history", h.wrap(h.history), Signedin)
		r.Add(http.MethodPost, "/api/v1/reports/:id/transitions", h.wrap(h.transition), Signedin)
		r.Add(http.MethodPost, "/api/v1/reports/:id/photos", h.wrap(h.uploadPhoto), Roles("photographers", vocab.PhotographerRoles...))
		r.Add(http.MethodGet, "/api/v1/reports/:id/photos", h.wrap(h.listPhotos), Signedin)
		r.Add(http.MethodGet, "/api/v1/photos/:id", h.wrap(h.photo(false)), Signedin)
		r.Add(http.MethodGet, "/api/v1/photos/:id/thumb", h.wrap(h.photo(true)), Signedin)
	}
}

type reportHandlers struct{ rs ReportLoop }

// wrap turns the report loop's refusals into problem documents naming the status and what is allowed now.
func (h *reportHandlers) wrap(fn echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return loopProblem(fn(c)) }
}

// loopProblem is the problem document of a report loop refusal (status, what is allowed now), or err unchanged.
func loopProblem(err error) error {
	var we *workflow.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		status, title := http.StatusConflict, "Not allowed in this status"
		switch {
		case errors.Is(err, workflow.ErrForbidden):
			status, title = http.StatusForbidden, "Forbidden"
		case errors.Is(err, workflow.ErrUnknown):
			return badRequestf("action", we.Format, we.Args...)
		}
		p := problemf(status, title, we.Format, we.Args...)
		if we.Status != "" {
			allowed := we.Allowed
			if allowed == nil {
				allowed = []workflow.Action{}
			}
			p.Extra = map[string]any{"current_status": we.Status, "allowed_actions": allowed}
		}
		return p
	case errors.Is(err, domain.ErrPhotoTooLarge):
		return problem(http.StatusRequestEntityTooLarge, "Photo too large", "a photo may be at most 10 MB; send a smaller one")
	}
	return err
}

// who is the principal of a report request.
func who(c echo.Context) domain.Principal { return principal(c) }

// reportView is a report as the API shows it (docs/API.md).
type reportView struct {
	ID             int64             `json:"id"`
	Status         string            `json:"status"`
	Category       string            `json:"category"`
	Description    string            `json:"description"`
	Address        string            `json:"address"`
	Urgency        string            `json:"urgency"`
	UnitID         *int64            `json:"unit_id"`
	UnitName       string            `json:"unit_name"`
	AssetID        *int64            `json:"asset_id"`
	MeasureM       *float64          `json:"measure_m"`
	Routing        routingView       `json:"routing"`
	Deadline       *time.Time        `json:"deadline"`
	TimeLimitHours *float64          `json:"time_limit_hours"`
	Light          *string           `json:"light"`
	Overdue        bool              `json:"overdue"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	DispatchedAt   *time.Time        `json:"dispatched_at"`
	AcceptedAt     *time.Time        `json:"accepted_at"`
	ResolvedAt     *time.Time        `json:"resolved_at"`
	ClosedAt       *time.Time        `json:"closed_at"`
	ReporterID     *int64            `json:"reporter_id"`
	ResolverID     *int64            `json:"resolver_id"`
	VerifierID     *int64            `json:"verifier_id"`
	DuplicateOf    *int64            `json:"duplicate_of"`
	ReworkCount    int               `json:"rework_count"`
	ReopenCount    int               `json:"reopen_count"`
	ExtensionCount int               `json:"extension_count"`
	ReturnCount    int               `json:"return_count"`
	Source         string            `json:"source"`
	SourceID       string            `json:"source_id,omitempty"`
	Actions        []workflow.Action `json:"actions"`
	Geometry       *geojson.Geometry `json:"geometry,omitempty"`
	DistanceM      *float64          `json:"distance_m,omitempty"`
	Photos         []photoView       `json:"photos,omitempty"`
	IdempotencyKey *string           `json:"idempotency_key,omitempty"`
}

type routingView struct {
	DecidedBy string `json:"decided_by"`
	Reason    string `json:"reason"`
}

func viewReport(r domain.Report, w domain.Principal, now time.Time, lang i18n.Lang) reportView {
	v := reportView{ID: r.ID, Status: r.Status, Category: r.CategoryCode, Description: r.Description, Address: r.Address,
		Urgency: r.Urgency, UnitID: r.UnitID, UnitName: r.UnitName, AssetID: r.AssetID, MeasureM: r.MeasureM,
		Routing: routingView{DecidedBy: r.DecidedBy, Reason: r.Reason(lang)}, Deadline: r.Deadline,
		TimeLimitHours: r.TimeLimitHours, Overdue: r.Overdue(now), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		DispatchedAt: r.DispatchedAt, AcceptedAt: r.AcceptedAt, ResolvedAt: r.ResolvedAt, ClosedAt: r.ClosedAt,
		ReporterID: r.ReporterID, ResolverID: r.ResolverID, VerifierID: r.VerifierID, DuplicateOf: r.DuplicateOf,
		ReworkCount: r.ReworkCount, ReopenCount: r.ReopenCount, ExtensionCount: r.ExtensionCount, ReturnCount: r.ReturnCount,
		Source: r.Source, SourceID: r.SourceID,
		Actions: workflow.Available(workflow.Report{Status: workflow.Status(r.Status), UnitID: r.UnitID, ResolverID: r.ResolverID},
			workflow.Actor{ID: w.ID, Role: w.Role, UnitID: w.UnitID}),
		Geometry: geojson.NewGeometry(r.Geom),
	}
	if l := r.Light(now); l != "" {
		v.Light = &l
	}
	if r.ReporterID != nil && *r.ReporterID == w.ID {
		v.IdempotencyKey = r.IdempotencyKey
	}
	return v
}

// feature renders a report as a GeoJSON Feature whose id is the report id.
func reportFeature(r domain.Report, w domain.Principal, now time.Time, lang i18n.Lang) *geojson.Feature {
	v := viewReport(r, w, now, lang)
	v.Geometry = nil
	f := geojson.NewFeature(r.Geom)
	f.ID = r.ID
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &f.Properties)
	return f
}

type reportIn struct {
	Geometry    json.RawMessage `json:"geometry"`
	AssetID     *int64          `json:"asset_id"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Address     string          `json:"address"`
	Urgency     string          `json:"urgency"`
}

func (h *reportHandlers) create(c echo.Context) error {
	var in reportIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	nr := domain.NewReport{AssetID: in.AssetID, Category: in.Category, Description: in.Description, Address: in.Address,
		Urgency: in.Urgency, IdempotencyKey: strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))}
	if len(in.Geometry) > 0 && string(in.Geometry) != "null" {
		p, err := decodePoint(in.Geometry, "geometry")
		if err != nil {
			return err
		}
		nr.Point = &p
	}
	w := who(c)
	f, err := h.rs.File(c.Request().Context(), w, nr)
	if err != nil {
		return err
	}
	now := time.Now()
	dups := make([]reportView, 0, len(f.Duplicates))
	for _, d := range f.Duplicates {
		v := viewReport(d, w, now, langOf(c))
		dist := geo.Distance(d.Geom, f.Report.Geom)
		v.DistanceM = &dist
		dups = append(dups, v)
	}
	status := http.StatusCreated
	if !f.Created {
		status = http.StatusOK
	}
	c.Response().Header().Set("Location", "/api/v1/reports/"+strconv.FormatInt(f.Report.ID, 10))
	return c.JSON(status, map[string]any{"report": viewReport(f.Report, w, now, langOf(c)), "duplicates": dups})
}

// decodePoint decodes a GeoJSON Point with valid lon/lat.
func decodePoint(raw json.RawMessage, field string) (orb.Point, error) {
	g, err := geo.DecodeGeometry(raw)
	if err != nil {
		var fe *geo.FieldError
		if errors.As(err, &fe) {
			return orb.Point{}, fieldProblem(false, &geo.FieldError{Field: field, Detail: fe.Detail, Format: fe.Format, Args: fe.Args})
		}
		return orb.Point{}, badRequestf(field, "%v", err)
	}
	p, ok := g.(orb.Point)
	if !ok {
		return orb.Point{}, badRequestf(field, "a report is pinned with a GeoJSON Point, not a %s", g.GeoJSONType())
	}
	return p, nil
}

func (h *reportHandlers) get(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	w := who(c)
	ctx := c.Request().Context()
	r, err := h.rs.Report(ctx, w, id)
	if err != nil {
		return err
	}
	photos, err := h.rs.Photos(ctx, w, r.ID)
	if err != nil {
		return err
	}
	v := viewReport(r, w, time.Now(), langOf(c))
	v.Photos = make([]photoView, 0, len(photos))
	for _, p := range photos {
		v.Photos = append(v.Photos, viewPhoto(p))
	}
	return c.JSON(http.StatusOK, v)
}

func (h *reportHandlers) history(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ev, err := h.rs.History(c.Request().Context(), who(c), id)
	if err != nil {
		return err
	}
	l := langOf(c)
	for i := range ev {
		ev[i].Note = ev[i].NoteIn(l) // the server's notes in the reader's language; people's as they wrote them
		if _, ok := ev[i].Details[domain.NoteParts]; ok {
			ev[i].Details = maps.Clone(ev[i].Details)
			delete(ev[i].Details, domain.NoteParts)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": ev})
}

type transitionIn struct {
	Action      string   `json:"action"`
	Note        string   `json:"note"`
	UnitID      *int64   `json:"unit_id"`
	PhotoID     *int64   `json:"photo_id"`
	DuplicateOf *int64   `json:"duplicate_of"`
	Hours       *float64 `json:"hours"`
}

func (h *reportHandlers) transition(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in transitionIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Action == "" {
		return badRequest("action", "action is required: one of dispatch, accept, resolve, verify, rework, reopen, return, extend, void, duplicate")
	}
	w := who(c)
	r, ev, err := h.rs.Transition(c.Request().Context(), w, id, domain.Move{Action: in.Action, Note: in.Note,
		UnitID: in.UnitID, PhotoID: in.PhotoID, DuplicateOf: in.DuplicateOf, Hours: in.Hours})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"report": viewReport(r, w, time.Now(), langOf(c)), "event": ev})
}

// Lists are paged newest first; the cursor is the id of the last report of the previous page.
const (
	reportPageDefault = 100
	reportPageMax     = 1000
)

func (h *reportHandlers) list(c echo.Context) error {
	f, err := reportFilter(c)
	if err != nil {
		return err
	}
	w := who(c)
	if c.QueryParam("mine") == "1" || c.QueryParam("mine") == "true" {
		f.ReporterID = &w.ID
	}
	switch format := c.QueryParam("format"); format {
	case "", "geojson":
	case "xlsx":
		return h.listXLSX(c, w, f)
	default:
		return badRequestf("format", "format %q is not geojson or xlsx", truncateParam(format))
	}
	rs, err := h.rs.List(c.Request().Context(), w, f)
	if err != nil {
		return err
	}
	fc := newFC(len(rs))
	now := time.Now()
	for _, r := range rs {
		fc.Features = append(fc.Features, reportFeature(r, w, now, langOf(c)))
	}
	if len(rs) == f.Limit {
		fc.Links = append(fc.Links, nextLink(c, strconv.FormatInt(rs[len(rs)-1].ID, 10)))
	}
	return geoJSON(c, http.StatusOK, fc)
}

// reportExportMax bounds one spreadsheet of cases (a county's year is well below it).
const reportExportMax = 100_000

// listXLSX writes every report the filter selects (all pages, newest first, at most reportExportMax) as a sheet.
func (h *reportHandlers) listXLSX(c echo.Context, w domain.Principal, f domain.ReportFilter) error {
	f.Limit = reportPageMax
	var all []domain.Report
	for len(all) < reportExportMax {
		rs, err := h.rs.List(domain.LagTolerant(c.Request().Context()), w, f) // a download: the replica will do
		if err != nil {
			return err
		}
		all = append(all, rs...)
		if len(rs) < f.Limit {
			break
		}
		f.Before = rs[len(rs)-1].ID
	}
	now := time.Now()
	return sendXLSX(c, xlsxName("cases", now), reportsSheet(all, langOf(c), now))
}

// reportFilter parses the list's query parameters.
func reportFilter(c echo.Context) (domain.ReportFilter, error) {
	var f domain.ReportFilter
	if s := c.QueryParam("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			st = strings.TrimSpace(st)
			if !workflow.ValidStatus(st) {
				return f, badRequestf("status", "unknown status %q; statuses are %s", st, statusNames())
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	f.Category = c.QueryParam("category")
	if s := c.QueryParam("unit_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, badRequest("unit_id", "unit_id must be a positive integer")
		}
		f.UnitID = &id
	}
	bbox, err := bboxParam(c)
	if err != nil {
		return f, err
	}
	f.BBox = bbox
	switch c.QueryParam("overdue") {
	case "":
	case "1", "true":
		t := true
		f.Overdue = &t
	case "0", "false":
		t := false
		f.Overdue = &t
	default:
		return f, badRequest("overdue", "overdue must be 1/true or 0/false")
	}
	if f.Since, err = timeParam(c, "since"); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(c, "until"); err != nil {
		return f, err
	}
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		return f, badRequest("until", "until must be after since")
	}
	f.Q = c.QueryParam("q")
	if len(f.Q) > 200 {
		return f, badRequest("q", "q is at most 200 characters")
	}
	if f.Limit, err = intParam(c, "limit", reportPageDefault, 1, reportPageMax); err != nil {
		return f, err
	}
	if s := c.QueryParam("cursor"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, badRequest("cursor", "cursor must be the value from a next link")
		}
		f.Before = id
	}
	return f, nil
}

func statusNames() string { return strings.Join(vocab.Strings(vocab.Statuses), ", ") }
