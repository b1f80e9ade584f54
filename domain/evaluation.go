package domain

import (
	"sort"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"everymeter/vocab"
)

// EvalItem is one checklist item (测评项目) in one version: what is checked at a site of its type, its weight,
// how it is checked and the category a failure is filed under.
type EvalItem struct {
	ID           int64    `json:"id"`
	SiteType     string   `json:"site_type"`
	Code         string   `json:"code"`
	Version      int      `json:"version"`
	NameZh       string   `json:"name_zh"`
	Weight       float64  `json:"weight"`
	CheckKind    string   `json:"check_kind"` // yes_no, count, measure
	Threshold    *float64 `json:"threshold"`
	Comparator   string   `json:"comparator"` // min: value ≥ threshold passes; max: value ≤ threshold
	UnitLabel    string   `json:"unit_label"`
	CategoryCode string   `json:"category_code"`
	Sort         int      `json:"sort"`
	Retired      bool     `json:"retired"`
}

// Judge derives the outcome of a count or measure item from the value found; ok is false for a yes/no item
// (the evaluator's verdict stands) or an item without a threshold.
func (it EvalItem) Judge(value float64) (vocab.Outcome, bool) {
	if vocab.CheckKind(it.CheckKind) == vocab.YesNo || it.Threshold == nil {
		return "", false
	}
	pass := value >= *it.Threshold
	if vocab.Comparator(it.Comparator) == vocab.AtMost {
		pass = value <= *it.Threshold
	}
	if pass {
		return vocab.Pass, true
	}
	return vocab.Fail, true
}

// EvalSite is a place an evaluation visits (测评点位).
type EvalSite struct {
	ID       int64     `json:"id"`
	SiteType string    `json:"site_type"`
	Name     string    `json:"name"`
	AssetID  *int64    `json:"asset_id"`
	UnitID   *int64    `json:"unit_id"` // the responsible unit at the site's point, when it has one
	UnitName string    `json:"unit_name"`
	Point    orb.Point `json:"-"`
}

// EvalRound is an evaluation round (模拟测评) with its sites, the items it is scored with and its evaluators.
type EvalRound struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	StartsOn   string     `json:"starts_on"` // YYYY-MM-DD
	EndsOn     string     `json:"ends_on"`
	RectifyBy  time.Time  `json:"rectify_by"` // 整改期限: the deadline of every case the round files
	CreatedAt  time.Time  `json:"created_at"`
	Sites      []EvalSite `json:"sites"`
	Items      []EvalItem `json:"items"`
	Evaluators []int64    `json:"evaluators"`
}

// NewRound is a round as an admin creates it: chosen sites (assets or existing sites), and per site type a
// number of sites drawn at random from the mapped assets of the type's kind.
type NewRound struct {
	Name       string
	StartsOn   string
	EndsOn     string
	RectifyBy  time.Time
	AssetIDs   []int64
	SiteIDs    []int64
	Sample     map[string]int // site type → how many to draw
	Seed       *float64       // makes the draw repeatable (-1…1), as PostgreSQL's setseed takes it
	Evaluators []int64
}

// EvalResult is an evaluator's verdict on one item at one site of a round.
type EvalResult struct {
	ID          int64      `json:"id"`
	RoundID     int64      `json:"round_id"`
	SiteID      int64      `json:"site_id"`
	ItemID      int64      `json:"item_id"`
	Outcome     string     `json:"outcome"`
	Value       *float64   `json:"value"`
	Note        string     `json:"note"`
	Point       *orb.Point `json:"-"`
	EvaluatorID *int64     `json:"evaluator_id"`
	ScoredAt    time.Time  `json:"scored_at"`
	ReportID    *int64     `json:"report_id"`    // the case a failure filed
	ReboundOf   *int64     `json:"rebound_of"`   // an earlier, rectified failure at the same site and item (反弹)
	RecheckedBy *int64     `json:"rechecked_by"` // a later passing result that closed this failure's loop
}

// NewResult is one verdict as an evaluator sends it (from the phone's outbox, perhaps long after).
type NewResult struct {
	SiteID  int64
	ItemID  int64
	Outcome string
	Value   *float64
	Note    string
	Point   *orb.Point
	Photo   []byte // optional: attached to the case a failure files
}

