// Package vocab is everymeter's one vocabulary: the report statuses and what each one means to the rest of the
// code, the workflow actions, the roles, unit kinds, zone roles, asset kinds, category types, urgencies and coverage
// statuses, each with its zh-CN and English label. Nothing else spells these values out: workflow keys its table
// with them, store passes the sets to SQL, service and handlers validate with them, the web app reads a generated
// copy (static/app/vocab.js) and a test holds the migrations' CHECK constraints to them. Pure, stdlib only.
//
// Adding a status is one row in the statuses table below plus a migration that widens the reports.status CHECK
// (and the partial indexes or trigger whose predicates name the set the new status joins).
package vocab

import "slices"

// Label is a value's name for people, in Chinese (the default) and in English.
type Label struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Status is where a report stands in the closed loop (数字城管 七个环节).
type Status string

// The statuses of the loop.
const (
	Reported   Status = "reported"   // filed, in the dispatch queue
	Dispatched Status = "dispatched" // sent to a unit; the clock runs
	Accepted   Status = "accepted"   // the unit took it
	Resolved   Status = "resolved"   // the unit reports it fixed (with an after photo)
	Closed     Status = "closed"     // verified on site and closed (核查结案)
	Rework     Status = "rework"     // sent back to the unit (返工)
	Returned   Status = "returned"   // the unit says not ours (回退): back in the dispatch queue
	Voided     Status = "voided"     // 作废
	Duplicate  Status = "duplicate"  // linked to another report
)

// StatusInfo is one status and what it means for queries, indicators and the user interface.
type StatusInfo struct {
	Status Status
	Label  Label
	// Open: someone still has to act (duplicate search, "outstanding" maps and layers, Open311 "open"). A status
	// that is not open is terminal: nothing happens to it any more except a reopen.
	Open bool
	// Running: a unit holds the report and its deadline clock runs (overdue now, the unit's queue).
	Running bool
	// Held: the report must name a unit (the reports CHECK on unit_id).
	Held bool
	// Handled: the unit's work is done, counted as handled (处置) and judged at the time it was resolved.
	Handled bool
	// Discarded: not a real problem (voided, folded into another report): not due, not a valid report.
	Discarded bool
}

// statuses is the table every status set derives from, in loop order.
var statuses = []StatusInfo{
	{Status: Reported, Label: Label{"已上报", "reported"}, Open: true},
	{Status: Dispatched, Label: Label{"已派遣", "dispatched"}, Open: true, Running: true, Held: true},
	{Status: Accepted, Label: Label{"已受理", "accepted"}, Open: true, Running: true, Held: true},
	{Status: Resolved, Label: Label{"已处置", "resolved"}, Open: true, Held: true, Handled: true},
	{Status: Closed, Label: Label{"已结案", "closed"}, Handled: true},
	{Status: Rework, Label: Label{"返工", "rework"}, Open: true, Running: true, Held: true},
	{Status: Returned, Label: Label{"已退回", "returned"}, Open: true},
	{Status: Voided, Label: Label{"已作废", "voided"}, Discarded: true},
	{Status: Duplicate, Label: Label{"重复", "duplicate"}, Discarded: true},
}

func statusesWhere(keep func(StatusInfo) bool) []Status {
	out := []Status{}
	for _, s := range statuses {
		if keep(s) {
			out = append(out, s.Status)
		}
	}
	return out
}

// The status sets the code asks about, in loop order.
var (
	// Statuses lists every status.
	Statuses = statusesWhere(func(StatusInfo) bool { return true })
	// OpenStatuses still need someone to act (the partial index reports_open_dup_idx has this predicate).
	OpenStatuses = statusesWhere(func(s StatusInfo) bool { return s.Open })
	// TerminalStatuses are the statuses a report ends in: every status not open.
	TerminalStatuses = statusesWhere(func(s StatusInfo) bool { return !s.Open })
	// RunningStatuses are held by a unit with the clock running (the partial index reports_deadline_idx).
	RunningStatuses = statusesWhere(func(s StatusInfo) bool { return s.Running })
	// HeldStatuses require a unit (the reports CHECK on unit_id).
	HeldStatuses = statusesWhere(func(s StatusInfo) bool { return s.Held })
	// HandledStatuses count as handled (处置) in the unit indicators.
	HandledStatuses = statusesWhere(func(s StatusInfo) bool { return s.Handled })
	// DiscardedStatuses are not counted as due (应处置) nor as valid reports.
	DiscardedStatuses = statusesWhere(func(s StatusInfo) bool { return s.Discarded })
)

