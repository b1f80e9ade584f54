package service

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// patrolDay is the time zone patrol days are counted in (China Standard Time, the walkers').
var patrolDay = time.FixedZone("CST", 8*3600)

// CheckinRadiusM is how far from a stretch a check-in by position may be.
const CheckinRadiusM = 50

// MaxPatrolDays bounds the window of the frequency and per-inspector answers.
const MaxPatrolDays = 366

// inspectionRoles are the patrol roles whose walks count as inspection (巡查); volunteers' count as presence.
func inspectionRoles() []string {
	var out []string
	for _, r := range vocab.PatrolRoles {
		if !slices.Contains(vocab.PresenceRoles, r) {
			out = append(out, string(r))
		}
	}
	return out
}

// midnight returns the start of t's day in China Standard Time.
func midnight(t time.Time) time.Time {
	y, m, d := t.In(patrolDay).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, patrolDay)
}

// ParsePatrolDay reads a YYYY-MM-DD day (China Standard Time) for field.
func ParsePatrolDay(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, patrolDay)
	if err != nil {
		return time.Time{}, invalid(field, "%s must be a day like 2024-05-01", field)
	}
	return t, nil
}

// dayWindow turns a from/to window into whole days [from's day, to's day); zero values are the 28 days before
// today (whole days; 28 divides by 1, 2, 4 and 7).
func (s *Patrols) dayWindow(from, to time.Time) (time.Time, int, error) {
	if to.IsZero() {
		to = s.now()
	}
	d1 := midnight(to)
	d0 := d1.AddDate(0, 0, -28)
	if !from.IsZero() {
		d0 = midnight(from)
	}
	days := int(math.Round(d1.Sub(d0).Hours() / 24))
	if days < 1 || days > MaxPatrolDays {
		return d0, 0, invalid("from", "the window must be 1 to %d whole days (China Standard Time)", MaxPatrolDays)
	}
	return d0, days, nil
}

// Checkin answers POST /api/v1/patrols/checkins: the walker is at a stretch — the nearest linear asset within
// CheckinRadiusM of the position, or the named one.
func (s *Patrols) Checkin(ctx context.Context, p domain.Principal, in domain.NewCheckin) (domain.Checkin, error) {
	if !slices.Contains(vocab.PatrolRoles, vocab.Role(p.Role)) {
		return domain.Checkin{}, ErrNotPatroller
	}
	now := s.now()
	at := in.At
	if at.IsZero() {
		at = now
	}
	var c checker
	c.check(in.AssetID != nil || (in.Lon != nil && in.Lat != nil), "lon", "send a position (lon, lat) or an asset_id")
	if in.Lon != nil || in.Lat != nil {
		c.check(in.Lon != nil && in.Lat != nil, "lat", "a position needs both lon and lat")
		if in.Lon != nil && in.Lat != nil {
			c.check(*in.Lon >= -180 && *in.Lon <= 180 && *in.Lat >= -90 && *in.Lat <= 90, "lon", "lon must be -180 to 180 and lat -90 to 90")
		}
	}
	c.check(!at.After(now.Add(5*time.Minute)), "at", "a check-in cannot be in the future")
	c.check(at.After(now.AddDate(0, 0, -7)), "at", "a check-in is at most 7 days old")
	if err := c.err(); err != nil {
		return domain.Checkin{}, err
	}
	var st store.CheckinStretch
	var err error
	if in.AssetID != nil {
		st, err = s.Store.StretchByID(ctx, *in.AssetID, linearKinds())
		if errors.Is(err, store.ErrNotFound) {
			return domain.Checkin{}, domain.ErrNotFound
		}
	} else {
		st, err = s.Store.NearestStretch(ctx, orb.Point{*in.Lon, *in.Lat}, linearKinds())
		if errors.Is(err, store.ErrNotFound) || (err == nil && (st.DistanceM == nil || *st.DistanceM > CheckinRadiusM)) {
			return domain.Checkin{}, invalid("lon", "no road or alley is within %d m of this position", CheckinRadiusM)
		}
	}
	if err != nil {
		return domain.Checkin{}, err
	}
	return s.Store.InsertCheckin(ctx, p.ID, p.Role, st, at)
}

