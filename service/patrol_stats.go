package service

import (
	"context"
	"sort"

	"everymeter/domain"
	"everymeter/store"
)

// briefingWorstStretches is how many stretches furthest below target the briefing lists.
const briefingWorstStretches = 10

// statsPatrolCompliance is the 巡查达标率 for a statistics period, nil when the period has no whole day or spans
// more than MaxPatrolDays (the ranking then shows no rate rather than refusing the table).
func statsPatrolCompliance(ctx context.Context, st *store.Store, q StatsQuery) (*domain.PatrolCompliance, error) {
	days := midnight(q.To).Sub(midnight(q.From)).Hours() / 24
	if days < 1 || days > MaxPatrolDays {
		return nil, nil
	}
	c, err := PatrolCompliance(ctx, st, q.Now, domain.PatrolFilter{From: q.From, To: q.To})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// attachPatrolRates sets each unit's PatrolRate (a share, as the other rates of the ranking).
func attachPatrolRates(ctx context.Context, st *store.Store, q StatsQuery, units []UnitStat) error {
	c, err := statsPatrolCompliance(ctx, st, q)
	if err != nil || c == nil {
		return err
	}
	by := map[int64]*float64{}
	for _, u := range c.ByUnit {
		if u.Percent != nil {
			v := *u.Percent / 100
			by[u.UnitID] = &v
		}
	}
	for i := range units {
		units[i].PatrolRate = by[units[i].UnitID]
	}
	return nil
}

// briefingPatrol is the briefing's patrol section: every unit's rate and the stretches furthest below target
// (lowest rate first, longer first among equals); nil without any stretch with periods.
func briefingPatrol(ctx context.Context, st *store.Store, q StatsQuery) (*domain.PatrolCompliance, error) {
	c, err := statsPatrolCompliance(ctx, st, q)
	if err != nil || c == nil || c.Percent == nil {
		return nil, err
	}
	var low []domain.PatrolComplianceStretch
	for _, s := range c.Stretches {
		if s.Percent != nil && *s.Percent < 100 {
			low = append(low, s)
		}
	}
	sort.SliceStable(low, func(i, j int) bool {
		if *low[i].Percent != *low[j].Percent {
			return *low[i].Percent < *low[j].Percent
		}
		return low[i].LengthM > low[j].LengthM
	})
	c.Stretches = low[:min(len(low), briefingWorstStretches)]
	sort.SliceStable(c.ByUnit, func(i, j int) bool { return val(c.ByUnit[i].Percent) > val(c.ByUnit[j].Percent) })
	return c, nil
}
