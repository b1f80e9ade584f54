package vocab

import "slices"

// SiteType is a kind of place the evaluation samples (eval_sites.site_type, eval_items.site_type).
type SiteType string

// The site types of the field inspection (实地考察).
const (
	MainRoad    SiteType = "main_road"   // 主次干道/商业大街
	AlleySite   SiteType = "alley"       // 背街小巷
	MarketSite  SiteType = "market"      // 农贸市场
	ParkSite    SiteType = "park"        // 小游园/公园
	Residential SiteType = "residential" // 居民小区
)

// siteTypes carries each type's label, the asset kind its sites are drawn from (none: pinned by hand) and its
// weight in the projected county score (the share of the field inspection's points a type carries).
var siteTypes = []struct {
	Valued[SiteType]
	Kind   AssetKind
	Weight float64
}{
	{Valued[SiteType]{MainRoad, Label{"主次干道/商业大街", "main road / shopping street"}}, Road, 30},
	{Valued[SiteType]{AlleySite, Label{"背街小巷", "back alley"}}, Alley, 20},
	{Valued[SiteType]{MarketSite, Label{"农贸市场", "farmers' market"}}, Market, 20},
	{Valued[SiteType]{ParkSite, Label{"小游园/公园", "pocket park / park"}}, Park, 15},
	{Valued[SiteType]{Residential, Label{"居民小区", "residential compound"}}, "", 15},
}

// SiteTypes lists every site type.
var SiteTypes = func() []SiteType {
	out := make([]SiteType, len(siteTypes))
	for i, s := range siteTypes {
		out[i] = s.Value
	}
	return out
}()

// Valid reports whether t is a site type.
func (t SiteType) Valid() bool { return slices.Contains(SiteTypes, t) }

// Label returns the site type's name for people.
func (t SiteType) Label() Label {
	for _, s := range siteTypes {
		if s.Value == t {
			return s.Label
		}
	}
	return Label{string(t), string(t)}
}

// AssetKind is the kind of asset sites of this type are drawn from; "" when they are pinned by hand.
func (t SiteType) AssetKind() AssetKind {
	for _, s := range siteTypes {
		if s.Value == t {
			return s.Kind
		}
	}
	return ""
}

// Weight is the type's weight in the projected county score (0 for an unknown type).
func (t SiteType) Weight() float64 {
	for _, s := range siteTypes {
		if s.Value == t {
			return s.Weight
		}
	}
	return 0
}

// CheckKind is how an item is checked (eval_items.check_kind).
type CheckKind string

// The check kinds.
const (
	YesNo   CheckKind = "yes_no"  // pass or fail by eye
	Count   CheckKind = "count"   // a count compared with the item's threshold
	Measure CheckKind = "measure" // a measured value compared with the item's threshold
)

var checkKinds = []Valued[CheckKind]{
	{YesNo, Label{"是否", "yes / no"}},
	{Count, Label{"计数", "count"}},
	{Measure, Label{"测量", "measure"}},
}

// CheckKinds lists every check kind.
var CheckKinds = values(checkKinds)

// Valid reports whether k is a check kind.
func (k CheckKind) Valid() bool { return slices.Contains(CheckKinds, k) }

// Label returns the check kind's name for people.
func (k CheckKind) Label() Label { return labelOf(checkKinds, k) }

// Comparator says which side of an item's threshold passes (eval_items.comparator).
type Comparator string

// The comparators.
const (
	AtLeast Comparator = "min" // value ≥ threshold passes
	AtMost  Comparator = "max" // value ≤ threshold passes
)

// Comparators lists every comparator.
var Comparators = []Comparator{AtLeast, AtMost}

// Valid reports whether c is a comparator.
func (c Comparator) Valid() bool { return slices.Contains(Comparators, c) }

// Outcome is an evaluator's verdict on one item at one site (eval_results.outcome).
type Outcome string

// The outcomes.
const (
	Pass          Outcome = "pass"
	Fail          Outcome = "fail"
	NotApplicable Outcome = "na" // the item does not apply at this site: left out of its score
)

var outcomes = []Valued[Outcome]{
	{Pass, Label{"合格", "pass"}},
	{Fail, Label{"不合格", "fail"}},
	{NotApplicable, Label{"不适用", "n/a"}},
}

// Outcomes lists every outcome.
var Outcomes = values(outcomes)

// Valid reports whether o is an outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Label returns the outcome's name for people.
func (o Outcome) Label() Label { return labelOf(outcomes, o) }

// EvaluatorRoles score sites in a round (the inspectors, and admins); EvalAdminRoles create rounds, edit
// checklists and import the feedback list.
var (
	EvaluatorRoles = []Role{Inspector, Admin}
	EvalAdminRoles = []Role{Admin}
)