// Presence answers GET /api/v1/patrols/presence: on one day (default today), which stretches of the kind (all
// linear kinds when empty) a volunteer walked or checked in at (DOMAIN.md §9: daily volunteer presence on key
// stretches, never counted as inspection).
func (s *Patrols) Presence(ctx context.Context, p domain.Principal, day string, kind string, unitID *int64) (domain.Presence, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return domain.Presence{}, err
	}
	d0 := midnight(s.now())
	if day != "" {
		var err error
		if d0, err = ParsePatrolDay("date", day); err != nil {
			return domain.Presence{}, err
		}
	}
	kinds, err := kindsOf(kind)
	if err != nil {
		return domain.Presence{}, err
	}
	items, err := s.Store.Presence(ctx, d0, d0.AddDate(0, 0, 1), kinds, unitID, vocab.Strings(vocab.PresenceRoles))
	if err != nil {
		return domain.Presence{}, err
	}
	out := domain.Presence{Date: d0.Format(time.DateOnly), Kind: kind, Stretches: len(items), Items: items}
	if out.Items == nil {
		out.Items = []domain.PresenceStretch{}
	}
	for _, it := range items {
		if it.Present {
			out.Present++
		}
	}
	out.Percent = domain.Percent(float64(out.Present), float64(out.Stretches))
	return out, nil
}

// kindsOf is the linear kinds a kind filter selects ("" all), or a 400 for another kind.
func kindsOf(kind string) ([]string, error) {
	if kind == "" {
		return linearKinds(), nil
	}
	if !slices.Contains(linearKinds(), kind) {
		return nil, invalid("kind", "kind must be one of %v", linearKinds())
	}
	return []string{kind}, nil
}

// Targets answers GET /api/v1/patrols/targets: the patrol frequency target of each kind that has one.
func (s *Patrols) Targets(ctx context.Context, p domain.Principal) ([]domain.PatrolTarget, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return nil, err
	}
	return patrolTargets(ctx, s.Store)
}

// patrolTargets reads the targets with their kinds' names.
func patrolTargets(ctx context.Context, st *store.Store) ([]domain.PatrolTarget, error) {
	ts, err := st.PatrolTargets(ctx)
	for i := range ts {
		ts[i].Label = vocab.AssetKind(ts[i].Kind).Label().Zh
	}
	return ts, err
}

// SetTarget answers PUT /api/v1/patrols/targets/{kind} (admins and planners, by the route table).
func (s *Patrols) SetTarget(ctx context.Context, p domain.Principal, t domain.PatrolTarget) (domain.PatrolTarget, error) {
	var c checker
	c.check(slices.Contains(linearKinds(), t.Kind), "kind", "kind must be one of %v", linearKinds())
	c.check(t.EveryDays >= 1 && t.EveryDays <= MaxPatrolDays, "every_days", "every_days must be 1 to %d", MaxPatrolDays)
	c.check(t.MinPercent > 0 && t.MinPercent <= 100, "min_percent", "min_percent must be above 0 and at most 100")
	if err := c.err(); err != nil {
		return t, err
	}
	t.Label = vocab.AssetKind(t.Kind).Label().Zh
	return t, s.Store.SetPatrolTarget(ctx, t, p.ID)
}

// Compliance answers GET /api/v1/patrols/compliance: the 巡查达标率 per stretch and per unit over whole days
// (domain.PatrolCompliance defines it). Only inspection counts.
func (s *Patrols) Compliance(ctx context.Context, p domain.Principal, f domain.PatrolFilter) (domain.PatrolCompliance, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return domain.PatrolCompliance{}, err
	}
	return PatrolCompliance(ctx, s.Store, s.now(), f)
}

