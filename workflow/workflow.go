// Package workflow is the closed loop of a report (数字城管 七个环节) as a pure state machine: given a report's
// status and people, an action and who asks, it answers the next status or why not (409 illegal here, 403 not
// yours). It does no I/O; the service applies its answer.
package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"everymeter/vocab"
)

// Status is where a report stands (package vocab owns the values and their meaning).
type Status = vocab.Status

// The statuses of the loop, named here too so the table below reads as the loop.
const (
	Reported   = vocab.Reported
	Dispatched = vocab.Dispatched
	Accepted   = vocab.Accepted
	Resolved   = vocab.Resolved
	Closed     = vocab.Closed
	Rework     = vocab.Rework
	Returned   = vocab.Returned
	Voided     = vocab.Voided
	Duplicate  = vocab.Duplicate
)

// Statuses lists every status in loop order.
var Statuses = vocab.Statuses

// Action is a step someone takes on a report.
type Action = vocab.Action

// The actions of POST /api/v1/reports/{id}/transitions.
const (
	Dispatch      = vocab.Dispatch
	Accept        = vocab.Accept
	Resolve       = vocab.Resolve
	Verify        = vocab.Verify
	SendForRework = vocab.SendForRework
	Reopen        = vocab.Reopen
	Return        = vocab.Return
	Extend        = vocab.Extend
	Void          = vocab.Void
	MarkDuplicate = vocab.MarkDuplicate
)

// Actions lists every action.
var Actions = vocab.Actions

// Report is what the rules look at.
type Report struct {
	Status     Status
	UnitID     *int64 // the unit holding the report
	ResolverID *int64 // who resolved it last
}

// Actor is who asks.
type Actor struct {
	ID     int64
	Role   string // a vocab.Role
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
	roles  []vocab.Role
	rel    relation
}

// The roles of the table's rows.
var (
	admins           = []vocab.Role{vocab.Admin}
	unitStaff        = []vocab.Role{vocab.UnitStaff}
	verifiers        = []vocab.Role{vocab.Inspector, vocab.Admin}
	unitOrAdmin      = []vocab.Role{vocab.UnitStaff, vocab.Admin}
	adminOrInspector = []vocab.Role{vocab.Admin, vocab.Inspector}
)

// rules is the whole loop. Dispatch from dispatched/accepted/rework is a re-route by the dispatcher.
var rules = []rule{
	{Dispatch, []Status{Reported, Returned, Dispatched, Accepted, Rework}, Dispatched, admins, anyone},
	{Accept, []Status{Dispatched, Rework}, Accepted, unitStaff, holdingUnit},
	{Resolve, []Status{Accepted, Rework}, Resolved, unitStaff, holdingUnit},
	{Verify, []Status{Resolved}, Closed, verifiers, notResolver},
	{SendForRework, []Status{Resolved}, Rework, verifiers, notResolver},
	{Reopen, []Status{Closed}, Dispatched, verifiers, anyone},
	{Return, []Status{Dispatched, Accepted, Rework}, Returned, unitStaff, holdingUnit},
	{Extend, []Status{Dispatched, Accepted, Rework}, "", unitOrAdmin, holdingUnit},
	{Void, []Status{Reported, Returned, Dispatched, Accepted, Rework, Resolved}, Voided, admins, anyone},
	{MarkDuplicate, []Status{Reported, Returned, Dispatched}, Duplicate, adminOrInspector, anyone},
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
	// Format and Args are Detail in its parts (an English format and its arguments) for translation.
	Format string
	Args   []any
}

func refusal(kind error, s Status, a Action, allowed []Action, format string, args ...any) *Error {
	return &Error{Kind: kind, Status: s, Action: a, Allowed: allowed, Detail: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Error returns the human explanation.
func (e *Error) Error() string { return e.Detail }

// Unwrap exposes the kind for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// ValidStatus reports whether s is a status of the loop.
func ValidStatus(s string) bool { return Status(s).Valid() }

// ValidAction reports whether a is an action of the loop.
func ValidAction(a string) bool { return Action(a).Valid() }

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
		return "", refusal(ErrUnknown, r.Status, a, Allowed(r.Status), "unknown action %q; actions are %s", string(a), joinActions(Actions))
	}
	if !slices.Contains(ru.from, r.Status) {
		allowed := Allowed(r.Status)
		if len(allowed) == 0 {
			return "", refusal(ErrIllegal, r.Status, a, allowed, "cannot %s a report that is %s; no action is possible any more", string(a), string(r.Status))
		}
		return "", refusal(ErrIllegal, r.Status, a, allowed, "cannot %s a report that is %s; allowed actions now: %s", string(a), string(r.Status), joinActions(allowed))
	}
	forbid := func(format string, args ...any) (Status, error) {
		return "", refusal(ErrForbidden, r.Status, a, Allowed(r.Status), format, args...)
	}
	if !vocab.Is(who.Role, ru.roles) {
		return forbid("only %s may %s a report; you are %s", strings.Join(vocab.Strings(ru.roles), " or "), string(a), roleName(who.Role))
	}
	switch ru.rel {
	case holdingUnit:
		if vocab.Role(who.Role) == vocab.UnitStaff && (who.UnitID == nil || r.UnitID == nil || *who.UnitID != *r.UnitID) {
			return forbid("only staff of the unit holding the report may %s it", string(a))
		}
	case notResolver:
		if r.ResolverID != nil && *r.ResolverID == who.ID {
			return forbid("you resolved this report, so someone else must %s it (separation of duties)", string(a))
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

func joinActions(as []Action) string { return strings.Join(vocab.Strings(as), ", ") }

// Running reports whether the deadline clock runs in status s (a unit holds the report).
func Running(s Status) bool { return s.Running() }

// Terminal reports whether nothing more happens in status s except a reopen (closed).
func Terminal(s Status) bool { return s.Terminal() }