// Info returns what the status means; ok is false for a value that is not a status.
func (s Status) Info() (StatusInfo, bool) {
	i := slices.IndexFunc(statuses, func(x StatusInfo) bool { return x.Status == s })
	if i < 0 {
		return StatusInfo{Status: s, Label: Label{string(s), string(s)}}, false
	}
	return statuses[i], true
}

// Valid reports whether s is a status of the loop.
func (s Status) Valid() bool { _, ok := s.Info(); return ok }

// Open reports whether someone still has to act on a report in status s.
func (s Status) Open() bool { i, _ := s.Info(); return i.Open }

// Terminal reports whether nothing more happens in status s except a reopen.
func (s Status) Terminal() bool { i, ok := s.Info(); return ok && !i.Open }

// Running reports whether the deadline clock runs in status s (a unit holds the report).
func (s Status) Running() bool { i, _ := s.Info(); return i.Running }

// Handled reports whether the unit's work is done in status s.
func (s Status) Handled() bool { i, _ := s.Info(); return i.Handled }

// Lit reports whether a report in status s shows a deadline traffic light: while its clock runs and, judged at
// the time it was resolved, once it is handled.
func (s Status) Lit() bool { i, _ := s.Info(); return i.Running || i.Handled }

// Label returns the status's name for people (the value itself when it is not a status).
func (s Status) Label() Label { i, _ := s.Info(); return i.Label }

// Action is a step someone takes on a report, or an event recorded in its history.
type Action string

// The actions of POST /api/v1/reports/{id}/transitions.
const (
	Dispatch      Action = "dispatch"  // send to a unit, or re-route to another (admin, acting as dispatcher)
	Accept        Action = "accept"    // the unit takes it
	Resolve       Action = "resolve"   // the unit reports it fixed
	Verify        Action = "verify"    // an inspector confirms the fix: closed
	SendForRework Action = "rework"    // an inspector sends it back to the unit (返工)
	Reopen        Action = "reopen"    // a closed problem came back (反弹)
	Return        Action = "return"    // the unit says it is not theirs (回退)
	Extend        Action = "extend"    // the unit takes more time (延时)
	Void          Action = "void"      // 作废
	MarkDuplicate Action = "duplicate" // link to an earlier report of the same problem
)

// Events of a report's history that are not workflow actions.
const (
	Create Action = "create" // the report was filed (or imported)
	Photo  Action = "photo"  // a photo was attached
)

// actions is every action with its label: the workflow's first, then the history-only events.
var actions = []struct {
	Action Action
	Label  Label
}{
	{Dispatch, Label{"派遣", "Dispatch"}},
	{Accept, Label{"受理", "Accept"}},
	{Resolve, Label{"处置完成", "Resolve"}},
	{Verify, Label{"核查通过", "Verify"}},
	{SendForRework, Label{"返工", "Rework"}},
	{Reopen, Label{"重新派遣（反弹）", "Reopen"}},
	{Return, Label{"退回（非本单位）", "Return (not ours)"}},
	{Extend, Label{"延时", "Extend"}},
	{Void, Label{"作废", "Void"}},
	{MarkDuplicate, Label{"标记重复", "Mark duplicate"}},
	{Create, Label{"上报", "Filed"}},
	{Photo, Label{"照片", "Photo"}},
}

var (
	// Actions lists the workflow's actions (POST …/transitions), in table order.
	Actions = []Action{Dispatch, Accept, Resolve, Verify, SendForRework, Reopen, Return, Extend, Void, MarkDuplicate}
	// EventActions lists every action a report event may record: the workflow's and the history-only ones.
	EventActions = func() []Action {
		out := make([]Action, len(actions))
		for i, a := range actions {
			out[i] = a.Action
		}
		return out
	}()
	// VerifyingActions are an inspector's verdict on a fix (the inspector indicators count them).
	VerifyingActions = []Action{Verify, SendForRework}
)

