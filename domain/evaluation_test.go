package domain_test

import (
	"math"
	"testing"

	"everymeter/domain"
	"everymeter/vocab"
)

func f(v float64) *float64 { return &v }

// TestScoreHandComputed holds domain.Score to a round scored by hand.
//
// Items: main road #1 (weight 3), #2 (weight 2), #3 (weight 5, a count ≥ 3); market #10 (weight 3), #11 (weight 2).
// Sites and results:
//
//	S1 main road, unit A: #1 pass, #2 fail, #3 pass      → (3+5)/(3+2+5) = 8/10 = 80
//	S2 main road, unit B: #1 fail, #2 n/a, #3 pass       → 5/(3+5)       = 62.5
//	S3 market, unit A:    #10 pass, #11 not yet scored   → 3/3           = 100 (one pending)
//	S4 market, no unit:   #10 n/a, #11 n/a               → nothing judged: no score, in no mean
//	S5 park, unit B:      no results                     → no score
//
// By type: main road (80+62.5)/2 = 71.25; market 100 (S3 only). By unit: A (80+100)/2 = 90; B 62.5.
// County: types weighted 30 (main road) and 20 (market), the types without a score left out:
// (30×71.25 + 20×100)/(30+20) = (2137.5+2000)/50 = 82.75.
func TestScoreHandComputed(t *testing.T) {
	a, b := int64(100), int64(200)
	items := []domain.EvalItem{
		{ID: 1, SiteType: "main_road", Weight: 3, CheckKind: "yes_no"},
		{ID: 2, SiteType: "main_road", Weight: 2, CheckKind: "yes_no"},
		{ID: 3, SiteType: "main_road", Weight: 5, CheckKind: "count", Threshold: f(3), Comparator: "min"},
		{ID: 10, SiteType: "market", Weight: 3, CheckKind: "yes_no"},
		{ID: 11, SiteType: "market", Weight: 2, CheckKind: "measure", Threshold: f(0), Comparator: "max"},
	}
	sites := []domain.EvalSite{
		{ID: 1, SiteType: "main_road", Name: "S1", UnitID: &a, UnitName: "A"},
		{ID: 2, SiteType: "main_road", Name: "S2", UnitID: &b, UnitName: "B"},
		{ID: 3, SiteType: "market", Name: "S3", UnitID: &a, UnitName: "A"},
		{ID: 4, SiteType: "market", Name: "S4"},
		{ID: 5, SiteType: "park", Name: "S5", UnitID: &b, UnitName: "B"},
	}
	r := func(site, item int64, o vocab.Outcome) domain.EvalResult {
		return domain.EvalResult{SiteID: site, ItemID: item, Outcome: string(o)}
	}
	results := []domain.EvalResult{
		r(1, 1, vocab.Pass), r(1, 2, vocab.Fail), r(1, 3, vocab.Pass),
		r(2, 1, vocab.Fail), r(2, 2, vocab.NotApplicable), r(2, 3, vocab.Pass),
		r(3, 10, vocab.Pass),
		r(4, 10, vocab.NotApplicable), r(4, 11, vocab.NotApplicable),
	}
	got := domain.Score(sites, items, results)

	want := map[string]*float64{"S1": f(80), "S2": f(62.5), "S3": f(100), "S4": nil, "S5": nil}
	pending := map[string]int{"S1": 0, "S2": 0, "S3": 1, "S4": 0, "S5": 0}
	for _, s := range got.Sites {
		t.Run("site "+s.Name, func(t *testing.T) {
			w := want[s.Name]
			switch {
			case w == nil && s.Score != nil:
				t.Errorf("score %v, want none", *s.Score)
			case w != nil && (s.Score == nil || !near(*s.Score, *w)):
				t.Errorf("score %v, want %v", s.Score, *w)
			}
			if s.Pending != pending[s.Name] {
				t.Errorf("pending %d, want %d", s.Pending, pending[s.Name])
			}
		})
	}
	groups := func(t *testing.T, what string, gs []domain.GroupScore, want map[string]float64) {
		t.Helper()
		if len(gs) != len(want) {
			t.Errorf("%s: %d groups %+v, want %v", what, len(gs), gs, want)
		}
		for _, g := range gs {
			if w, ok := want[g.Name]; !ok || !near(g.Score, w) {
				t.Errorf("%s %s: %v, want %v", what, g.Name, g.Score, w)
			}
		}
	}
	groups(t, "type", got.Types, map[string]float64{vocab.MainRoad.Label().Zh: 71.25, vocab.MarketSite.Label().Zh: 100})
	groups(t, "unit", got.Units, map[string]float64{"A": 90, "B": 62.5})
	if got.County == nil || !near(*got.County, 82.75) {
		t.Errorf("county %v, want 82.75", got.County)
	}
	if len(got.Units) == 2 && got.Units[0].Name != "B" {
		t.Errorf("units should list the weakest first, got %+v", got.Units)
	}

	t.Run("nothing scored", func(t *testing.T) {
		if s := domain.Score(sites, items, nil); s.County != nil || len(s.Types) != 0 {
			t.Errorf("an unscored round has county %v and types %+v", s.County, s.Types)
		}
	})
}

func TestJudge(t *testing.T) {
	count := domain.EvalItem{CheckKind: "count", Threshold: f(5), Comparator: "min"}
	water := domain.EvalItem{CheckKind: "measure", Threshold: f(0), Comparator: "max"}
	for _, c := range []struct {
		name  string
		item  domain.EvalItem
		value float64
		want  vocab.Outcome
	}{
		{"five posters of five", count, 5, vocab.Pass},
		{"four posters of five", count, 4, vocab.Fail},
		{"no standing water", water, 0, vocab.Pass},
		{"a puddle", water, 0.5, vocab.Fail},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := c.item.Judge(c.value); !ok || got != c.want {
				t.Errorf("Judge(%v) = %q, %v; want %q", c.value, got, ok, c.want)
			}
		})
	}
	if _, ok := (domain.EvalItem{CheckKind: "yes_no"}).Judge(1); ok {
		t.Error("a yes/no item is judged by the evaluator, not by a value")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
