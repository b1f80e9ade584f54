package service

import (
	"fmt"

	"everymeter/domain"
)

// Resource is a kind of information the visibility policy decides on.
type Resource string

// The resources of the visibility policy. Every service read that can expose one of them asks the policy first.
const (
	// Cases are reports as records: the REST list, by id, history and photos, the OGC reports collection, the
	// reports tile layer and the briefing's overdue list and map.
	Cases Resource = "cases"
	// CaseAggregates are counts over reports that still place them: heat cells, hotspots, the trend.
	CaseAggregates Resource = "case_aggregates"
	// UnitStats is the league table of units and the inspectors' table: counts per unit or per inspector,
	// no report in it (units see where they stand).
	UnitStats Resource = "unit_stats"
	// MapData are units, assets, zones, assignments and coverage, with the duty person and phone of a unit or
	// an assignment: that is what the sign board at the street names, so every signed-in user sees it.
	MapData Resource = "map_data"
	// Published is what Open311 GeoReport v2 publishes to anyone: every request's service, status,
	// description, address and place, never who reported it.
	Published Resource = "published"
	// Reporters is who filed a case (reporter_id, the filing's actor in the history): private to those who
	// dispatch, verify or oversee; the unit fixing the problem deals with the problem, not with the person.
	Reporters Resource = "reporters"
	// Tracks are the raw GPS points of a patrol: where a person was, second by second. Private to the walker
	// (ScopeOwn) and the admins; nobody else learns even that the patrol exists.
	Tracks Resource = "tracks"
	// PatrolAggregates are meters walked, per asset, unit and kind, and the stretches not visited lately:
	// what patrols achieved, never where a person was when.
	PatrolAggregates Resource = "patrol_aggregates"
	// ShopContacts are the contact person and phone of a shop under 门前三包: those who plan, dispatch, verify or
	// oversee see all; a unit's staff see those of the shops whose agreement is with their unit (they call them
	// about a case at the frontage); the public none.
	ShopContacts Resource = "shop_contacts"
	// SignBoards are the responsibility stretches as their sign boards (路段长公示牌) post them at the street:
	// road, ends, unit, person and phone — public by nature, so everyone, signed in or not, reads them.
	SignBoards Resource = "sign_boards"
	// BaseMap is the offline base map's land use, water, buildings, street names and place labels: public
	// geography (OpenStreetMap or the county's own files), no person and no case in it, so every signed-in user
	// draws it, volunteers included (their walks need streets under them).
	BaseMap Resource = "base_map"
)

// Scope is how much of a resource a principal sees.
type Scope int

// The scopes, from nothing to everything.
const (
	ScopeNone Scope = iota // nothing: the read is refused (lists are empty, ids are not found)
	ScopeUnit              // only what belongs to the principal's own unit (nothing without a unit)
	ScopeAll               // everything (leaders, planners, admins and inspectors read across units)
	ScopeOwn               // only the principal's own records (their own tracks)
)

func (s Scope) String() string {
	return [...]string{"none", "own unit", "all", "own"}[s]
}

// Anonymous is the policy's role name for a request that did not sign in.
const Anonymous = "anonymous"

