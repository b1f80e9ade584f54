package service

import (
	"context"
	"sort"
	"time"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// Unit statistics (综合评价, DOMAIN.md §5). A unit's reports for a period are those created in [from, to) and
// routed to it now (reports returned to the queue belong to no unit). Computed from the report columns, so
// they hold for reports from any source (the app, Open311, imports). The counts:
//
//	received    接收数     reports created in the period routed to the unit
//	due         应处置数   received, not voided or duplicate
//	handled     处置数     due, in status resolved or closed
//	on_time     按期处置数 handled, resolved (for imports: closed) no later than the deadline
//	overdue_now 超期数     due, clock running (dispatched, accepted, rework) past the deadline now
//	rework      返工数     due reports sent back at least once (rework_count > 0; each report counted once)
//	to_close    应结案数   due reports reported fixed at least once: handled, or rework_count > 0
//	closed      结案数     due, in status closed
//	extended    延期数     due reports extended at least once (extension_count > 0)
//
// The rates (null when their denominator is 0):
//
//	handling        处置率     handled / due
//	on_time         按期处置率 on_time / due
//	rework          返工率     rework / to_close
//	closure         结案率     closed / due
//	extension       延期率     extended / due
//	overdue_pending 超期待处置率 overdue_now / due
//
// avg_hours_to_close is the mean of closed_at − dispatched_at over closed reports. km is the length of road
// the unit leads (coverage pieces covered or overlapping that list it), per_km = received / km.
//
// The composite score is a weighted mean in points out of 100:
//
//	score = 100 × (w₁·处置率 + w₂·按期处置率 + w₃·(1−返工率) + w₄·(1−超期待处置率) + w₅·(1−延期率)) / (w₁+…+w₅)
//
// with default weights 30, 20, 20, 20, 10 (one real district's); a missing 返工率 (nothing to close yet) counts
// as 0. Units with fewer than MinReceived received reports are marked too_few and not ranked: a unit with two
// reports, both on time, must not top a table of units handling hundreds. Ranks are competition ranks (equal
// scores share a rank; the next rank skips).

// ScoreWeights is domain.ScoreWeights (the definition moved to package domain).
type ScoreWeights = domain.ScoreWeights

// DefaultScoreWeights are 处置率 30, 按期处置率 20, (1−返工率) 20, (1−超期待处置率) 20, (1−延期率) 10.
var DefaultScoreWeights = domain.DefaultScoreWeights

// DefaultMinReceived is the smallest number of received reports a unit needs to be ranked.
const DefaultMinReceived = domain.DefaultMinReceived

// Rates is domain.Rates (the definition moved to package domain).
type Rates = domain.Rates

// UnitStat is domain.UnitStat (the definition moved to package domain).
type UnitStat = domain.UnitStat

// StatsQuery is domain.StatsQuery (the definition moved to package domain).
type StatsQuery = domain.StatsQuery

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// checkPeriod validates a period.
func checkPeriod(c *checker, from, to time.Time) {
	c.check(to.After(from), "to", "to must be after from")
	c.check(to.Sub(from) <= 20*366*24*time.Hour, "from", "the period may span at most 20 years")
}

// unitCounts folds the store's tallies into each unit's counts: the indicators' definitions (应处置, 处置, 按期处置,
// 超期, 返工, 应结案, 结案, 延期) are these lines.
func (s *Service) unitCounts(ctx context.Context, from, to, now time.Time) ([]store.UnitCounts, error) {
	units, err := s.Store.Reads().UnitLeads(ctx)
	if err != nil {
		return nil, err
	}
	tallies, err := s.Store.Reads().UnitTallies(ctx, from, to, now)
	if err != nil {
		return nil, err
	}
	byUnit := make(map[int64]*store.UnitCounts, len(units))
	out := make([]store.UnitCounts, len(units))
	closedH, closedN := make([]float64, len(units)), make([]int64, len(units))
	at := map[int64]int{}
	for i, u := range units {
		out[i] = store.UnitCounts{UnitID: u.UnitID, Code: u.Code, Name: u.Name, LeadM: u.LeadM}
		byUnit[u.UnitID], at[u.UnitID] = &out[i], i
	}
	for _, t := range tallies {
		c := byUnit[t.UnitID]
		if c == nil {
			continue // a unit deleted while counting
		}
		st := vocab.Status(t.Status)
		due := !vocab.Is(t.Status, vocab.DiscardedStatuses)
		handled, running := st.Handled(), st.Running()
		c.Received += t.N
		if !due {
			continue
		}
		c.Due += t.N
		if handled {
			c.Handled += t.N
			if t.OnTime {
				c.OnTime += t.N
			}
		}
		if running && t.OverdueNow {
			c.OverdueNow += t.N
		}
		if t.Reworked {
			c.Rework += t.N
		}
		if handled || t.Reworked {
			c.ToClose += t.N
		}
		if st == vocab.Closed {
			c.Closed += t.N
			closedH[at[t.UnitID]] += t.ClosedH
			closedN[at[t.UnitID]] += t.ClosedN
		}
		if t.Extended {
			c.Extended += t.N
		}
	}
	for i := range out {
		if closedN[i] > 0 {
			avg := closedH[i] / float64(closedN[i])
			out[i].AvgHoursClose = &avg
		}
	}
	return out, nil
}

// UnitStats computes the league table for a period, ranked.
func (s *Service) UnitStats(ctx context.Context, p domain.Principal, q StatsQuery) ([]UnitStat, error) {
	if err := s.allow(p, UnitStats); err != nil {
		return nil, err
	}
	var c checker
	checkPeriod(&c, q.From, q.To)
	w := q.Weights
	for _, v := range []float64{w.Handling, w.OnTime, w.Rework, w.OverduePending, w.Extension, w.Satisfaction} {
		c.check(v >= 0 && v <= 1000, "weights", "each score weight must be between 0 and 1000")
	}
	sum := w.Handling + w.OnTime + w.Rework + w.OverduePending + w.Extension
	c.check(sum > 0, "weights", "at least one score weight must be positive")
	c.check(q.MinReceived >= 0, "min_received", "min_received must not be negative")
	if err := c.err(); err != nil {
		return nil, err
	}
	counts, err := s.unitCounts(ctx, q.From, q.To, q.Now)
	if err != nil {
		return nil, err
	}
	sat, err := s.Store.UnitSatisfaction(ctx, q.From, q.To)
	if err != nil {
		return nil, err
	}
	out := make([]UnitStat, 0, len(counts))
	for _, k := range counts {
		u := UnitStat{UnitID: k.UnitID, Code: k.Code, Name: k.Name, Received: k.Received, Due: k.Due, Handled: k.Handled,
			OnTime: k.OnTime, OverdueNow: k.OverdueNow, Rework: k.Rework, ToClose: k.ToClose, Closed: k.Closed,
			Extended: k.Extended, AvgHoursToClose: k.AvgHoursClose, Km: k.LeadM / 1000}
		u.Rates = Rates{Handling: ratio(k.Handled, k.Due), OnTime: ratio(k.OnTime, k.Due), Rework: ratio(k.Rework, k.ToClose),
			Closure: ratio(k.Closed, k.Due), Extension: ratio(k.Extended, k.Due), OverduePending: ratio(k.OverdueNow, k.Due)}
		if n := sat[k.UnitID]; n[0] > 0 {
			u.Rated, u.RatedContent, u.Rates.Satisfaction = n[0], n[1], ratio(n[1], n[0])
			u.SatisfactionRate = u.Rates.Satisfaction
		}
		if u.Km > 0 {
			v := float64(k.Received) / u.Km
			u.PerKm = &v
		}
		if k.Due > 0 {
			r := u.Rates
			v := 100 * (w.Handling*val(r.Handling) + w.OnTime*val(r.OnTime) + w.Rework*(1-val(r.Rework)) +
				w.OverduePending*(1-val(r.OverduePending)) + w.Extension*(1-val(r.Extension))) / sum
			if r.Satisfaction != nil && w.Satisfaction > 0 {
				// 满意率 joins the mean only where residents rated: no rating is no evidence either way.
				v = (v*sum + 100*w.Satisfaction*(*r.Satisfaction)) / (sum + w.Satisfaction)
			}
			u.Score = &v
		}
		u.TooFew = k.Received < int64(q.MinReceived) || u.Score == nil
		out = append(out, u)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.TooFew != b.TooFew {
			return !a.TooFew
		}
		if !a.TooFew && *a.Score != *b.Score {
			return *a.Score > *b.Score
		}
		if a.Received != b.Received {
			return a.Received > b.Received
		}
		return a.Code < b.Code
	})
	if err := attachPatrolRates(ctx, s.Store, q, out); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].TooFew {
			continue
		}
		r := i + 1
		if i > 0 && !out[i-1].TooFew && *out[i-1].Score == *out[i].Score {
			r = *out[i-1].Rank
		}
		out[i].Rank = &r
	}
	if err := s.addFrontage(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// InspectorStat is domain.InspectorStat (the definition moved to package domain).
type InspectorStat = domain.InspectorStat

// InspectorStats computes the inspectors' table for a period.
func (s *Service) InspectorStats(ctx context.Context, p domain.Principal, from, to time.Time) ([]InspectorStat, error) {
	if err := s.allow(p, UnitStats); err != nil {
		return nil, err
	}
	var c checker
	checkPeriod(&c, from, to)
	if err := c.err(); err != nil {
		return nil, err
	}
	counts, err := s.Store.Reads().InspectorCounts(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]InspectorStat, 0, len(counts))
	for _, k := range counts {
		out = append(out, InspectorStat{UserID: k.UserID, Username: k.Username, Reported: k.Reported, Valid: k.Valid,
			ValidRate: ratio(k.Valid, k.Reported), Verifications: k.Verifications, VerifiedOnTime: k.VerifiedOnTime,
			OnTimeVerifyRate: ratio(k.VerifiedOnTime, k.Verifications), AvgHoursToVerify: k.AvgHoursVerify})
	}
	return out, nil
}

