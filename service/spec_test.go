package service_test

// The report loop's rules as tables, called on the service itself (no HTTP): routing (部件先属主, 事件先属地, then the
// category's default unit), the side effects of each step of the loop, and the visibility policy. Each table reads
// as the rule it checks.

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
	"everymeter/workflow"
)

// town is a small mapped town: one road (0 → ~900 m eastwards) whose first 450 m unit Road leads, a lead zone of
// unit Zone away from the road, and unit Default, the default unit of the test categories.
type town struct {
	t                  *testing.T
	st                 *store.Store
	svc                *service.Service
	rs                 *service.Reports
	road               domain.Asset
	roadU, zoneU, defU domain.Unit
	inspector, admin   service.Who
	staffRoad, staffZo service.Who
	leader             service.Who
	now                time.Time
}

func newTown(t *testing.T) *town {
	st, _ := testdb.New(t)
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := server.Service(st, log)
	tw := &town{t: t, st: st, svc: svc, rs: server.ReportService(svc, log, server.Options{DataDir: t.TempDir()}),
		now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	tw.rs.Now = func() time.Time { return tw.now }
	sys := domain.Actor{Name: "test"}
	unit := func(code, name string) domain.Unit {
		u, err := svc.CreateUnit(ctx, sys, domain.Unit{Code: code, Name: name, Kind: "department"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tw.roadU, tw.zoneU, tw.defU = unit("ROAD", "道路队"), unit("ZONE", "片区队"), unit("DEF", "兜底队")
	as, err := svc.CreateAssets(ctx, sys, []domain.Asset{{Kind: "road", Name: "东西路",
		Geom: orb.LineString{{117.000, 36.000}, {117.010, 36.000}}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	tw.road = as[0]
	if _, err := svc.CreateAssignment(ctx, sys, domain.Assignment{AssetID: tw.road.ID, UnitID: tw.roadU.ID, FromM: 0, ToM: 450, Role: "lead"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateZone(ctx, sys, domain.Zone{Name: "片区", UnitID: tw.zoneU.ID, Role: "lead", Kind: "网格",
		Geom: orb.MultiPolygon{{{{117.020, 36.000}, {117.030, 36.000}, {117.030, 36.010}, {117.020, 36.010}, {117.020, 36.000}}}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []domain.Category{
		{Code: "SPEC-EV", NameZh: "事件", Group: "测试", Type: "event", DefaultUnitCode: "DEF", TimeLimitHours: 8, Active: true},
		{Code: "SPEC-PT", NameZh: "部件", Group: "测试", Type: "part", DefaultUnitCode: "DEF", TimeLimitHours: 24, Active: true},
		{Code: "SPEC-NO", NameZh: "无兜底", Group: "测试", Type: "event", TimeLimitHours: 8, Active: true},
	} {
		if _, err := svc.CreateCategory(ctx, sys, c); err != nil {
			t.Fatal(err)
		}
	}
	user := func(name, role string, unit *domain.Unit) service.Who {
		code := ""
		if unit != nil {
			code = unit.Code
		}
		u, err := svc.AddUser(ctx, name, role, code, "password-1")
		if err != nil {
			t.Fatal(err)
		}
		return service.Who{ID: u.ID, Name: u.Username, Role: u.Role, UnitID: u.UnitID}
	}
	tw.inspector, tw.admin, tw.leader = user("insp", "inspector", nil), user("adm", "admin", nil), user("lead", "leader", nil)
	tw.staffRoad, tw.staffZo = user("road1", "unit_staff", &tw.roadU), user("zone1", "unit_staff", &tw.zoneU)
	return tw
}

// file files a report as the inspector.
func (tw *town) file(category string, at orb.Point, asset *int64) domain.Report {
	tw.t.Helper()
	f, err := tw.rs.File(tw.t.Context(), tw.inspector, domain.NewReport{Point: &at, AssetID: asset, Category: category, Description: "spec"})
	if err != nil {
		tw.t.Fatal(err)
	}
	return f.Report
}

func TestRoutingSpec(t *testing.T) {
	tw := newTown(t)
	road := tw.road.ID
	onOwned, onGap := orb.Point{117.002, 36.0001}, orb.Point{117.008, 36.0001} // ~11 m north of the road
	inZone, nowhere := orb.Point{117.025, 36.005}, orb.Point{117.2, 36.2}
	for _, c := range []struct {
		name      string
		category  string
		at        orb.Point
		asset     *int64
		decidedBy string
		unit      *domain.Unit // nil: the dispatch queue
		status    string
		reason    []string // the stored reason names each of these
	}{
		{"部件 on an owned stretch goes to the asset's owner", "SPEC-PT", onOwned, &road, "asset", &tw.roadU, "dispatched", []string{"部件 on", "道路队"}},
		{"部件 on an unowned stretch falls to the spot, a gap, then the default unit", "SPEC-PT", onGap, &road, "category_default", &tw.defU, "dispatched",
			[]string{"the asset has no owner there", "gap", "default unit of the category 兜底队"}},
		{"事件 next to an owned stretch goes to the nearest meter's owner", "SPEC-EV", onOwned, nil, "nearest_meter", &tw.roadU, "dispatched", []string{"道路队"}},
		{"事件 inside a lead zone and far from streets goes to the zone's unit", "SPEC-EV", inZone, nil, "zone", &tw.zoneU, "dispatched", []string{"片区队"}},
		{"事件 next to a gap goes to the default unit, naming the gap", "SPEC-EV", onGap, nil, "category_default", &tw.defU, "dispatched", []string{"gap", "兜底队"}},
		{"事件 where nothing is mapped goes to the default unit", "SPEC-EV", nowhere, nil, "category_default", &tw.defU, "dispatched", []string{"default unit of the category"}},
		{"without a default unit it waits in the dispatch queue", "SPEC-NO", nowhere, nil, "none", nil, "reported", []string{"left in the dispatch queue"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := tw.file(c.category, c.at, c.asset)
			stored, err := tw.st.Report(t.Context(), r.ID) // what was written, not what was answered
			if err != nil {
				t.Fatal(err)
			}
			if stored.DecidedBy != c.decidedBy || stored.Status != c.status {
				t.Errorf("decided_by %q status %q, want %q %q (reason %q)", stored.DecidedBy, stored.Status, c.decidedBy, c.status, stored.RoutingReason)
			}
			switch {
			case c.unit == nil && stored.UnitID != nil:
				t.Errorf("routed to unit %d, want the dispatch queue", *stored.UnitID)
			case c.unit != nil && (stored.UnitID == nil || *stored.UnitID != c.unit.ID):
				t.Errorf("routed to %v, want %s (%d); reason %q", stored.UnitID, c.unit.Name, c.unit.ID, stored.RoutingReason)
			}
			for _, s := range c.reason {
				if !strings.Contains(stored.RoutingReason, s) {
					t.Errorf("reason %q does not name %q", stored.RoutingReason, s)
				}
			}
			// The history: the filing (its note the reason) and, when a unit was found, the automatic dispatch with
			// the decision and the deadline (the category's limit from now).
			ev, err := tw.st.ReportEvents(t.Context(), r.ID)
			if err != nil || len(ev) == 0 || ev[0].Action != "create" || ev[0].ToStatus != "reported" || ev[0].Note != stored.RoutingReason {
				t.Fatalf("first history row %+v (%v), want the filing with the reason", ev, err)
			}
			if c.unit == nil {
				if len(ev) != 1 {
					t.Errorf("%d history rows, want the filing only", len(ev))
				}
				return
			}
			if len(ev) != 2 || ev[1].Action != "dispatch" || ev[1].ToStatus != "dispatched" || ev[1].Details["decided_by"] != c.decidedBy ||
				ev[1].UnitID == nil || *ev[1].UnitID != c.unit.ID {
				t.Errorf("history %+v, want the filing and an automatic dispatch to %s decided by %s", ev, c.unit.Name, c.decidedBy)
			}
			limit := map[string]float64{"SPEC-EV": 8, "SPEC-PT": 24}[c.category]
			if stored.Deadline == nil || !stored.Deadline.Equal(tw.now.Add(time.Duration(limit*float64(time.Hour)))) || *stored.TimeLimitHours != limit {
				t.Errorf("deadline %v (limit %v h), want the category's %v h from the filing", stored.Deadline, *stored.TimeLimitHours, limit)
			}
		})
	}
}

// photo uploads a small PNG as who and returns its id.
func (tw *town) photo(who service.Who, reportID int64) int64 {
	tw.t.Helper()
	var b bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Pix[0] = byte(reportID)
	if err := png.Encode(&b, img); err != nil {
		tw.t.Fatal(err)
	}
	up, err := tw.rs.AddPhoto(tw.t.Context(), who, reportID, b.Bytes())
	if err != nil {
		tw.t.Fatal(err)
	}
	return up.Photo.ID
}

func TestLoopSpec(t *testing.T) {
	tw := newTown(t)
	t0 := tw.now
	r := tw.file("SPEC-EV", orb.Point{117.002, 36.0001}, nil) // to 道路队, 8 h
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	ptr := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		step     string
		after    time.Duration // the clock moves this far before the step
		who      service.Who
		move     domain.Move
		photo    bool      // attach an after photo (uploaded by who) as photo_id
		refusal  error     // the step is refused with this kind (and changes nothing)
		status   string    // then: the report's status
		deadline time.Time // its deadline (zero: none)
		check    func(r domain.Report) string
	}{
		{step: "staff of another unit may not accept", who: tw.staffZo, move: domain.Move{Action: "accept"}, refusal: workflow.ErrForbidden,
			status: "dispatched", deadline: h(8)},
		{step: "the holding unit accepts", after: time.Hour, who: tw.staffRoad, move: domain.Move{Action: "accept"}, status: "accepted", deadline: h(8),
			check: func(r domain.Report) string {
				return want(r.AcceptedAt != nil && r.AcceptedAt.Equal(h(1)), "accepted_at = the time of the step")
			}},
		{step: "an extension adds its hours to the deadline and the limit", who: tw.staffRoad, move: domain.Move{Action: "extend", Hours: ptr(4)},
			status: "accepted", deadline: h(12),
			check: func(r domain.Report) string {
				return want(r.ExtensionCount == 1 && *r.TimeLimitHours == 12, "extension_count 1, time limit 12 h")
			}},
		{step: "resolving needs an after photo", who: tw.staffRoad, move: domain.Move{Action: "resolve"}, refusal: geo.ErrInvalid,
			status: "accepted", deadline: h(12)},
		{step: "the holding unit resolves with a photo", after: time.Hour, who: tw.staffRoad, move: domain.Move{Action: "resolve"}, photo: true,
			status: "resolved", deadline: h(12),
			check: func(r domain.Report) string {
				return want(r.ResolverID != nil && *r.ResolverID == tw.staffRoad.ID && r.ResolvedAt.Equal(h(2)), "resolver and resolved_at recorded")
			}},
		{step: "the resolver may not verify its own work", who: tw.staffRoad, move: domain.Move{Action: "verify"}, refusal: workflow.ErrForbidden,
			status: "resolved", deadline: h(12)},
		{step: "an inspector sends it back for rework", who: tw.inspector, move: domain.Move{Action: "rework", Note: "still dirty"},
			status: "rework", deadline: h(12),
			check: func(r domain.Report) string {
				return want(r.ReworkCount == 1 && r.ResolvedAt == nil, "rework_count 1, resolved_at cleared")
			}},
		{step: "resolved again", after: time.Hour, who: tw.staffRoad, move: domain.Move{Action: "resolve"}, photo: true, status: "resolved", deadline: h(12)},
		{step: "an inspector verifies: closed", after: time.Hour, who: tw.inspector, move: domain.Move{Action: "verify"}, status: "closed", deadline: h(12),
			check: func(r domain.Report) string {
				return want(r.VerifierID != nil && *r.VerifierID == tw.inspector.ID && r.ClosedAt.Equal(h(4)), "verifier and closed_at recorded")
			}},
		{step: "reopening restarts the clock from now with the category's limit", after: time.Hour, who: tw.inspector, move: domain.Move{Action: "reopen"},
			status: "dispatched", deadline: h(5 + 8),
			check: func(r domain.Report) string {
				return want(r.ReopenCount == 1 && r.ResolverID == nil && r.VerifierID == nil && *r.TimeLimitHours == 8,
					"reopen_count 1, resolver and verifier cleared, limit 8 h")
			}},
		{step: "the unit returns it as not its own: back to the queue, clock stopped", who: tw.staffRoad, move: domain.Move{Action: "return", Note: "not ours"},
			status: "returned",
			check: func(r domain.Report) string {
				return want(r.UnitID == nil && r.DispatchedAt == nil && r.ReturnCount == 1 && r.DecidedBy == "none", "unit, clock cleared; return_count 1")
			}},
		{step: "the dispatcher sends it to another unit: clock from now", who: tw.admin, move: domain.Move{Action: "dispatch", UnitID: &tw.zoneU.ID},
			status: "dispatched", deadline: h(5 + 8),
			check: func(r domain.Report) string {
				return want(*r.UnitID == tw.zoneU.ID && r.DecidedBy == "manual", "unit 片区队, decided_by manual")
			}},
	} {
		t.Run(c.step, func(t *testing.T) {
			ctx := t.Context()
			tw.now = tw.now.Add(c.after)
			before, _ := tw.st.ReportEvents(ctx, r.ID)
			mv := c.move
			if c.photo {
				id := tw.photo(c.who, r.ID)
				before, _ = tw.st.ReportEvents(ctx, r.ID) // the upload is a history row of its own
				mv.PhotoID = &id
			}
			_, ev, err := tw.rs.Transition(ctx, c.who, r.ID, mv)
			if c.refusal != nil {
				if !errors.Is(err, c.refusal) {
					t.Fatalf("%s by %s: %v, want a refusal %v", mv.Action, c.who.Name, err, c.refusal)
				}
			} else if err != nil {
				t.Fatalf("%s by %s: %v", mv.Action, c.who.Name, err)
			}
			got, err := tw.st.Report(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != c.status {
				t.Errorf("status %s, want %s", got.Status, c.status)
			}
			switch {
			case c.deadline.IsZero() && got.Deadline != nil:
				t.Errorf("deadline %v, want none", got.Deadline)
			case !c.deadline.IsZero() && (got.Deadline == nil || !got.Deadline.Equal(c.deadline)):
				t.Errorf("deadline %v, want %v", got.Deadline, c.deadline)
			}
			after, _ := tw.st.ReportEvents(ctx, r.ID)
			if c.refusal != nil {
				if len(after) != len(before) {
					t.Errorf("a refused step wrote %d history rows", len(after)-len(before))
				}
				return
			}
			if len(after) != len(before)+1 {
				t.Fatalf("%d new history rows, want 1", len(after)-len(before))
			}
			last := after[len(after)-1]
			if last.ID != ev.ID || last.Action != mv.Action || last.ToStatus != c.status || last.ActorID == nil || *last.ActorID != c.who.ID || last.Note != mv.Note {
				t.Errorf("history row %+v, want %s → %s by %s with note %q", last, mv.Action, c.status, c.who.Name, mv.Note)
			}
			if c.check != nil {
				if msg := c.check(got); msg != "" {
					t.Errorf("%s: %+v", msg, got)
				}
			}
			r = got
		})
	}
}

// want returns msg when ok is false.
func want(ok bool, msg string) string {
	if ok {
		return ""
	}
	return "want " + msg
}

// TestVisibilitySpec is the visibility policy as a county decided it, and its effect on the service's reads.
func TestVisibilitySpec(t *testing.T) {
	all, unit, none := service.ScopeAll, service.ScopeUnit, service.ScopeNone
	for _, c := range []struct {
		role     string
		resource service.Resource
		scope    service.Scope
	}{
		{"unit_staff", service.Cases, unit},          // their own unit's cases only
		{"unit_staff", service.CaseAggregates, unit}, // heat, hotspots and trend of their own cases
		{"unit_staff", service.UnitStats, all},       // the league table: units see where they stand
		{"unit_staff", service.MapData, all},         // streets, zones, duty persons and phones (the sign board)
		{"leader", service.Cases, all},               // leaders read everything (and write nothing: route table)
		{"leader", service.CaseAggregates, all},
		{"inspector", service.Cases, all}, // inspectors verify across units
		{"planner", service.Cases, all},
		{"admin", service.Cases, all},
		{"anonymous", service.Cases, none}, // the public sees no case as a record …
		{"anonymous", service.MapData, none},
		{"anonymous", service.Published, all}, // … only what Open311 publishes
		{"unit_staff", service.Published, all},
		{"unit_staff", service.Reporters, none}, // who filed a case is private: the unit deals with the problem
		{"inspector", service.Reporters, all},
		{"leader", service.Reporters, all},
		{"anonymous", service.Reporters, none},
	} {
		got, err := service.ScopeOf(domain.Principal{Role: strings.TrimPrefix(c.role, "anonymous")}, c.resource)
		if err != nil || got != c.scope {
			t.Errorf("%s × %s = %v (%v), want %v", c.role, c.resource, got, err, c.scope)
		}
	}
	if _, err := service.ScopeOf(domain.Principal{Role: "patroller"}, service.Cases); err == nil {
		t.Error("a role without a row in the policy must be an error, not a default")
	}

	tw := newTown(t)
	ctx := t.Context()
	mine := tw.file("SPEC-EV", orb.Point{117.002, 36.0001}, nil)  // 道路队's
	theirs := tw.file("SPEC-EV", orb.Point{117.025, 36.005}, nil) // 片区队's
	staffNoUnit := service.Who{ID: tw.inspector.ID + 1000, Name: "x", Role: "unit_staff"}
	for _, c := range []struct {
		who      string
		p        service.Who
		sees     []int64 // in the list, in this order (newest first)
		notFound []int64 // by id
	}{
		{"unit staff see their unit's case only", tw.staffRoad, []int64{mine.ID}, []int64{theirs.ID}},
		{"… and the other unit's staff theirs", tw.staffZo, []int64{theirs.ID}, []int64{mine.ID}},
		{"unit staff without a unit see none", staffNoUnit, nil, []int64{mine.ID, theirs.ID}},
		{"leaders see both", tw.leader, []int64{theirs.ID, mine.ID}, nil},
		{"inspectors see both", tw.inspector, []int64{theirs.ID, mine.ID}, nil},
		{"the anonymous public sees none", domain.Anonymous, nil, []int64{mine.ID, theirs.ID}},
	} {
		t.Run(c.who, func(t *testing.T) {
			rs, err := tw.rs.List(ctx, c.p, domain.ReportFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			if !equal(ids, c.sees) {
				t.Errorf("list %v, want %v", ids, c.sees)
			}
			// Asking for the other unit by filter does not widen the view.
			if c.p.UnitID != nil {
				other := tw.zoneU.ID + tw.roadU.ID - *c.p.UnitID
				if rs, _ := tw.rs.List(ctx, c.p, domain.ReportFilter{UnitID: &other, Limit: 100}); len(rs) != 0 {
					t.Errorf("filtering by the other unit lists %d reports", len(rs))
				}
			}
			// Who filed a case the principal sees: shown to those the policy lets know it, blank for the others.
			knows := c.p.Role != "unit_staff"
			for _, r := range rs {
				if (r.ReporterID != nil) != knows {
					t.Errorf("report %d: reporter %v shown to %s", r.ID, r.ReporterID, c.p.Role)
				}
				ev, err := tw.rs.History(ctx, c.p, r.ID)
				if err != nil || len(ev) == 0 || ev[0].Action != "create" || (ev[0].Actor == tw.inspector.Name) != knows {
					t.Errorf("history of %d as %s: %+v (%v); the filing's actor shown: %v", r.ID, c.p.Role, ev, err, knows)
				}
			}
			for _, id := range c.notFound {
				if _, err := tw.rs.Report(ctx, c.p, id); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("report %d: %v, want not found", id, err)
				}
				if _, err := tw.rs.History(ctx, c.p, id); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("history of %d: %v, want not found", id, err)
				}
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
