// Package workflow is the closed loop of a report (数字城管 七个环节) as a pure state machine: given a report's
// status and people, an action and who asks, it answers the next status or why not (409 illegal here, 403 not
// yours). It does no I/O; the service applies its answer.
package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Status is where a report stands.
type Status string

// The statuses of the loop (the reports.status CHECK in migration 00003 lists the same).
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

// Statuses lists every status in loop order.
var Statuses = []Status{Reported, Dispatched, Accepted, Resolved, Closed, Rework, Returned, Voided, Duplicate}

// Action is a step someone takes on a report.
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

// Actions lists every action.
var Actions = []Action{Dispatch, Accept, Resolve, Verify, SendForRework, Reopen, Return, Extend, Void, MarkDuplicate}

// Report is what the rules look at.
type Report struct {
	Status     Status
	UnitID     *int64 // the unit holding the report
	ResolverID *int64 // who resolved it last
}

// Actor is who asks.
type Actor struct {
	ID     int64
	Role   string // admin, planner, inspector, unit_staff, leader
	UnitID *int64 // the unit_staff's unit
}

// Who may take an action, beyond the role.
type relation int

const (
	anyone      relation = iota
	holdingUnit          // unit_staff must belong to the unit holding the report
	notResolver          // the actor must not be the one who resolved it (separation of duties)
)

// rule is one row of the transition table.
type rule struct {
	action Action
	from   []Status
	to     Status // "" keeps the status (extend)
	roles  []string
	rel    relation
}

// rules is the whole loop. Dispatch from dispatched/accepted/rework is a re-route by the dispatcher.
var rules = []rule{
	{Dispatch, []Status{Reported, Returned, Dispatched, Accepted, Rework}, Dispatched, []string{"admin"}, anyone},
	{Accept, []Status{Dispatched, Rework}, Accepted, []string{"unit_staff"}, holdingUnit},
	{Resolve, []Status{Accepted, Rework}, Resolved, []string{"unit_staff"}, holdingUnit},
	{Verify, []Status{Resolved}, Closed, []string{"inspector", "admin"}, notResolver},
	{SendForRework, []Status{Resolved}, Rework, []string{"inspector", "admin"}, notResolver},
	{Reopen, []Status{Closed}, Dispatched, []string{"inspector", "admin"}, anyone},
	{Return, []Status{Dispatched, Accepted, Rework}, Returned, []string{"unit_staff"}, holdingUnit},
	{Extend, []Status{Dispatched, Accepted, Rework}, "", []string{"unit_staff", "admin"}, holdingUnit},
	{Void, []Status{Reported, Returned, Dispatched, Accepted, Rework, Resolved}, Voided, []string{"admin"}, anyone},
	{MarkDuplicate, []Status{Reported, Returned, Dispatched}, Duplicate, []string{"admin", "inspector"}, anyone},
}

// Sentinel kinds of refusal.
var (
	ErrIllegal   = errors.New("workflow: action not allowed in this status") // → 409
	ErrForbidden = errors.New("workflow: not allowed for this user")         // → 403
	ErrUnknown   = errors.New("workflow: unknown action")                    // → 400
)

// Error explains a refusal: the report's status and the actions its status allows.
type Error struct {
	Kind    error // ErrIllegal, ErrForbidden or ErrUnknown
	Status  Status
	Action  Action
	Allowed []Action
	Detail  string
}

// Error returns the human explanation.
func (e *Error) Error() string { return e.Detail }

// Unwrap exposes the kind for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// ValidStatus reports whether s is a status of the loop.
func ValidStatus(s string) bool { return slices.Contains(Statuses, Status(s)) }

// ValidAction reports whether a is an action of the loop.
func ValidAction(a string) bool { return slices.Contains(Actions, Action(a)) }

// Allowed lists the actions the status allows anyone to take, in table order.
func Allowed(s Status) []Action {
	out := []Action{}
	for _, r := range rules {
		if slices.Contains(r.from, s) {
			out = append(out, r.action)
		}
	}
	return out
}

// Available lists the actions this actor may take on this report now (for the user interface).
func Available(r Report, who Actor) []Action {
	out := []Action{}
	for _, a := range Allowed(r.Status) {
		if _, err := Decide(r, a, who); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Decide returns the status the report moves to when who takes action a, or an *Error saying why not. The status
// is checked before the role, so an illegal step is a 409 for everyone.
func Decide(r Report, a Action, who Actor) (Status, error) {
	var ru *rule
	for i := range rules {
		if rules[i].action == a {
			ru = &rules[i]
		}
	}
	if ru == nil {
		return "", &Error{Kind: ErrUnknown, Status: r.Status, Action: a, Allowed: Allowed(r.Status),
			Detail: fmt.Sprintf("unknown action %q; actions are %s", a, joinActions(Actions))}
	}
	if !slices.Contains(ru.from, r.Status) {
		allowed := Allowed(r.Status)
		detail := fmt.Sprintf("cannot %s a report that is %s", a, r.Status)
		if len(allowed) == 0 {
			detail += "; no action is possible any more"
		} else {
			detail += "; allowed actions now: " + joinActions(allowed)
		}
		return "", &Error{Kind: ErrIllegal, Status: r.Status, Action: a, Allowed: allowed, Detail: detail}
	}
	forbid := func(detail string) (Status, error) {
		return "", &Error{Kind: ErrForbidden, Status: r.Status, Action: a, Allowed: Allowed(r.Status), Detail: detail}
	}
	if !slices.Contains(ru.roles, who.Role) {
		return forbid(fmt.Sprintf("only %s may %s a report; you are %s", strings.Join(ru.roles, " or "), a, roleName(who.Role)))
	}
	switch ru.rel {
	case holdingUnit:
		if who.Role == "unit_staff" && (who.UnitID == nil || r.UnitID == nil || *who.UnitID != *r.UnitID) {
			return forbid(fmt.Sprintf("only staff of the unit holding the report may %s it", a))
		}
	case notResolver:
		if r.ResolverID != nil && *r.ResolverID == who.ID {
			return forbid(fmt.Sprintf("you resolved this report, so someone else must %s it (separation of duties)", a))
		}
	}
	if ru.to == "" {
		return r.Status, nil
	}
	return ru.to, nil
}

func roleName(r string) string {
	if r == "" {
		return "not signed in"
	}
	return r
}

func joinActions(as []Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Running reports whether the deadline clock runs in status s (a unit holds the report).
func Running(s Status) bool { return s == Dispatched || s == Accepted || s == Rework }

// Terminal reports whether nothing more happens in status s except a reopen (closed).
func Terminal(s Status) bool { return s == Closed || s == Voided || s == Duplicate }