// Valid reports whether a is a workflow action.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// Label returns the action's name for people (the value itself when it is not an action).
func (a Action) Label() Label {
	for _, x := range actions {
		if x.Action == a {
			return x.Label
		}
	}
	return Label{string(a), string(a)}
}

// Role is what a user does (users.role).
type Role string

// The roles.
const (
	Admin     Role = "admin"      // everything, and dispatching
	Planner   Role = "planner"    // draws zones and assignments
	Inspector Role = "inspector"  // 监督员: files and verifies reports
	UnitStaff Role = "unit_staff" // works one unit's reports
	Leader    Role = "leader"     // sees everything, read-only
	Volunteer Role = "volunteer"  // 志愿者: records their walks and checks in at stretches, nothing else
)

var roles = []Valued[Role]{
	{Admin, Label{"管理员", "admin"}},
	{Planner, Label{"规划员", "planner"}},
	{Inspector, Label{"监督员", "inspector"}},
	{UnitStaff, Label{"单位人员", "unit staff"}},
	{Leader, Label{"领导", "leader"}},
	{Volunteer, Label{"志愿者", "volunteer"}},
}

var (
	// Roles lists every role.
	Roles = values(roles)
	// ReporterRoles may file reports (POST /api/v1/reports, and an Open311 API key).
	ReporterRoles = []Role{Inspector, Admin}
	// PhotographerRoles may attach photos to a report.
	PhotographerRoles = []Role{Inspector, Admin, UnitStaff}
	// PlannerRoles may edit zones, assignments and assets.
	PlannerRoles = []Role{Admin, Planner}
	// PatrolRoles may record patrols (POST /api/v1/patrols).
	PatrolRoles = []Role{Inspector, Admin, Volunteer}
	// PresenceRoles count as volunteer presence, never as inspection (GET /api/v1/patrols/presence).
	PresenceRoles = []Role{Volunteer}
	// StaffRoles are every role but the volunteers: what a route open to "any signed-in user" admits.
	StaffRoles = []Role{Admin, Planner, Inspector, UnitStaff, Leader}
)

// Valid reports whether r is a role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label returns the role's name for people.
func (r Role) Label() Label { return labelOf(roles, r) }

// UnitKind is what kind of responsible unit (责任单位) a unit is (units.kind).
type UnitKind string

// The unit kinds.
const (
	Department UnitKind = "department" // 县直部门
	Town       UnitKind = "town"       // 乡镇、街道
	Community  UnitKind = "community"  // 社区
	Team       UnitKind = "team"       // 作业队、网格队
)

var unitKinds = []Valued[UnitKind]{
	{Department, Label{"部门", "department"}},
	{Town, Label{"乡镇/街道", "town"}},
	{Community, Label{"社区", "community"}},
	{Team, Label{"队伍", "team"}},
}

// UnitKinds lists every unit kind.
var UnitKinds = values(unitKinds)

// Valid reports whether k is a unit kind.
func (k UnitKind) Valid() bool { return slices.Contains(UnitKinds, k) }

// Label returns the unit kind's name for people.
func (k UnitKind) Label() Label { return labelOf(unitKinds, k) }

// ZoneRole is the part a zone or an assignment gives its unit (zones.role, assignments.role).
type ZoneRole string

// The zone roles; only lead counts for ownership.
const (
	Lead    ZoneRole = "lead"    // 牵头
	Support ZoneRole = "support" // 配合
)

var zoneRoles = []Valued[ZoneRole]{
	{Lead, Label{"牵头", "Lead"}},
	{Support, Label{"配合", "Support"}},
}

// ZoneRoles lists every zone role.
var ZoneRoles = values(zoneRoles)

// Valid reports whether r is a zone role.
func (r ZoneRole) Valid() bool { return slices.Contains(ZoneRoles, r) }

// Label returns the zone role's name for people.
func (r ZoneRole) Label() Label { return labelOf(zoneRoles, r) }

// AssetKind is what an asset is (assets.kind).
type AssetKind string

