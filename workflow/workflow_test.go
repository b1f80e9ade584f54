package workflow_test

import (
	"errors"
	"slices"
	"testing"

	"everymeter/workflow"
)

func ptr(v int64) *int64 { return &v }

// legal is the expected table: status → the actions it allows and where they lead.
var legal = map[workflow.Status]map[workflow.Action]workflow.Status{
	workflow.Reported:   {"dispatch": "dispatched", "void": "voided", "duplicate": "duplicate"},
	workflow.Returned:   {"dispatch": "dispatched", "void": "voided", "duplicate": "duplicate"},
	workflow.Dispatched: {"dispatch": "dispatched", "accept": "accepted", "return": "returned", "extend": "dispatched", "void": "voided", "duplicate": "duplicate"},
	workflow.Accepted:   {"dispatch": "dispatched", "resolve": "resolved", "return": "returned", "extend": "accepted", "void": "voided"},
	workflow.Rework:     {"dispatch": "dispatched", "accept": "accepted", "resolve": "resolved", "return": "returned", "extend": "rework", "void": "voided"},
	workflow.Resolved:   {"verify": "closed", "rework": "rework", "void": "voided"},
	workflow.Closed:     {"reopen": "dispatched"},
	workflow.Voided:     {},
	workflow.Duplicate:  {},
}

// roleFor picks an actor allowed to take the action on a report held by unit 1.
func roleFor(a workflow.Action) workflow.Actor {
	switch a {
	case "accept", "resolve", "return", "extend":
		return workflow.Actor{ID: 10, Role: "unit_staff", UnitID: ptr(1)}
	case "verify", "rework", "reopen", "duplicate":
		return workflow.Actor{ID: 20, Role: "inspector"}
	}
	return workflow.Actor{ID: 30, Role: "admin"}
}

func TestStatusTimesAction(t *testing.T) {
	for _, s := range workflow.Statuses {
		for _, a := range workflow.Actions {
			t.Run(string(s)+"/"+string(a), func(t *testing.T) {
				r := workflow.Report{Status: s, UnitID: ptr(1), ResolverID: ptr(10)}
				to, err := workflow.Decide(r, a, roleFor(a))
				want, ok := legal[s][a]
				if !ok {
					if !errors.Is(err, workflow.ErrIllegal) {
						t.Fatalf("got %q, %v; want a 409 refusal", to, err)
					}
					var we *workflow.Error
					errors.As(err, &we)
					if we.Status != s || !slices.Equal(we.Allowed, workflow.Allowed(s)) {
						t.Fatalf("refusal %+v does not name the status and allowed actions", we)
					}
					return
				}
				if err != nil || to != want {
					t.Fatalf("got %q, %v; want %q", to, err, want)
				}
			})
		}
	}
}

func TestWhoMay(t *testing.T) {
	staff := workflow.Actor{ID: 10, Role: "unit_staff", UnitID: ptr(1)}
	other := workflow.Actor{ID: 11, Role: "unit_staff", UnitID: ptr(2)}
	insp := workflow.Actor{ID: 20, Role: "inspector"}
	admin := workflow.Actor{ID: 30, Role: "admin"}
	planner := workflow.Actor{ID: 40, Role: "planner"}
	leader := workflow.Actor{ID: 50, Role: "leader"}
	// an inspector who used to be the unit's staff and resolved it
	turncoat := workflow.Actor{ID: 10, Role: "inspector"}
	held := func(s workflow.Status) workflow.Report {
		return workflow.Report{Status: s, UnitID: ptr(1), ResolverID: ptr(10)}
	}
	cases := []struct {
		name   string
		r      workflow.Report
		a      workflow.Action
		who    workflow.Actor
		forbid bool
	}{
		{"admin dispatches", held(workflow.Reported), "dispatch", admin, false},
		{"inspector cannot dispatch", held(workflow.Reported), "dispatch", insp, true},
		{"staff cannot dispatch", held(workflow.Reported), "dispatch", staff, true},
		{"own unit accepts", held(workflow.Dispatched), "accept", staff, false},
		{"other unit cannot accept", held(workflow.Dispatched), "accept", other, true},
		{"admin cannot accept for the unit", held(workflow.Dispatched), "accept", admin, true},
		{"own unit resolves", held(workflow.Accepted), "resolve", staff, false},
		{"other unit cannot resolve", held(workflow.Accepted), "resolve", other, true},
		{"inspector verifies", held(workflow.Resolved), "verify", insp, false},
		{"admin verifies", held(workflow.Resolved), "verify", admin, false},
		{"staff cannot verify", held(workflow.Resolved), "verify", staff, true},
		{"resolver cannot verify even as inspector", held(workflow.Resolved), "verify", turncoat, true},
		{"resolver cannot send for rework", held(workflow.Resolved), "rework", turncoat, true},
		{"planner cannot verify", held(workflow.Resolved), "verify", planner, true},
		{"leader cannot reopen", held(workflow.Closed), "reopen", leader, true},
		{"inspector reopens", held(workflow.Closed), "reopen", insp, false},
		{"other unit cannot return", held(workflow.Dispatched), "return", other, true},
		{"admin extends", held(workflow.Accepted), "extend", admin, false},
		{"other unit cannot extend", held(workflow.Accepted), "extend", other, true},
		{"inspector cannot void", held(workflow.Reported), "void", insp, true},
		{"staff cannot mark duplicate", held(workflow.Dispatched), "duplicate", staff, true},
		{"anonymous", held(workflow.Reported), "void", workflow.Actor{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := workflow.Decide(c.r, c.a, c.who)
			if c.forbid != errors.Is(err, workflow.ErrForbidden) || (!c.forbid && err != nil) {
				t.Fatalf("err = %v, want forbidden=%v", err, c.forbid)
			}
		})
	}
}

func TestUnknownAction(t *testing.T) {
	_, err := workflow.Decide(workflow.Report{Status: workflow.Reported}, "fly", workflow.Actor{Role: "admin"})
	if !errors.Is(err, workflow.ErrUnknown) {
		t.Fatalf("err = %v", err)
	}
}

func TestAvailable(t *testing.T) {
	r := workflow.Report{Status: workflow.Dispatched, UnitID: ptr(1)}
	got := workflow.Available(r, workflow.Actor{ID: 10, Role: "unit_staff", UnitID: ptr(1)})
	if !slices.Equal(got, []workflow.Action{"accept", "return", "extend"}) {
		t.Fatalf("available = %v", got)
	}
}