// policy is the visibility table: role × resource → scope, decided as a county would. Unit staff handle their
// own unit's cases and see no other unit's; leaders and planners read everything (the write rules live in the
// route table and package workflow); inspectors verify across units, so they see every case; the public sees
// what Open311 publishes. A role × resource pair missing here is an error, never a default: a new resource or
// role must be decided before anything is served.
var policy = map[string]map[Resource]Scope{
	"admin":      {Cases: ScopeAll, CaseAggregates: ScopeAll, UnitStats: ScopeAll, MapData: ScopeAll, Published: ScopeAll, Reporters: ScopeAll, Tracks: ScopeAll, PatrolAggregates: ScopeAll, ShopContacts: ScopeAll, SignBoards: ScopeAll, BaseMap: ScopeAll},
	"planner":    {Cases: ScopeAll, CaseAggregates: ScopeAll, UnitStats: ScopeAll, MapData: ScopeAll, Published: ScopeAll, Reporters: ScopeAll, Tracks: ScopeNone, PatrolAggregates: ScopeAll, ShopContacts: ScopeAll, SignBoards: ScopeAll, BaseMap: ScopeAll},
	"inspector":  {Cases: ScopeAll, CaseAggregates: ScopeAll, UnitStats: ScopeAll, MapData: ScopeAll, Published: ScopeAll, Reporters: ScopeAll, Tracks: ScopeOwn, PatrolAggregates: ScopeAll, ShopContacts: ScopeAll, SignBoards: ScopeAll, BaseMap: ScopeAll},
	"leader":     {Cases: ScopeAll, CaseAggregates: ScopeAll, UnitStats: ScopeAll, MapData: ScopeAll, Published: ScopeAll, Reporters: ScopeAll, Tracks: ScopeNone, PatrolAggregates: ScopeAll, ShopContacts: ScopeAll, SignBoards: ScopeAll, BaseMap: ScopeAll},
	"unit_staff": {Cases: ScopeUnit, CaseAggregates: ScopeUnit, UnitStats: ScopeAll, MapData: ScopeAll, Published: ScopeAll, Reporters: ScopeNone, Tracks: ScopeNone, PatrolAggregates: ScopeAll, ShopContacts: ScopeUnit, SignBoards: ScopeAll, BaseMap: ScopeAll},
	// Volunteers record their own walks and check in at stretches: they see their own tracks and what the
	// street and Open311 publish to anyone, nothing else (their presence counts, their view does not widen).
	"volunteer": {Cases: ScopeNone, CaseAggregates: ScopeNone, UnitStats: ScopeNone, MapData: ScopeNone, Published: ScopeAll, Reporters: ScopeNone, Tracks: ScopeOwn, PatrolAggregates: ScopeNone, ShopContacts: ScopeNone, SignBoards: ScopeAll, BaseMap: ScopeAll},
	Anonymous:   {Cases: ScopeNone, CaseAggregates: ScopeNone, UnitStats: ScopeNone, MapData: ScopeNone, Published: ScopeAll, Reporters: ScopeNone, Tracks: ScopeNone, PatrolAggregates: ScopeNone, ShopContacts: ScopeNone, SignBoards: ScopeAll, BaseMap: ScopeNone},
}

// Policy returns the table (a copy), for documentation and the tests that walk every route.
func Policy() map[string]map[Resource]Scope {
	out := make(map[string]map[Resource]Scope, len(policy))
	for role, row := range policy {
		out[role] = make(map[Resource]Scope, len(row))
		for r, s := range row {
			out[role][r] = s
		}
	}
	return out
}

// roleOf is the policy's name for a principal's role.
func roleOf(p domain.Principal) string {
	if p.Role == "" {
		return Anonymous
	}
	return p.Role
}

// ScopeOf looks a principal's scope of a resource up in the table; a missing entry is an error.
func ScopeOf(p domain.Principal, r Resource) (Scope, error) {
	s, ok := policy[roleOf(p)][r]
	if !ok {
		return ScopeNone, fmt.Errorf("service: the visibility policy has no entry for role %q and resource %q", roleOf(p), r)
	}
	return s, nil
}

// View is a decided read: whether anything may be seen, and the unit the answer must be limited to.
type View struct {
	Denied bool
	// Unit, when not nil, limits the read to this unit's records (a SQL condition in the store's query).
	Unit *int64
}

// view decides a read of r by p.
func view(p domain.Principal, r Resource) (View, error) {
	s, err := ScopeOf(p, r)
	if err != nil {
		return View{Denied: true}, err
	}
	switch s {
	case ScopeAll:
		return View{}, nil
	case ScopeUnit:
		if p.UnitID == nil {
			return View{Denied: true}, nil
		}
		u := *p.UnitID
		return View{Unit: &u}, nil
	}
	return View{Denied: true}, nil
}

// narrow applies a view to a unit filter a client asked for: the view's unit wins; a different unit asked for
// sees nothing. ok is false when the answer must be empty.
func (v View) narrow(asked *int64) (unit *int64, ok bool) {
	if v.Denied {
		return nil, false
	}
	if v.Unit == nil {
		return asked, true
	}
	if asked != nil && *asked != *v.Unit {
		return nil, false
	}
	return v.Unit, true
}

// sees reports whether a view admits one record of the given unit.
func (v View) sees(unitID *int64) bool {
	if v.Denied {
		return false
	}
	return v.Unit == nil || (unitID != nil && *unitID == *v.Unit)
}

// nobody is a unit id that no record has (ids start at 1): a store filter on it matches nothing.
var nobody int64 = -1

// only is the unit limit a store query takes for a view: nil for every unit, otherwise the unit (or nobody).
func (v View) only() *int64 {
	if v.Denied {
		return &nobody
	}
	return v.Unit
}