// TrendIntervals are the bucket sizes of a trend.
var TrendIntervals = []string{"day", "week", "month"}

// MaxTrendBuckets bounds a trend's length.
const MaxTrendBuckets = 3660

// Trend counts reports created and closed per interval over a period.
// The visibility policy's case-aggregates entry limits it to the units a principal may see.
func (s *Service) Trend(ctx context.Context, p domain.Principal, interval string, from, to time.Time, unitID *int64, category string) ([]store.TrendPoint, error) {
	v, err := view(p, CaseAggregates)
	if err != nil {
		return nil, err
	}
	var c checker
	checkPeriod(&c, from, to)
	c.check(contains(TrendIntervals, interval), "interval", "interval must be day, week or month")
	if interval == "day" {
		c.check(to.Sub(from) <= MaxTrendBuckets*24*time.Hour, "from", "a daily trend may span at most 3660 days: use week or month")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	unit, ok := v.narrow(unitID)
	if !ok {
		unit = &nobody
	}
	return s.Store.Reads().Trend(ctx, interval, from, to, unit, category)
}

// Hotspots lists recurring problem places in a period (see store.Hotspots); minRepeat ≥ 2.
// The visibility policy's case-aggregates entry limits it to the reports a principal may see.
func (s *Service) Hotspots(ctx context.Context, p domain.Principal, from, to time.Time, minRepeat, limit int) ([]store.Hotspot, error) {
	v, err := view(p, CaseAggregates)
	if err != nil {
		return nil, err
	}
	var c checker
	checkPeriod(&c, from, to)
	c.check(minRepeat >= 2 && minRepeat <= 1000, "min_count", "min_count must be from 2 to 1000")
	c.check(limit >= 1 && limit <= 1000, "limit", "limit must be from 1 to 1000")
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.Store.Reads().Hotspots(ctx, from, to, minRepeat, limit, v.only())
}

// Briefing is domain.Briefing (the definition moved to package domain).
type Briefing = domain.Briefing

// CoverageRow is domain.CoverageRow (the definition moved to package domain).
type CoverageRow = domain.CoverageRow

// Briefing gathers the briefing for a period.
// The ranking is every unit's (UnitStats); the overdue list and the map's report cells are the cases a principal
// may see.
func (s *Service) Briefing(ctx context.Context, p domain.Principal, q StatsQuery) (Briefing, error) {
	cases, err := view(p, Cases)
	if err != nil {
		return Briefing{}, err
	}
	// Statistics, printed or downloaded: lag-tolerant, from the replica when there is one.
	st := s.Store.Reads()
	units, err := s.UnitStats(ctx, p, q)
	if err != nil {
		return Briefing{}, err
	}
	b := Briefing{From: q.From, To: q.To, Now: q.Now, Units: units, Weights: q.Weights}
	t := &b.Totals
	for _, u := range units {
		t.Received += u.Received
		t.Due += u.Due
		t.Handled += u.Handled
		t.OnTime += u.OnTime
		t.OverdueNow += u.OverdueNow
		t.Rework += u.Rework
		t.ToClose += u.ToClose
		t.Closed += u.Closed
		t.Extended += u.Extended
		t.Km += u.Km
		t.Rated += u.Rated
		t.RatedContent += u.RatedContent
	}
	t.Rates = Rates{Handling: ratio(t.Handled, t.Due), OnTime: ratio(t.OnTime, t.Due), Rework: ratio(t.Rework, t.ToClose),
		Closure: ratio(t.Closed, t.Due), Extension: ratio(t.Extended, t.Due), OverduePending: ratio(t.OverdueNow, t.Due),
		Satisfaction: ratio(t.RatedContent, t.Rated)}
	t.SatisfactionRate = t.Rates.Satisfaction
	if b.Queue, err = st.CountQueued(ctx, q.From, q.To); err != nil {
		return b, err
	}
	if b.Overdue, err = st.WorstOverdue(ctx, q.Now, 10, cases.only()); err != nil {
		return b, err
	}
	byKind, err := st.CoverageByKind(ctx, []string{"road", "alley"})
	if err != nil {
		return b, err
	}
	var total, covered float64
	for _, k := range byKind {
		total += k.TotalM
		covered += k.CoveredM
	}
	if total > 0 {
		v := covered / total
		b.CoveragePc = &v
	}
	byUnit, err := st.CoverageByUnit(ctx)
	if err != nil {
		return b, err
	}
	for _, u := range byUnit {
		if u.LeadM == 0 {
			continue
		}
		row := CoverageRow{Code: u.Code, Name: u.Name, LeadKm: u.LeadM / 1000, OverlapKm: u.OverlapM / 1000}
		if total > 0 {
			v := u.LeadM / total
			row.Share = &v
		}
		b.Coverage = append(b.Coverage, row)
	}
	sort.Slice(b.Coverage, func(i, j int) bool { return b.Coverage[i].LeadKm > b.Coverage[j].LeadKm })
	if b.Map, err = st.BriefingMap(ctx, 11, cases.only()); err != nil {
		return b, err
	}
	if b.Evaluation, err = evalBriefing(ctx, s.Store, q.Now); err != nil {
		return b, err
	}
	if b.Frontage, err = s.frontageBriefing(ctx); err != nil {
		return b, err
	}
	if b.Patrol, err = briefingPatrol(ctx, s.Store, q); err != nil {
		return b, err
	}
	// Days for up to two months, weeks beyond: a line people read at a glance has tens of points, not hundreds.
	b.TrendInterval = "day"
	if q.To.Sub(q.From) > 62*24*time.Hour {
		b.TrendInterval = "week"
	}
	if b.Trend, err = s.Trend(ctx, p, b.TrendInterval, q.From, q.To, nil, ""); err != nil {
		return b, err
	}
	return b, nil
}