// SiteScore is one site's score in a round: the weight of the items passed over the weight of the items judged
// (not applicable and not yet scored items count in neither), as a percentage; nil while nothing is judged.
type SiteScore struct {
	SiteID   int64    `json:"site_id"`
	Name     string   `json:"name"`
	SiteType string   `json:"site_type"`
	UnitID   *int64   `json:"unit_id"`
	UnitName string   `json:"unit_name"`
	Earned   float64  `json:"earned"`
	Possible float64  `json:"possible"`
	Score    *float64 `json:"score"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	NA       int      `json:"na"`
	Pending  int      `json:"pending"`
}

// GroupScore is the mean score of the scored sites of one site type or one unit.
type GroupScore struct {
	Key   string  `json:"key"` // the site type, or the unit's id
	Name  string  `json:"name"`
	Sites int     `json:"sites"` // scored sites in the mean
	Score float64 `json:"score"`
}

// Scores are a round's scores: per site, per site type, per responsible unit, and the projected county score
// (the type scores weighted by vocab's site-type weights, over the types that have a score); County is nil while
// no site is scored.
type Scores struct {
	Sites  []SiteScore  `json:"sites"`
	Types  []GroupScore `json:"types"`
	Units  []GroupScore `json:"units"`
	County *float64     `json:"county"`
}

// Score computes a round's scores from its sites, the items it is scored with and the results so far. Pure: the
// table test holds it to a round computed by hand.
func Score(sites []EvalSite, items []EvalItem, results []EvalResult) Scores {
	byType := map[string][]EvalItem{}
	for _, it := range items {
		byType[it.SiteType] = append(byType[it.SiteType], it)
	}
	type key struct{ site, item int64 }
	got := map[key]EvalResult{}
	for _, r := range results {
		got[key{r.SiteID, r.ItemID}] = r
	}
	out := Scores{Sites: []SiteScore{}, Types: []GroupScore{}, Units: []GroupScore{}}
	typeSum, typeN := map[string]float64{}, map[string]int{}
	unitSum, unitN, unitName := map[int64]float64{}, map[int64]int{}, map[int64]string{}
	for _, s := range sites {
		ss := SiteScore{SiteID: s.ID, Name: s.Name, SiteType: s.SiteType, UnitID: s.UnitID, UnitName: s.UnitName}
		for _, it := range byType[s.SiteType] {
			r, ok := got[key{s.ID, it.ID}]
			switch {
			case !ok:
				ss.Pending++
			case vocab.Outcome(r.Outcome) == vocab.Pass:
				ss.Passed++
				ss.Earned += it.Weight
				ss.Possible += it.Weight
			case vocab.Outcome(r.Outcome) == vocab.Fail:
				ss.Failed++
				ss.Possible += it.Weight
			default:
				ss.NA++
			}
		}
		if ss.Possible > 0 {
			v := 100 * ss.Earned / ss.Possible
			ss.Score = &v
			typeSum[s.SiteType] += v
			typeN[s.SiteType]++
			if s.UnitID != nil {
				unitSum[*s.UnitID] += v
				unitN[*s.UnitID]++
				unitName[*s.UnitID] = s.UnitName
			}
		}
		out.Sites = append(out.Sites, ss)
	}
	var wsum, wscore float64
	for _, t := range vocab.SiteTypes {
		n := typeN[string(t)]
		if n == 0 {
			continue
		}
		mean := typeSum[string(t)] / float64(n)
		out.Types = append(out.Types, GroupScore{Key: string(t), Name: t.Label().Zh, Sites: n, Score: mean})
		wsum += t.Weight()
		wscore += t.Weight() * mean
	}
	if wsum > 0 {
		c := wscore / wsum
		out.County = &c
	}
	for id, n := range unitN {
		out.Units = append(out.Units, GroupScore{Key: strconv.FormatInt(id, 10), Name: unitName[id], Sites: n, Score: unitSum[id] / float64(n)})
	}
	sort.Slice(out.Units, func(i, j int) bool {
		if out.Units[i].Score != out.Units[j].Score {
			return out.Units[i].Score < out.Units[j].Score // weakest first: who holds the county back
		}
		return out.Units[i].Key < out.Units[j].Key
	})
	return out
}
