package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/store"
	"everymeter/vocab"
	"everymeter/workflow"
)

// OwnerResult is who owns a point, as the coverage engine's owner lookup answers it (adapted in server wiring so
// that this package does not depend on the engine).
type OwnerResult struct {
	AssetID   *int64
	AssetName string
	AssetKind string
	MeasureM  *float64
	DistanceM *float64
	Units     []OwnerUnit // lead owners; empty on a gap
	Person    string
	Phone     string
	DecidedBy string // nearest_meter, zone or none
	Reason    i18n.Msgs
	Ambiguous bool
}

// OwnerUnit is one owning unit of an OwnerResult.
type OwnerUnit struct {
	ID   int64
	Code string
	Name string
}

// ErrNoOwner is returned by a Locator when nothing mapped is near the point.
var ErrNoOwner = errors.New("service: nothing mapped near this point")

// Locator finds the owner of a point: the nearest meter of road or the containing lead zone.
type Locator interface {
	Owner(ctx context.Context, st *store.Store, p orb.Point, at *time.Time) (OwnerResult, error)
}

// NoLocator finds nothing (reports then fall back to the category's default unit).
type NoLocator struct{}

// Owner always answers ErrNoOwner.
func (NoLocator) Owner(context.Context, *store.Store, orb.Point, *time.Time) (OwnerResult, error) {
	return OwnerResult{}, ErrNoOwner
}

// Reports runs the report loop: filing with routing, transitions, photos and visibility.
type Reports struct {
	Store  *store.Store
	Locate Locator
	Log    *slog.Logger
	// DataDir holds photo files under photos/.
	DataDir string
	// Now is the clock (tests may pin it); nil means time.Now.
	Now func() time.Time
	// PartRadiusM is how far a 部件 may be from a report of its kind for its owner to get it (0: DefaultPartRadiusM).
	PartRadiusM float64
	// cats remembers the categories reports were filed under (see categoryCache).
	cats categoryCache
}