// PatrolCompliance computes the 巡查达标率 for a window (zero: the 28 whole days before now's day); shared by the
// patrol answer, the ranking and the briefing.
func PatrolCompliance(ctx context.Context, st *store.Store, now time.Time, f domain.PatrolFilter) (domain.PatrolCompliance, error) {
	ps := &Patrols{Store: st, Now: func() time.Time { return now }}
	d0, days, err := ps.dayWindow(f.From, f.To)
	if err != nil {
		return domain.PatrolCompliance{}, err
	}
	kinds, err := kindsOf(f.Kind)
	if err != nil {
		return domain.PatrolCompliance{}, err
	}
	out := domain.PatrolCompliance{From: d0.Format(time.DateOnly), To: d0.AddDate(0, 0, days).Format(time.DateOnly), Days: days,
		ByUnit: []domain.PatrolComplianceUnit{}}
	if out.Targets, err = patrolTargets(ctx, st); err != nil {
		return out, err
	}
	stretches, units, err := st.PatrolCompliance(ctx, d0, days, kinds, f.UnitID, inspectionRoles())
	if err != nil {
		return out, err
	}
	var met, all float64
	for i, x := range stretches {
		stretches[i].Percent = percentOf(float64(x.Met), float64(x.Periods))
		met += x.LengthM * float64(x.Met)
		all += x.LengthM * float64(x.Periods)
	}
	out.Stretches, out.Percent = stretches, percentOf(met, all)
	for _, u := range units {
		out.ByUnit = append(out.ByUnit, domain.PatrolComplianceUnit{UnitID: u.UnitID, Name: u.Name, Stretches: u.Stretches,
			LeadM: u.LeadM, Percent: percentOf(u.MetM, u.AllM)})
	}
	return out, nil
}

// percentOf is part/total in percent (rounded to 0.01), nil for an empty total.
func percentOf(part, total float64) *float64 {
	if total <= 0 {
		return nil
	}
	v := domain.Percent(part, total)
	return &v
}

// Inspectors answers GET /api/v1/patrols/inspectors: per inspector, km patrolled and reports filed per km in
// the window (default the last 30 days) — aggregates per person, never where they were.
func (s *Patrols) Inspectors(ctx context.Context, p domain.Principal, from, to time.Time) ([]domain.InspectorPatrol, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return nil, err
	}
	f := domain.PatrolFilter{From: from, To: to}
	if err := s.window(&f); err != nil {
		return nil, err
	}
	if f.To.Sub(f.From) > MaxPatrolDays*24*time.Hour {
		return nil, invalid("from", "the window is at most %d days", MaxPatrolDays)
	}
	out, err := s.Store.InspectorPatrols(ctx, f.From, f.To, inspectionRoles())
	if out == nil && err == nil {
		out = []domain.InspectorPatrol{}
	}
	return out, err
}

// Today answers GET /api/v1/patrols/today: the principal's own route of today and the stretches near them
// (bbox) not walked in days days — of their unit's grid when they have a unit.
func (s *Patrols) Today(ctx context.Context, p domain.Principal, bbox *orb.Bound, days int) (domain.PatrolToday, error) {
	sc, err := ScopeOf(p, Tracks)
	if err != nil {
		return domain.PatrolToday{}, err
	}
	if sc == ScopeNone {
		return domain.PatrolToday{}, domain.ErrForbidden
	}
	if days < 1 || days > MaxStaleDays {
		return domain.PatrolToday{}, invalid("days", "days must be 1 to %d", MaxStaleDays)
	}
	now := s.now()
	d0 := midnight(now)
	out := domain.PatrolToday{Date: d0.Format(time.DateOnly), Stale: json.RawMessage("null")}
	if out.Route, out.WalkedM, err = s.Store.OwnRoute(ctx, p.ID, d0, d0.AddDate(0, 0, 1)); err != nil {
		return out, err
	}
	if v, err := view(p, PatrolAggregates); err != nil || v.Denied {
		return out, err
	}
	out.Stale, err = s.Store.StalePatrols(ctx, store.StaleFilter{Since: now.AddDate(0, 0, -days), Now: now, Kinds: linearKinds(),
		UnitID: p.UnitID, BBox: bbox, Limit: 2000})
	return out, err
}