// The asset kinds.
const (
	Road   AssetKind = "road"   // 道路
	Alley  AssetKind = "alley"  // 背街小巷
	Market AssetKind = "market" // 市场
	Park   AssetKind = "park"   // 公园、广场
)

// Shape is the geometry class an asset kind must have.
type Shape string

// The shapes: linear kinds take part in meter coverage, areal kinds in area coverage.
const (
	Linear Shape = "linear"
	Areal  Shape = "areal"
)

var assetKinds = []struct {
	Valued[AssetKind]
	Shape Shape
}{
	{Valued[AssetKind]{Road, Label{"道路", "road"}}, Linear},
	{Valued[AssetKind]{Alley, Label{"背街小巷", "alley"}}, Linear},
	{Valued[AssetKind]{Market, Label{"市场", "market"}}, Areal},
	{Valued[AssetKind]{Park, Label{"公园", "park"}}, Areal},
}

func kindsWhere(keep func(Shape) bool) []AssetKind {
	out := []AssetKind{}
	for _, k := range assetKinds {
		if keep(k.Shape) {
			out = append(out, k.Value)
		}
	}
	return out
}

var (
	// AssetKinds lists every asset kind, linear ones first.
	AssetKinds = kindsWhere(func(Shape) bool { return true })
	// LinearKinds are measured in meters, in display order.
	LinearKinds = kindsWhere(func(s Shape) bool { return s == Linear })
)

// Shape returns the geometry class the kind must have; ok is false for a value that is not an asset kind.
func (k AssetKind) Shape() (Shape, bool) {
	for _, x := range assetKinds {
		if x.Value == k {
			return x.Shape, true
		}
	}
	return "", false
}

// Valid reports whether k is an asset kind.
func (k AssetKind) Valid() bool { return slices.Contains(AssetKinds, k) }

// Label returns the asset kind's name for people.
func (k AssetKind) Label() Label {
	for _, x := range assetKinds {
		if x.Value == k {
			return x.Label
		}
	}
	return Label{string(k), string(k)}
}

// CategoryType says how a problem category routes (categories.type).
type CategoryType string

// The category types.
const (
	EventType CategoryType = "event" // 事件: territory first
	PartType  CategoryType = "part"  // 部件: the asset's owner first
)

var categoryTypes = []Valued[CategoryType]{
	{EventType, Label{"事件", "event"}},
	{PartType, Label{"部件", "part"}},
}

// CategoryTypes lists every category type.
var CategoryTypes = values(categoryTypes)

// Valid reports whether t is a category type.
func (t CategoryType) Valid() bool { return slices.Contains(CategoryTypes, t) }

// Label returns the category type's name for people.
func (t CategoryType) Label() Label { return labelOf(categoryTypes, t) }

// Urgency is how fast a report must be handled (reports.urgency).
type Urgency string

// The urgencies.
const (
	Normal Urgency = "normal"
	Urgent Urgency = "urgent" // the category's urgent time limit applies
)

var urgencies = []Valued[Urgency]{
	{Normal, Label{"普通", "Normal"}},
	{Urgent, Label{"紧急", "Urgent"}},
}

// Urgencies lists every urgency.
var Urgencies = values(urgencies)

// Valid reports whether u is an urgency.
func (u Urgency) Valid() bool { return slices.Contains(Urgencies, u) }

// Label returns the urgency's name for people.
func (u Urgency) Label() Label { return labelOf(urgencies, u) }

// Source is where a report came from (reports.source).
type Source string

// The report sources.
const (
	FromApp       Source = "app"        // the web app or the REST API
	FromOpen311   Source = "open311"    // POST /open311/v2/requests
	FromImport311 Source = "import311"  // the LA 311 importer
	FromEval      Source = "evaluation" // a failed item of an evaluation round (测评)
	FromFeedback  Source = "feedback"   // a row of the provincial feedback list (测评反馈)
	FromCitizen   Source = "citizen"    // a public report accepted from the moderation queue
)