// NewReports wires the report service; loc may be nil.
func NewReports(st *store.Store, loc Locator, dataDir string, log *slog.Logger) *Reports {
	if loc == nil {
		loc = NoLocator{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Reports{Store: st, Locate: loc, Log: log, DataDir: dataDir}
}

func (s *Reports) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Who is the principal acting on reports (kept as the report loop's name for it).
type Who = domain.Principal

func actorOf(w Who) workflow.Actor { return workflow.Actor{ID: w.ID, Role: w.Role, UnitID: w.UnitID} }

func auditOf(w Who) store.Actor { return store.Actor{ID: w.ID, Name: w.Name} }

func idPtr(w Who) *int64 {
	if w.ID == 0 {
		return nil
	}
	id := w.ID
	return &id
}

// CanSee reports whether who may see a report, by the visibility policy's cases entry.
func CanSee(w Who, r store.Report) bool {
	v, err := view(w, Cases)
	return err == nil && v.sees(r.UnitID)
}

// Report returns a report who may see; others get store.ErrNotFound (not even its existence leaks).
func (s *Reports) Report(ctx context.Context, who Who, id int64) (store.Report, error) {
	v, err := view(who, Cases)
	if err != nil {
		return store.Report{}, err
	}
	r, err := s.Store.Report(ctx, id)
	if err != nil {
		return r, err
	}
	if !v.sees(r.UnitID) {
		return store.Report{}, store.ErrNotFound
	}
	if err := s.redact(who, &r); err != nil {
		return store.Report{}, err
	}
	return r, nil
}

// redact blanks who filed a report for a principal the policy's reporters entry denies it.
func (s *Reports) redact(who Who, rs ...*store.Report) error {
	v, err := view(who, Reporters)
	if err != nil || !v.Denied {
		return err
	}
	for _, r := range rs {
		r.ReporterID, r.IdempotencyKey = nil, nil
	}
	return nil
}

// List lists reports; the visibility policy limits the query to the unit a principal may see.
func (s *Reports) List(ctx context.Context, who Who, f store.ReportFilter) ([]store.Report, error) {
	v, err := view(who, Cases)
	if err != nil {
		return nil, err
	}
	unit, ok := v.narrow(f.UnitID)
	if !ok {
		return []store.Report{}, nil
	}
	f.UnitID = unit
	rs, err := readsFor(ctx, s.Store).Reports(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if err := s.redact(who, &rs[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// Photos lists the photos of a report who may see.
func (s *Reports) Photos(ctx context.Context, who Who, reportID int64) ([]store.Photo, error) {
	if _, err := s.Report(ctx, who, reportID); err != nil {
		return nil, err
	}
	return s.Store.PhotosOf(ctx, reportID)
}

// Photo returns a photo of a report who may see, and the path of its file (or its thumbnail's).
func (s *Reports) Photo(ctx context.Context, who Who, id int64, thumb bool) (store.Photo, string, error) {
	p, err := s.Store.Photo(ctx, id)
	if err != nil {
		return p, "", err
	}
	if _, err := s.Report(ctx, who, p.ReportID); err != nil {
		return store.Photo{}, "", err
	}
	return p, s.PhotoPath(p.SHA256, thumb), nil
}

// History returns the recorded steps of a report who may see.
func (s *Reports) History(ctx context.Context, who Who, id int64) ([]store.ReportEvent, error) {
	if _, err := s.Report(ctx, who, id); err != nil {
		return nil, err
	}
	ev, err := s.Store.ReportEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	if v, err := view(who, Reporters); err != nil {
		return nil, err
	} else if v.Denied {
		for i := range ev {
			if ev[i].Action == "create" { // the filing's actor is the reporter
				ev[i].ActorID, ev[i].Actor = nil, ""
			}
		}
	}
	return ev, nil
}

// NewReport is domain.NewReport (the definition moved to package domain).
type NewReport = domain.NewReport

// Filed is domain.Filed (the definition moved to package domain).
type Filed = domain.Filed

// Duplicate suggestions: open reports of the same category this close and this recent.
const (
	DuplicateRadiusM = 50
	DuplicateWindow  = 7 * 24 * time.Hour
	// maxAssetDistanceM is how far a pin may be from the asset it names.
	maxAssetDistanceM = 100
	// maxDuplicates is how many possible duplicates a filing returns at most.
	maxDuplicates = 20
)

// Urgencies of a report (vocab.Urgencies).
var Urgencies = vocab.Strings(vocab.Urgencies)

// File validates, routes and stores a new report, and returns possible duplicates. Routing follows the standard:
// 部件 (part) categories go to the asset's lead owner at the pin first, then the territory; 事件 (event) categories
// to the owner of the nearest meter or the containing lead zone first, then the category's default unit; when
// nothing is found the report waits in the dispatch queue. A found unit dispatches at once and starts the clock.
func (s *Reports) File(ctx context.Context, who Who, in NewReport) (Filed, error) {
	if in.Urgency == "" {
		in.Urgency = string(vocab.Normal)
	}
	if in.Source == "" {
		in.Source = string(vocab.FromApp)
	}
	var c checker
	c.check(in.Category != "", "category", "a category code is required (see GET /api/v1/categories)")
	c.check(contains(Urgencies, in.Urgency), "urgency", "urgency must be %s", either(Urgencies))
	c.check(utf8.RuneCountInString(in.Description) <= 4000, "description", "at most 4000 characters")
	c.check(utf8.RuneCountInString(in.Address) <= 500, "address", "at most 500 characters")
	c.check(utf8.RuneCountInString(in.IdempotencyKey) <= 200, "Idempotency-Key", "an Idempotency-Key has at most 200 characters")
	c.check(vocab.Source(in.Source).Valid(), "source", "unknown source")
	c.check(in.Point != nil || in.AssetID != nil, "geometry", "a GeoJSON Point (or an asset_id) is required")
	if in.Point != nil {
		p := *in.Point
		c.check(!math.IsNaN(p[0]) && !math.IsNaN(p[1]) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90,
			"geometry", "coordinates must be [lon, lat] with lon in [-180, 180] and lat in [-90, 90]")
	}
	if err := c.err(); err != nil {
		return Filed{}, err
	}
	var f Filed
	var err error
	// The category comes from the cache; the insert checks that it is still the version read, and when it is not
	// (an admin edited it meanwhile) the report is routed again with the category read afresh.
	for attempt := 0; attempt < 3; attempt++ {
		if f, err = s.file(ctx, who, in, attempt > 0); !errors.Is(err, store.ErrCategoryChanged) {
			break
		}
	}
	var ve *ValidationError
	if errors.As(err, &ve) && in.IdempotencyKey != "" && who.ID != 0 {
		// A retry of a report filed earlier answers with that report, even if its category or asset no longer takes
		// new ones.
		if r, err2 := s.Store.ReportByIdempotencyKey(ctx, who.ID, in.IdempotencyKey); err2 == nil {
			return s.filed(ctx, r, false)
		} else if !errors.Is(err2, store.ErrNotFound) {
			return Filed{}, err2
		}
	}
	return f, err
}

// file routes and stores a validated report in one statement that also finds its possible duplicates; fresh reads
// the category from the database rather than the cache. A retry under an Idempotency-Key already used is routed
// again (cheaper than asking first on every filing, since retries are rare) and answered with the earlier report.
func (s *Reports) file(ctx context.Context, who Who, in NewReport, fresh bool) (Filed, error) {
	cat, version, err := s.category(ctx, in.Category, fresh)
	if errors.Is(err, store.ErrNotFound) {
		return Filed{}, invalid("category", "no category with code %q (see GET /api/v1/categories)", in.Category)
	} else if err != nil {
		return Filed{}, err
	}
	if !cat.Active {
		return Filed{}, invalid("category", "category %s (%s) is no longer in use", cat.Code, cat.NameZh)
	}
	var asset *store.Asset
	if in.AssetID != nil {
		a, err := s.Store.Asset(ctx, *in.AssetID)
		if errors.Is(err, store.ErrNotFound) {
			return Filed{}, invalid("asset_id", "no asset with id %d", *in.AssetID)
		} else if err != nil {
			return Filed{}, err
		}
		asset = &a
	}
	p, measure, err := pinOn(in.Point, asset)
	if err != nil {
		return Filed{}, err
	}
	r := store.Report{
		CategoryCode: cat.Code, Description: in.Description, Address: in.Address, Urgency: in.Urgency,
		Status: string(workflow.Reported), Geom: p, AssetID: in.AssetID, MeasureM: measure, ReporterID: idPtr(who),
		Source: in.Source, SourceID: in.SourceID,
	}
	if in.IdempotencyKey != "" {
		k := in.IdempotencyKey
		r.IdempotencyKey = &k
	}
	links, err := s.route(ctx, &r, cat, asset)
	if err != nil {
		return Filed{}, err
	}
	now := s.now()
	if s.Now != nil {
		// A pinned clock (the demo's back-dated county life, tests) files the report at its time, not the database's.
		r.CreatedAt, r.UpdatedAt = now, now
	}
	if r.UnitID != nil {
		limit := cat.LimitHours(r.Urgency)
		dl := now.Add(hours(limit))
		if in.Deadline != nil {
			dl, limit = in.Deadline.UTC(), in.Deadline.Sub(now).Hours()
		}
		r.Status = string(workflow.Dispatched)
		r.DispatchedAt = &now
		r.Deadline, r.TimeLimitHours = &dl, &limit
	}
	// The report, its first steps and the duplicate search go in one statement: atomic without a transaction's
	// extra round trips.
	events := []store.ReportEvent{{At: now, ActorID: idPtr(who), Actor: who.Name, Action: string(vocab.Create),
		ToStatus: string(workflow.Reported), Note: r.RoutingReason, Details: withLinks(map[string]any{"source": r.Source}, links)}}
	if len(r.RoutingReasonParts) > 0 {
		events[0].SetNote(r.RoutingReasonParts...)
	}
	if r.UnitID != nil {
		d := store.ReportEvent{At: now, ActorID: idPtr(who), Actor: who.Name, Action: string(vocab.Dispatch),
			FromStatus: string(workflow.Reported), ToStatus: r.Status, Note: "routed automatically: " + r.RoutingReason,
			UnitID: r.UnitID, Details: withLinks(map[string]any{"decided_by": r.DecidedBy, "deadline": r.Deadline}, links)}
		if len(r.RoutingReasonParts) > 0 {
			d.SetNote(append([]i18n.Msg{i18n.M("routed automatically")}, r.RoutingReasonParts...)...)
		}
		events = append(events, d)
	}
	dup := store.DuplicateQuery{RadiusM: DuplicateRadiusM, Window: DuplicateWindow, Limit: maxDuplicates}
	res, err := s.Store.FileReport(ctx, r, version, dup, events...)
	if err != nil {
		return Filed{}, err
	}
	if res.Created {
		s.Store.Changed(change.Report, res.Report.ID, res.Report.Geom) // one statement, committed: published now
	}
	return Filed{Report: res.Report, Created: res.Created, Duplicates: res.Duplicates}, nil
}

func (s *Reports) filed(ctx context.Context, r store.Report, created bool) (Filed, error) {
	dups, err := s.Store.NearbyOpenReports(ctx, r.CategoryCode, r.Geom, DuplicateRadiusM, r.CreatedAt.Add(-DuplicateWindow), r.ID, maxDuplicates)
	if err != nil {
		return Filed{}, err
	}
	return Filed{Report: r, Created: created, Duplicates: dups}, nil
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// pinOn checks the pin against the named asset (within maxAssetDistanceM) and returns the pin, or a point on the
// asset when no pin was given, with the pin's measure along a linear asset.
func pinOn(pin *orb.Point, asset *store.Asset) (orb.Point, *float64, error) {
	if asset == nil {
		return *pin, nil, nil
	}
	line, err := geo.NewLine(asset.Geom)
	if err != nil { // areal asset
		if pin != nil {
			return *pin, nil, nil
		}
		switch g := asset.Geom.(type) {
		case orb.Polygon, orb.MultiPolygon:
			c, _ := planar.CentroidArea(g)
			return c, nil, nil
		}
		return asset.Geom.Bound().Center(), nil, nil
	}
	if pin == nil {
		m := line.Length() / 2
		return line.PointAt(m), &m, nil
	}
	m, d := line.Locate(*pin)
	if d > maxAssetDistanceM {
		return orb.Point{}, nil, invalid("geometry", "the pin is %.0f m from asset %d (%s); pin within %d m of it or leave asset_id out",
			d, asset.ID, asset.Name, maxAssetDistanceM)
	}
	return *pin, &m, nil
}

// route decides the unit of a new report and writes the decision and its reason into r; it returns the objects
// the decision rests on (a 部件, a shop and its agreement) for the filing's steps.
func (s *Reports) route(ctx context.Context, r *store.Report, cat store.Category, asset *store.Asset) (links, error) {
	var noPart i18n.Msgs
	if vocab.CategoryType(cat.Type) == vocab.PartType {
		if l, ok, err := s.routeToPart(ctx, r, cat); err != nil || ok {
			return l, err
		}
		noPart = r.RoutingReasonParts
	}
	if err := s.routeTerritory(ctx, r, cat, asset); err != nil {
		return nil, err
	}
	if len(noPart) > 0 {
		r.SetReason(slices.Concat(noPart, r.RoutingReasonParts)...)
	}
	if vocab.CategoryType(cat.Type) == vocab.EventType {
		return s.atFrontage(ctx, r)
	}
	return nil, nil
}

// routeTerritory routes by the asset's owner at the pin (部件 naming an asset), then by territory: the nearest
// meter or the lead zone, then the category's default unit. The reason is kept in its parts (i18n.Msgs) so it
// renders in the reader's language; each step is one message.
func (s *Reports) routeTerritory(ctx context.Context, r *store.Report, cat store.Category, asset *store.Asset) error {
	var steps i18n.Msgs
	if vocab.CategoryType(cat.Type) == vocab.PartType && asset != nil {
		m := 0.0
		if r.MeasureM != nil {
			m = *r.MeasureM
		}
		units, err := s.Store.AssetLeadUnitsAt(ctx, asset.ID, m)
		if err != nil {
			return err
		}
		if len(units) > 0 {
			r.UnitID, r.DecidedBy = &units[0].ID, "asset"
			reason := assetWhere(*asset, r.MeasureM, "部件 on %s, owned by %s", "部件 on %s at %s m, owned by %s", unitNames(units))
			r.SetReason(append(i18n.Msgs{reason}, overlap(len(units), units[0].Name)...)...)
			return nil
		}
		steps = append(steps, assetWhere(*asset, r.MeasureM, "部件 on %s: the asset has no owner there", "部件 on %s at %s m: the asset has no owner there"))
	}
	o, err := s.Locate.Owner(ctx, s.Store, r.Geom, nil)
	switch {
	case errors.Is(err, ErrNoOwner):
		if len(o.Reason) > 0 {
			steps = append(steps, o.Reason...)
		} else {
			steps = append(steps, i18n.M("nothing mapped near the pin"))
		}
	case err != nil:
		return err
	case len(o.Units) > 0:
		r.UnitID, r.DecidedBy = &o.Units[0].ID, o.DecidedBy
		if r.DecidedBy == "" {
			r.DecidedBy = "nearest_meter"
		}
		reason := o.Reason
		if len(reason) == 0 {
			reason = i18n.Msgs{i18n.M("owned by %s", ownerNames(o.Units))}
		}
		if r.AssetID == nil && o.AssetID != nil && o.MeasureM != nil {
			r.AssetID, r.MeasureM = o.AssetID, o.MeasureM
		}
		r.SetReason(slices.Concat(steps, reason, overlap(len(o.Units), o.Units[0].Name))...)
		return nil
	default:
		switch {
		case len(o.Reason) > 0:
			// The lookup's reason names the gap ("which has no lead unit (a gap)").
			steps = append(steps, o.Reason...)
		case o.AssetName != "" && o.MeasureM != nil:
			steps = append(steps, i18n.M("on a gap of %s at %s m: no owner", o.AssetName, strconv.FormatFloat(*o.MeasureM, 'f', 0, 64)))
		default:
			steps = append(steps, i18n.M("no owner at the pin"))
		}
		if r.AssetID == nil && o.AssetID != nil && o.MeasureM != nil {
			r.AssetID, r.MeasureM = o.AssetID, o.MeasureM
		}
	}
	if cat.DefaultUnitID != nil {
		r.UnitID, r.DecidedBy = cat.DefaultUnitID, "category_default"
		steps = append(steps, i18n.M("default unit of the category %s", cat.DefaultUnitName))
	} else {
		r.DecidedBy = "none"
		steps = append(steps, i18n.M("the category has no default unit; left in the dispatch queue"))
	}
	r.SetReason(steps...)
	return nil
}

// overlap is the step saying which of several owners got the report (none for one owner).
func overlap(owners int, first string) i18n.Msgs {
	if owners < 2 {
		return nil
	}
	return i18n.Msgs{i18n.M("overlap: sent to %s", first)}
}

// assetWhere fills one of two formats with the asset's name (and the meter when known), then the rest.
func assetWhere(a store.Asset, m *float64, bare, atMeter string, rest ...string) i18n.Msg {
	name := a.Name
	if name == "" {
		name = fmt.Sprintf("%s #%d", a.Kind, a.ID)
	}
	if m != nil {
		return i18n.M(atMeter, append([]string{name, strconv.FormatFloat(*m, 'f', 0, 64)}, rest...)...)
	}
	return i18n.M(bare, append([]string{name}, rest...)...)
}

func unitNames(us []store.Unit) string {
	n := make([]string, len(us))
	for i, u := range us {
		n[i] = u.Name
	}
	return strings.Join(n, "、")
}

func ownerNames(us []OwnerUnit) string {
	n := make([]string, len(us))
	for i, u := range us {
		n[i] = u.Name
	}
	return strings.Join(n, "、")
}

// Move is domain.Move (the definition moved to package domain).
type Move = domain.Move

// MaxExtendHours bounds one extension.
const MaxExtendHours = 720

// Transition applies one step of the loop to a report, records it, and returns the report after it. Refusals are
// *workflow.Error (409 illegal in this status, 403 not for this user) or validation errors.
func (s *Reports) Transition(ctx context.Context, who Who, id int64, mv Move) (store.Report, store.ReportEvent, error) {
	if !workflow.ValidAction(mv.Action) {
		return store.Report{}, store.ReportEvent{}, invalid("action", "unknown action %q; actions are %s", mv.Action, actionNames())
	}
	if utf8.RuneCountInString(mv.Note) > 4000 {
		return store.Report{}, store.ReportEvent{}, invalid("note", "at most 4000 characters")
	}
	var out store.Report
	var ev store.ReportEvent
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		r, err := tx.ReportForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !CanSee(who, r) {
			// Another unit's report: refuse without telling its status.
			return &workflow.Error{Kind: workflow.ErrForbidden, Action: workflow.Action(mv.Action),
				Detail: "only staff of the unit holding the report may act on it"}
		}
		from := workflow.Status(r.Status)
		to, err := workflow.Decide(workflow.Report{Status: from, UnitID: r.UnitID, ResolverID: r.ResolverID}, workflow.Action(mv.Action), actorOf(who))
		if err != nil {
			return err
		}
		now := s.now()
		ev = store.ReportEvent{ReportID: r.ID, At: now, ActorID: idPtr(who), Actor: who.Name, Action: mv.Action,
			FromStatus: string(from), ToStatus: string(to), Note: mv.Note, Details: map[string]any{}}
		if err := s.apply(ctx, tx, &r, to, mv, who, now, &ev); err != nil {
			return err
		}
		if to == workflow.Dispatched && r.UnitID == nil {
			// A reopened report that never had a unit (an import) waits in the dispatch queue instead.
			to = workflow.Reported
			r.DispatchedAt, r.Deadline, r.TimeLimitHours = nil, nil, nil
			ev.ToStatus = string(to)
		}
		r.Status = string(to)
		ev.UnitID = r.UnitID
		if out, err = tx.UpdateReportState(ctx, r); err != nil {
			return err
		}
		if ev, err = tx.AddReportEvent(ctx, ev); err != nil {
			return err
		}
		ev.UnitName = out.UnitName
		tx.Changed(change.Report, out.ID, r.Geom, out.Geom)
		return nil
	})
	if err == nil {
		err = s.redact(who, &out)
	}
	return out, ev, err
}

// apply makes the changes an allowed step implies, beyond the status.
func (s *Reports) apply(ctx context.Context, tx *store.Store, r *store.Report, to workflow.Status, mv Move, who Who, now time.Time, ev *store.ReportEvent) error {
	limitOf := func() (float64, error) {
		cat, err := tx.Category(ctx, r.CategoryCode)
		if err != nil {
			return 0, err
		}
		return cat.LimitHours(r.Urgency), nil
	}
	startClock := func() error {
		limit, err := limitOf()
		if err != nil {
			return err
		}
		dl := now.Add(hours(limit))
		r.DispatchedAt, r.Deadline, r.TimeLimitHours = &now, &dl, &limit
		r.AcceptedAt, r.ResolvedAt, r.ClosedAt = nil, nil, nil
		ev.Details["deadline"] = dl
		return nil
	}
	switch workflow.Action(mv.Action) {
	case workflow.Dispatch:
		if mv.UnitID == nil {
			return invalid("unit_id", "dispatch needs the unit_id of the unit to send the report to")
		}
		u, err := tx.Unit(ctx, *mv.UnitID)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("unit_id", "no unit with id %d", *mv.UnitID)
		} else if err != nil {
			return err
		}
		if r.UnitID != nil && *r.UnitID != u.ID {
			ev.Details["rerouted_from"] = *r.UnitID
		}
		r.UnitID, r.DecidedBy = &u.ID, "manual"
		r.SetReason(i18n.M("dispatched to %s by %s", u.Name, who.Name))
		if mv.Note != "" {
			r.SetReason(i18n.M("dispatched to %s by %s: %s", u.Name, who.Name, mv.Note))
		}
		return startClock()
	case workflow.Accept:
		r.AcceptedAt = &now
	case workflow.Resolve:
		if mv.PhotoID == nil {
			return invalid("photo_id", "resolving needs an after photo: upload it (POST /api/v1/reports/{id}/photos) and send its photo_id")
		}
		p, err := tx.Photo(ctx, *mv.PhotoID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && p.ReportID != r.ID) {
			return invalid("photo_id", "photo %d is not attached to report %d", *mv.PhotoID, r.ID)
		} else if err != nil {
			return err
		}
		ev.PhotoID = &p.ID
		r.ResolverID, r.ResolvedAt = idPtr(who), &now
	case workflow.Verify:
		r.VerifierID, r.ClosedAt = idPtr(who), &now
	case workflow.SendForRework:
		r.ReworkCount++
		r.VerifierID, r.ResolvedAt = idPtr(who), nil
		ev.Details["rework_count"] = r.ReworkCount
	case workflow.Reopen:
		r.ReopenCount++
		r.ResolverID, r.VerifierID = nil, nil
		ev.Details["reopen_count"] = r.ReopenCount
		return startClock()
	case workflow.Return:
		r.ReturnCount++
		ev.Details["returned_by_unit"] = *r.UnitID
		r.UnitID, r.Deadline, r.DispatchedAt, r.TimeLimitHours, r.AcceptedAt = nil, nil, nil, nil, nil
		r.DecidedBy = "none"
		r.SetReason(i18n.M("returned as not ours by %s; waiting for the dispatcher", who.Name))
		if mv.Note != "" {
			r.SetReason(i18n.M("returned as not ours by %s; waiting for the dispatcher: %s", who.Name, mv.Note))
		}
	case workflow.Extend:
		h := 0.0
		if mv.Hours != nil {
			h = *mv.Hours
			if !(h > 0 && h <= MaxExtendHours) {
				return invalid("hours", "hours must be more than 0 and at most %d", MaxExtendHours)
			}
		} else {
			var err error
			if h, err = limitOf(); err != nil {
				return err
			}
		}
		r.ExtensionCount++
		base := now
		if r.Deadline != nil { // imported reports may run without one
			base = *r.Deadline
		}
		dl := base.Add(hours(h))
		total := h
		if r.TimeLimitHours != nil {
			total += *r.TimeLimitHours
		}
		r.Deadline, r.TimeLimitHours = &dl, &total
		ev.Details["hours"], ev.Details["deadline"], ev.Details["extension_count"] = h, dl, r.ExtensionCount
	case workflow.Void:
		// nothing beyond the status: the history keeps who and why
	case workflow.MarkDuplicate:
		if mv.DuplicateOf == nil {
			return invalid("duplicate_of", "marking a duplicate needs duplicate_of, the id of the earlier report")
		}
		if *mv.DuplicateOf == r.ID {
			return invalid("duplicate_of", "a report cannot duplicate itself")
		}
		orig, err := tx.Report(ctx, *mv.DuplicateOf)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("duplicate_of", "no report with id %d", *mv.DuplicateOf)
		} else if err != nil {
			return err
		}
		if vocab.Is(orig.Status, vocab.DiscardedStatuses) {
			return invalid("duplicate_of", "report %d is %s itself; link to the report it stands for", orig.ID, orig.Status)
		}
		r.DuplicateOf = &orig.ID
		ev.Details["duplicate_of"] = orig.ID
	}
	return nil
}

// CoverageLocator finds owners with a Coverage's owner lookup (the engine's, wired in package server).
type CoverageLocator struct{ Coverage Coverage }

// Owner asks the coverage and translates its answer.
func (l CoverageLocator) Owner(ctx context.Context, st *store.Store, p orb.Point, at *time.Time) (OwnerResult, error) {
	o, err := l.Coverage.Owner(ctx, st, p, at)
	res := OwnerResult{MeasureM: o.MeasureM, DistanceM: o.DistanceM, Person: o.Person, Phone: o.Phone,
		DecidedBy: o.DecidedBy, Reason: o.ReasonParts, Ambiguous: o.Ambiguous}
	if len(res.Reason) == 0 && o.Reason != "" {
		res.Reason = i18n.Msgs{i18n.M(o.Reason)}
	}
	if o.Asset != nil {
		id := o.Asset.ID
		res.AssetID, res.AssetName, res.AssetKind = &id, o.Asset.Name, o.Asset.Kind
	}
	for _, u := range o.Units {
		res.Units = append(res.Units, OwnerUnit{ID: u.ID, Code: u.Code, Name: u.Name})
	}
	if errors.Is(err, domain.ErrNoOwner) {
		return res, ErrNoOwner
	}
	return res, err
}
func actionNames() string { return strings.Join(vocab.Strings(vocab.Actions), ", ") }