var sources = []Valued[Source]{
	{FromApp, Label{"应用", "app"}},
	{FromOpen311, Label{"Open311 接口", "Open311"}},
	{FromImport311, Label{"311 导入", "311 import"}},
	{FromEval, Label{"模拟测评", "evaluation round"}},
	{FromFeedback, Label{"测评反馈", "evaluation feedback"}},
	{FromCitizen, Label{"市民随手拍", "citizen"}},
}

// Sources lists every report source.
var Sources = values(sources)

// Valid reports whether s is a report source.
func (s Source) Valid() bool { return slices.Contains(Sources, s) }

// Label returns the source's name for people.
func (s Source) Label() Label { return labelOf(sources, s) }

// Coverage is what a piece of road is by its number of lead owners (coverage_pieces.status).
type Coverage string

// The coverage statuses.
const (
	Gap     Coverage = "gap"     // no lead owner: a blind spot
	Covered Coverage = "covered" // exactly one lead owner
	Overlap Coverage = "overlap" // more than one lead owner
)

var coverages = []Valued[Coverage]{
	{Gap, Label{"空白", "Gap"}},
	{Covered, Label{"已覆盖", "Covered"}},
	{Overlap, Label{"重叠", "Overlap"}},
}

var (
	// Coverages lists every coverage status.
	Coverages = values(coverages)
	// OwnedCoverages have at least one lead owner (the meters a unit leads).
	OwnedCoverages = []Coverage{Covered, Overlap}
)

// CoverageOf names a piece by its number of lead owners.
func CoverageOf(owners int) Coverage {
	switch owners {
	case 0:
		return Gap
	case 1:
		return Covered
	}
	return Overlap
}

// Valid reports whether c is a coverage status.
func (c Coverage) Valid() bool { return slices.Contains(Coverages, c) }

// Label returns the coverage status's name for people.
func (c Coverage) Label() Label { return labelOf(coverages, c) }

// Valued is one value of a vocabulary with its label.
type Valued[T ~string] struct {
	Value T
	Label Label
}

func values[T ~string](vs []Valued[T]) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = v.Value
	}
	return out
}

func labelOf[T ~string](vs []Valued[T], v T) Label {
	for _, x := range vs {
		if x.Value == v {
			return x.Label
		}
	}
	return Label{string(v), string(v)}
}

// Strings converts a set to plain strings, for SQL parameters and the string-typed fields of store's rows.
func Strings[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// Is reports whether the plain string s is one of the set's values.
func Is[T ~string](s string, set []T) bool { return slices.Contains(set, T(s)) }

// Rating is a resident's satisfaction with a closed case (satisfaction.rating).
type Rating string

// The ratings (满意 / 基本满意 / 不满意); Unsatisfied sends the case back for re-check.
const (
	Satisfied   Rating = "satisfied"
	Basically   Rating = "basically"
	Unsatisfied Rating = "unsatisfied"
)

var ratings = []Valued[Rating]{
	{Satisfied, Label{"满意", "Satisfied"}},
	{Basically, Label{"基本满意", "Basically satisfied"}},
	{Unsatisfied, Label{"不满意", "Unsatisfied"}},
}

// Ratings lists every rating.
var Ratings = values(ratings)

// ContentRatings are the ratings counted as satisfied in 满意率.
var ContentRatings = []Rating{Satisfied, Basically}

// Valid reports whether r is a rating.
func (r Rating) Valid() bool { return slices.Contains(Ratings, r) }

// Label returns the rating's name for people.
func (r Rating) Label() Label { return labelOf(ratings, r) }

// BlockKind is what a block list entry blocks (public_blocks.kind).
type BlockKind string

// The block kinds.
const (
	BlockPhone  BlockKind = "phone"
	BlockDevice BlockKind = "device"
)

var blockKinds = []Valued[BlockKind]{
	{BlockPhone, Label{"手机号", "Phone"}},
	{BlockDevice, Label{"设备", "Device"}},
}

// BlockKinds lists every block kind.
var BlockKinds = values(blockKinds)

// Valid reports whether k is a block kind.
func (k BlockKind) Valid() bool { return slices.Contains(BlockKinds, k) }

// Label returns the block kind's name for people.
func (k BlockKind) Label() Label { return labelOf(blockKinds, k) }
