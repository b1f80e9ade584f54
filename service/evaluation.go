package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/feedback"
	"everymeter/store"
	"everymeter/vocab"
	"everymeter/workflow"
)

// Evaluation runs the evaluation (测评): checklists, rounds and their scores, failures filed as cases through the
// report loop, the provincial feedback list, the rectification ledger and the leaders' readiness view.
type Evaluation struct {
	Store   *store.Store
	Reports *Reports // failures and feedback rows are filed, routed and photographed through the report loop
	// Now is the clock (tests may pin it); nil means time.Now.
	Now func() time.Time
}

func (s *Evaluation) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// siteKinds maps the asset kinds the sampling draws from to their site types.
func siteKinds() map[string]string {
	m := map[string]string{}
	for _, t := range vocab.SiteTypes {
		if k := t.AssetKind(); k != "" {
			m[string(k)] = string(t)
		}
	}
	return m
}

// EvalItems lists the checklist items (the current versions, or all with withRetired); every signed-in user
// may read the checklists.
func (s *Evaluation) EvalItems(ctx context.Context, p domain.Principal, siteType string, withRetired bool) ([]domain.EvalItem, error) {
	if v, err := view(p, MapData); err != nil || v.Denied {
		return nil, orForbidden(err)
	}
	if siteType != "" && !vocab.SiteType(siteType).Valid() {
		return nil, invalid("site_type", "site_type must be %s", either(vocab.Strings(vocab.SiteTypes)))
	}
	return s.Store.EvalItems(ctx, siteType, withRetired)
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func orForbidden(err error) error {
	if err != nil {
		return err
	}
	return domain.ErrForbidden
}

func (s *Evaluation) checkItem(ctx context.Context, it domain.EvalItem, creating bool) error {
	var c checker
	if creating {
		c.check(vocab.SiteType(it.SiteType).Valid(), "site_type", "site_type must be %s", either(vocab.Strings(vocab.SiteTypes)))
		c.check(codeRE.MatchString(it.Code), "code", "a code of 1–64 letters, digits, '.', '_' or '-'")
	}
	n := utf8.RuneCountInString(it.NameZh)
	c.check(n >= 1 && n <= 200, "name_zh", "a name of 1–200 characters is required")
	c.check(it.Weight > 0 && it.Weight <= 100 && !math.IsNaN(it.Weight), "weight", "a weight in (0, 100]")
	c.check(vocab.CheckKind(it.CheckKind).Valid(), "check_kind", "check_kind must be %s", either(vocab.Strings(vocab.CheckKinds)))
	c.check(vocab.CheckKind(it.CheckKind) == vocab.YesNo || (it.Threshold != nil && !math.IsNaN(*it.Threshold) && !math.IsInf(*it.Threshold, 0)),
		"threshold", "a count or measure item needs a threshold")
	c.check(vocab.Comparator(it.Comparator).Valid(), "comparator", "comparator must be min or max")
	c.check(utf8.RuneCountInString(it.UnitLabel) <= 20, "unit_label", "at most 20 characters")
	if it.CategoryCode == "" {
		c.add("category_code", "the category a failure is filed under is required")
	} else if _, err := s.Store.Category(ctx, it.CategoryCode); errors.Is(err, store.ErrNotFound) {
		c.add("category_code", "no category with code %q", it.CategoryCode)
	} else if err != nil {
		return err
	}
	return c.err()
}

// CreateEvalItem adds a checklist item (version 1 of a new code).
func (s *Evaluation) CreateEvalItem(ctx context.Context, p domain.Principal, it domain.EvalItem) (domain.EvalItem, error) {
	if it.Comparator == "" {
		it.Comparator = string(vocab.AtLeast)
	}
	if err := s.checkItem(ctx, it, true); err != nil {
		return it, err
	}
	return s.Store.CreateEvalItem(ctx, it)
}

// ReviseEvalItem replaces a current item by its next version; rounds already created keep the old one.
func (s *Evaluation) ReviseEvalItem(ctx context.Context, p domain.Principal, id int64, it domain.EvalItem) (domain.EvalItem, error) {
	if it.Comparator == "" {
		it.Comparator = string(vocab.AtLeast)
	}
	if err := s.checkItem(ctx, it, false); err != nil {
		return it, err
	}
	return s.Store.ReviseEvalItem(ctx, id, it)
}

// EvalSites lists the sites (of one type when siteType is set).
func (s *Evaluation) EvalSites(ctx context.Context, p domain.Principal, siteType string) ([]domain.EvalSite, error) {
	if v, err := view(p, MapData); err != nil || v.Denied {
		return nil, orForbidden(err)
	}
	if siteType != "" && !vocab.SiteType(siteType).Valid() {
		return nil, invalid("site_type", "site_type must be %s", either(vocab.Strings(vocab.SiteTypes)))
	}
	return s.Store.EvalSites(ctx, siteType, nil)
}

// CreateEvalSite pins a site by hand (a residential compound); its unit is the owner at the point.
func (s *Evaluation) CreateEvalSite(ctx context.Context, p domain.Principal, x domain.EvalSite) (domain.EvalSite, error) {
	var c checker
	c.check(vocab.SiteType(x.SiteType).Valid(), "site_type", "site_type must be %s", either(vocab.Strings(vocab.SiteTypes)))
	n := utf8.RuneCountInString(x.Name)
	c.check(n >= 1 && n <= 200, "name", "a name of 1–200 characters is required")
	c.check(validPoint(x.Point), "geometry", "coordinates must be [lon, lat] with lon in [-180, 180] and lat in [-90, 90]")
	if err := c.err(); err != nil {
		return x, err
	}
	if x.UnitID == nil {
		x.UnitID = s.ownerAt(ctx, x.Point)
	}
	return s.Store.CreateEvalSite(ctx, x)
}

func validPoint(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90 && !(p[0] == 0 && p[1] == 0)
}

// ownerAt is the lead unit at a point, as the report loop would route an event there (nil when nobody owns it).
func (s *Evaluation) ownerAt(ctx context.Context, p orb.Point) *int64 {
	o, err := s.Reports.Locate.Owner(ctx, s.Store, p, nil)
	if err != nil || len(o.Units) == 0 {
		return nil
	}
	id := o.Units[0].ID
	return &id
}

// MaxRoundSites bounds a round (the real sampling visits a few dozen sites).
const MaxRoundSites = 500

// CreateRound creates a round: the chosen assets and sites plus, per site type, sites drawn at random; every
// current checklist item of the sites' types; the evaluators (inspectors or admins).
func (s *Evaluation) CreateRound(ctx context.Context, p domain.Principal, nr domain.NewRound) (domain.EvalRound, error) {
	var c checker
	n := utf8.RuneCountInString(nr.Name)
	c.check(n >= 1 && n <= 200, "name", "a name of 1–200 characters is required")
	start, e1 := time.Parse(time.DateOnly, nr.StartsOn)
	end, e2 := time.Parse(time.DateOnly, nr.EndsOn)
	c.check(e1 == nil, "starts_on", "a date YYYY-MM-DD is required")
	c.check(e2 == nil, "ends_on", "a date YYYY-MM-DD is required")
	c.check(e1 != nil || e2 != nil || !end.Before(start), "ends_on", "the round cannot end before it starts")
	c.check(!nr.RectifyBy.IsZero(), "rectify_by", "the rectification deadline (整改期限, RFC 3339) is required")
	c.check(e1 != nil || nr.RectifyBy.IsZero() || nr.RectifyBy.After(start), "rectify_by", "the rectification deadline must come after the round starts")
	c.check(nr.Seed == nil || (*nr.Seed >= -1 && *nr.Seed <= 1), "seed", "a seed in [-1, 1]")
	total := len(nr.AssetIDs) + len(nr.SiteIDs)
	for t, k := range nr.Sample {
		if !vocab.SiteType(t).Valid() {
			c.add("sample", "unknown site type %q (site types are %s)", t, either(vocab.Strings(vocab.SiteTypes)))
		}
		c.check(k >= 0 && k <= MaxRoundSites, "sample", "draw between 0 and 500 sites of a type")
		total += max(k, 0)
	}
	c.check(total > 0, "sites", "choose sites (asset_ids, site_ids) or draw some (sample)")
	c.check(total <= MaxRoundSites, "sites", "at most %d sites in a round", MaxRoundSites)
	c.check(len(nr.Evaluators) > 0, "evaluators", "name at least one evaluator")
	if err := c.err(); err != nil {
		return domain.EvalRound{}, err
	}
	for _, uid := range nr.Evaluators {
		u, err := s.Store.UserByID(ctx, uid)
		if errors.Is(err, store.ErrNotFound) {
			return domain.EvalRound{}, invalid("evaluators", "no user with id %d", uid)
		} else if err != nil {
			return domain.EvalRound{}, err
		}
		if !vocab.Is(u.Role, vocab.EvaluatorRoles) {
			return domain.EvalRound{}, invalid("evaluators", "user %s is a %s; evaluators are inspectors or admins", u.Username, u.Role)
		}
	}
	var round domain.EvalRound
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		assets := append([]int64{}, nr.AssetIDs...)
		siteIDs := append([]int64{}, nr.SiteIDs...)
		for _, t := range vocab.SiteTypes {
			k := nr.Sample[string(t)]
			if k <= 0 {
				continue
			}
			if kind := t.AssetKind(); kind != "" {
				ids, err := tx.SampleAssets(ctx, string(kind), k, nr.Seed)
				if err != nil {
					return err
				}
				assets = append(assets, ids...)
			} else {
				ids, err := tx.SampleSites(ctx, string(t), k, nr.Seed)
				if err != nil {
					return err
				}
				siteIDs = append(siteIDs, ids...)
			}
		}
		sites, err := tx.SitesForAssets(ctx, assets, siteKinds())
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return invalid("asset_ids", "%s", strings.TrimPrefix(err.Error(), "store: "))
		} else if err != nil {
			return err
		}
		if len(nr.SiteIDs) > 0 {
			known, err := tx.EvalSites(ctx, "", nr.SiteIDs)
			if err != nil {
				return err
			}
			if len(known) != len(uniqIDs(nr.SiteIDs)) {
				return invalid("site_ids", "some site ids do not exist")
			}
			sites = append(sites, known...)
		}
		for _, x := range sites {
			siteIDs = append(siteIDs, x.ID)
			if x.UnitID == nil {
				if u := s.ownerAt(ctx, x.Point); u != nil {
					if err := tx.SetSiteUnit(ctx, x.ID, *u); err != nil {
						return err
					}
				}
			}
		}
		if len(siteIDs) == 0 {
			return invalid("sample", "the network has no assets of the types asked for")
		}
		r := domain.EvalRound{Name: nr.Name, StartsOn: nr.StartsOn, EndsOn: nr.EndsOn, RectifyBy: nr.RectifyBy.UTC()}
		round, err = tx.CreateRound(ctx, r, siteIDs, nr.Evaluators, idPtr(p))
		if err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(p), "create", "eval_round", round.ID, nil, map[string]any{"name": round.Name, "sites": len(round.Sites)})
	})
	return round, err
}

func uniqIDs(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Rounds lists the rounds (every signed-in user: the scores are the county's, like the league table).
func (s *Evaluation) Rounds(ctx context.Context, p domain.Principal) ([]domain.EvalRound, error) {
	if v, err := view(p, UnitStats); err != nil || v.Denied {
		return nil, orForbidden(err)
	}
	return s.Store.Rounds(ctx)
}

// Round returns a round with its sites, items and evaluators.
func (s *Evaluation) Round(ctx context.Context, p domain.Principal, id int64) (domain.EvalRound, error) {
	if v, err := view(p, UnitStats); err != nil || v.Denied {
		return domain.EvalRound{}, orForbidden(err)
	}
	return s.Store.Round(ctx, id)
}

// Results lists a round's results.
func (s *Evaluation) Results(ctx context.Context, p domain.Principal, roundID int64) ([]domain.EvalResult, error) {
	if _, err := s.Round(ctx, p, roundID); err != nil {
		return nil, err
	}
	rs, err := s.Store.Results(ctx, roundID)
	if err != nil {
		return nil, err
	}
	// Who scored is a person, private like who reported (the unit fixes the problem, not the evaluator).
	if v, err := view(p, Reporters); err != nil {
		return nil, err
	} else if v.Denied {
		for i := range rs {
			rs[i].EvaluatorID = nil
		}
	}
	return rs, nil
}

// Scores scores a round (domain.Score).
func (s *Evaluation) Scores(ctx context.Context, p domain.Principal, roundID int64) (domain.Scores, error) {
	r, err := s.Round(ctx, p, roundID)
	if err != nil {
		return domain.Scores{}, err
	}
	res, err := s.Store.Results(ctx, roundID)
	if err != nil {
		return domain.Scores{}, err
	}
	return domain.Score(r.Sites, r.Items, res), nil
}

// MaxResults bounds one sync of results (a phone's outbox for a whole round fits).
const MaxResults = 2000

// Record stores an evaluator's verdicts on a round (a phone syncing its outbox; sending the same verdicts again
// changes nothing). Each failure files one case at its position (or the site's), in the item's category, routed
// to the owner as any report, due at the round's rectification deadline; a pass after an earlier failure at the
// site closes that loop (verifying its case when the unit has reported it fixed); a failure after an earlier,
// rectified failure is a rebound (反弹).
func (s *Evaluation) Record(ctx context.Context, p domain.Principal, roundID int64, in []domain.NewResult) ([]domain.EvalResult, error) {
	round, err := s.Store.Round(ctx, roundID)
	if err != nil {
		return nil, err
	}
	if !vocab.Is(p.Role, []vocab.Role{vocab.Admin}) && !containsID(round.Evaluators, p.ID) {
		return nil, fmt.Errorf("%w: you are not an evaluator of round %d", domain.ErrForbidden, roundID)
	}
	if len(in) == 0 || len(in) > MaxResults {
		return nil, invalid("results", "send 1 to %d results", MaxResults)
	}
	sites := map[int64]domain.EvalSite{}
	for _, x := range round.Sites {
		sites[x.ID] = x
	}
	items := map[int64]domain.EvalItem{}
	for _, it := range round.Items {
		items[it.ID] = it
	}
	var c checker
	for i := range in {
		r := &in[i]
		f := fmt.Sprintf("results[%d]", i)
		x, okSite := sites[r.SiteID]
		it, okItem := items[r.ItemID]
		c.check(okSite, f+".site_id", "site %d is not in round %d", r.SiteID, roundID)
		c.check(okItem, f+".item_id", "item %d is not on the checklist of round %d", r.ItemID, roundID)
		if okSite && okItem && it.SiteType != x.SiteType {
			c.add(f+".item_id", "item %s is for %s sites; site %d is a %s", it.Code, it.SiteType, x.ID, x.SiteType)
		}
		if r.Value != nil && okItem && vocab.Outcome(r.Outcome) != vocab.NotApplicable {
			if math.IsNaN(*r.Value) || math.IsInf(*r.Value, 0) {
				c.add(f+".value", "a finite number")
			} else if o, ok := it.Judge(*r.Value); ok {
				r.Outcome = string(o) // a count or a measure decides by the threshold
			}
		}
		c.check(vocab.Outcome(r.Outcome).Valid(), f+".outcome", "outcome must be %s (or a value for a count or measure item)", either(vocab.Strings(vocab.Outcomes)))
		c.check(utf8.RuneCountInString(r.Note) <= 2000, f+".note", "at most 2000 characters")
		c.check(r.Point == nil || validPoint(*r.Point), f+".geometry", "coordinates must be [lon, lat]")
		c.check(len(r.Photo) <= domain.MaxPhotoBytes, f+".photo", "a photo may be at most 10 MB")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	out := make([]domain.EvalResult, 0, len(in))
	for _, r := range in {
		saved, err := s.record(ctx, p, round, sites[r.SiteID], items[r.ItemID], r)
		if err != nil {
			return out, err
		}
		out = append(out, saved)
	}
	return out, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// record saves one verdict and, for a failure, files its case (once: a failure linked to a case keeps it).
func (s *Evaluation) record(ctx context.Context, p domain.Principal, round domain.EvalRound, site domain.EvalSite, it domain.EvalItem, in domain.NewResult) (domain.EvalResult, error) {
	evaluator := idPtr(p)
	saved, err := s.Store.SaveResult(ctx, domain.EvalResult{RoundID: round.ID, SiteID: site.ID, ItemID: it.ID, Outcome: in.Outcome,
		Value: in.Value, Note: in.Note, Point: in.Point, EvaluatorID: evaluator})
	if errors.Is(err, store.ErrResultFiled) {
		return saved, fmt.Errorf("%w: %s at %s already failed and filed case %d; its verdict stands", domain.ErrConflict, it.Code, site.Name, *saved.ReportID)
	} else if err != nil {
		return saved, err
	}
	prior, err := s.Store.PriorFailure(ctx, site.ID, it.Code, round.ID)
	hasPrior := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return saved, err
	}
	switch vocab.Outcome(saved.Outcome) {
	case vocab.Pass:
		if hasPrior && !prior.Rechecked {
			if err := s.Store.MarkRechecked(ctx, prior.ResultID, saved.ID); err != nil {
				return saved, err
			}
			if prior.ReportID != nil && prior.ReportStatus == string(vocab.Resolved) {
				// The re-check on site is the verification; separation of duties still applies (workflow refuses
				// the one who fixed it), and then the case simply waits for another inspector.
				if _, _, err := s.Reports.Transition(ctx, p, *prior.ReportID, domain.Move{Action: string(vocab.Verify),
					Note: fmt.Sprintf("复查合格：%s（%s）", round.Name, it.NameZh)}); err != nil && !isRefusal(err) {
					return saved, err
				}
			}
		}
	case vocab.Fail:
		if saved.ReportID != nil {
			return saved, nil
		}
		var reboundOf *int64
		if hasPrior && (prior.Rechecked || vocab.Status(prior.ReportStatus).Handled()) {
			id := prior.ResultID
			reboundOf = &id
		}
		pt := site.Point
		if saved.Point != nil {
			pt = *saved.Point
		}
		desc := fmt.Sprintf("【%s】%s · %s：%s", round.Name, site.Name, it.NameZh, vocab.Fail.Label().Zh)
		if reboundOf != nil {
			desc += "（反弹）"
		}
		if in.Note != "" {
			desc += "。" + in.Note
		}
		dl := round.RectifyBy
		sourceID := "eval-result:" + strconv.FormatInt(saved.ID, 10)
		f, err := s.Reports.File(ctx, p, domain.NewReport{Point: &pt, Category: it.CategoryCode, Description: desc,
			Address: site.Name, Source: string(vocab.FromEval), SourceID: sourceID, Deadline: &dl})
		var rep domain.Report
		switch {
		case errors.Is(err, store.ErrConflict): // a concurrent sync of the same verdict filed it first
			if rep, err = s.Store.ReportBySource(ctx, string(vocab.FromEval), sourceID); err != nil {
				return saved, err
			}
		case err != nil:
			return saved, err
		default:
			rep = f.Report
		}
		if err := s.Store.LinkResult(ctx, saved.ID, rep.ID, reboundOf); err != nil {
			return saved, err
		}
		saved.ReportID, saved.ReboundOf = &rep.ID, reboundOf
		if len(in.Photo) > 0 {
			if _, err := s.Reports.AddPhoto(ctx, p, rep.ID, in.Photo); err != nil {
				return saved, err
			}
		}
	}
	return saved, nil
}

func isRefusal(err error) bool {
	var we *workflow.Error
	return errors.As(err, &we)
}

// RoundLedger is a round's rectification ledger (整改台账); unit staff see their own unit's lines only.
func (s *Evaluation) RoundLedger(ctx context.Context, p domain.Principal, roundID int64) (domain.Ledger, error) {
	v, err := view(p, Cases)
	if err != nil || v.Denied {
		return domain.Ledger{}, orForbidden(err)
	}
	r, err := s.Store.Round(ctx, roundID)
	if err != nil {
		return domain.Ledger{}, err
	}
	rows, err := s.Store.RoundLedger(ctx, roundID, v.Unit)
	if err != nil {
		return domain.Ledger{}, err
	}
	return domain.NewLedger(r.Name, &r.ID, rows, s.now()), nil
}

// FeedbackLedger is the ledger of the provincial feedback list.
func (s *Evaluation) FeedbackLedger(ctx context.Context, p domain.Principal) (domain.Ledger, error) {
	v, err := view(p, Cases)
	if err != nil || v.Denied {
		return domain.Ledger{}, orForbidden(err)
	}
	rows, err := s.Store.FeedbackLedger(ctx, v.Unit)
	if err != nil {
		return domain.Ledger{}, err
	}
	return domain.NewLedger(vocab.FromFeedback.Label().Zh, nil, rows, s.now()), nil
}

// Readiness is the leaders' view: every round's and the feedback list's ledger lines grouped by unit and by site
// type (share rectified on time), the overdue lines, and the county score of every round in order. The shares
// count units and site types (like the league table); the overdue lines are cases, so unit staff see their own.
func (s *Evaluation) Readiness(ctx context.Context, p domain.Principal) (domain.Readiness, error) {
	if v, err := view(p, UnitStats); err != nil || v.Denied {
		return domain.Readiness{}, orForbidden(err)
	}
	cases, err := view(p, Cases)
	if err != nil {
		return domain.Readiness{}, err
	}
	now := s.now()
	rounds, err := roundSummaries(ctx, s.Store, now)
	if err != nil {
		return domain.Readiness{}, err
	}
	out := domain.Readiness{Overdue: []domain.LedgerRow{}, Trend: []domain.RoundScore{}}
	var all []domain.LedgerRow
	for _, r := range rounds {
		out.Trend = append(out.Trend, r.RoundScore)
		all = append(all, r.Ledger.Rows...)
	}
	fb, err := s.Store.FeedbackLedger(ctx, nil)
	if err != nil {
		return out, err
	}
	all = append(all, domain.NewLedger("", nil, fb, now).Rows...)
	out.ByUnit = domain.Shares(all, func(l domain.LedgerRow) (string, string) {
		if l.UnitID == nil {
			return "", "（未派遣）"
		}
		return strconv.FormatInt(*l.UnitID, 10), l.UnitName
	})
	out.BySiteType = domain.Shares(all, func(l domain.LedgerRow) (string, string) {
		if l.SiteType == "" {
			return "feedback", vocab.FromFeedback.Label().Zh
		}
		return l.SiteType, vocab.SiteType(l.SiteType).Label().Zh
	})
	for _, l := range all {
		if l.Overdue && !l.Rectified && cases.sees(l.UnitID) {
			out.Overdue = append(out.Overdue, l)
		}
	}
	return out, nil
}

// ImportFeedback reads a feedback list and files each row it can locate as a case with source 测评反馈, due at
// rectifyBy when given (else by its category's limit). Rows are located by their coordinates, else by a road and
// a cross street in the place description ("XX路与XX路交叉口向西XX米") against the network; rows it cannot locate
// are kept and listed with why. A row already filed (same content hash) files nothing again.
func (s *Evaluation) ImportFeedback(ctx context.Context, p domain.Principal, name string, data []byte, rectifyBy *time.Time) (domain.FeedbackImport, error) {
	rows, err := feedback.Read(name, data)
	if err != nil {
		return domain.FeedbackImport{}, invalid("file", "%s", err.Error())
	}
	if len(rows) == 0 {
		return domain.FeedbackImport{}, invalid("file", "the list has a header but no rows")
	}
	if len(rows) > 5000 {
		return domain.FeedbackImport{}, invalid("file", "at most 5000 rows in one list")
	}
	cats, err := s.Store.Categories(ctx, true)
	if err != nil {
		return domain.FeedbackImport{}, err
	}
	sum := sha256.Sum256(data)
	by := idPtr(p)
	id, err := s.Store.CreateFeedbackImport(ctx, name, hex.EncodeToString(sum[:]), rectifyBy, by)
	if err != nil {
		return domain.FeedbackImport{}, err
	}
	out := domain.FeedbackImport{ImportID: id, Unlocated: []domain.FeedbackRow{}, Results: []domain.FeedbackRow{}}
	seen := map[string]int{}
	for _, r := range rows {
		out.Rows++
		fr := domain.FeedbackRow{ImportID: id, RowNo: r.Line, Seq: r.Seq, Place: r.Place, Problem: r.Problem,
			Category: r.Category, Photos: r.Photos, Hash: r.Hash()}
		if line, dup := seen[fr.Hash]; dup {
			fr.Reason = fmt.Sprintf("与第 %d 行内容相同，未重复立案", line)
			out.Already++
			out.Results = append(out.Results, fr)
			continue
		}
		seen[fr.Hash] = r.Line
		if old, err := s.Store.FeedbackRowByHash(ctx, fr.Hash); err == nil && old.ReportID != nil {
			old.RowNo, old.Seq = r.Line, r.Seq
			old.Reason = fmt.Sprintf("已于此前导入立案（案卷 %d）", *old.ReportID)
			out.Already++
			out.Results = append(out.Results, old)
			continue
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
		pt, how, ok, err := s.locate(ctx, r)
		if err != nil {
			return out, err
		}
		fr.Located, fr.Reason = ok, how
		if ok {
			code, note := categoryFor(cats, r.Category, r.Problem)
			if note != "" {
				fr.Reason += "；" + note
			}
			desc := "【" + vocab.FromFeedback.Label().Zh
			if r.Seq != "" {
				desc += " 序号 " + r.Seq
			}
			desc += "】" + r.Problem
			if r.Photos != "" {
				desc += "（照片：" + r.Photos + "）"
			}
			f, err := s.Reports.File(ctx, p, domain.NewReport{Point: &pt, Category: code, Description: clip(desc, 4000),
				Address: clip(r.Place, 500), Source: string(vocab.FromFeedback), SourceID: fr.Hash, Deadline: rectifyBy})
			switch {
			case errors.Is(err, store.ErrConflict):
				rep, err := s.Store.ReportBySource(ctx, string(vocab.FromFeedback), fr.Hash)
				if err != nil {
					return out, err
				}
				fr.ReportID = &rep.ID
				out.Already++
			case err != nil:
				return out, err
			default:
				fr.ReportID = &f.Report.ID
				out.Filed++
			}
		}
		saved, err := s.Store.SaveFeedbackRow(ctx, fr)
		if err != nil {
			return out, err
		}
		fr.ID = saved.ID
		if !ok {
			out.Unlocated = append(out.Unlocated, fr)
		}
		out.Results = append(out.Results, fr)
	}
	return out, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// locate finds a row's point: its coordinates, or its road and cross street in the network. how says which,
// or why neither worked.
func (s *Evaluation) locate(ctx context.Context, r feedback.Row) (orb.Point, string, bool, error) {
	if r.Lon != nil && r.Lat != nil {
		return orb.Point{*r.Lon, *r.Lat}, "按经纬度定位", true, nil
	}
	pl, ok, why := feedback.ParsePlace(r.Place)
	if !ok {
		if r.CoordError != "" {
			why = r.CoordError + "；" + why
		}
		return orb.Point{}, why, false, nil
	}
	road, err := s.Store.LineNamedAtEnd(ctx, pl.Road)
	if errors.Is(err, store.ErrNotFound) {
		return orb.Point{}, fmt.Sprintf("路网中没有「%s」", pl.Road), false, nil
	} else if err != nil {
		return orb.Point{}, "", false, err
	}
	cross, err := s.Store.LineNamedAtEnd(ctx, pl.Cross)
	if errors.Is(err, store.ErrNotFound) {
		return orb.Point{}, fmt.Sprintf("路网中没有「%s」", pl.Cross), false, nil
	} else if err != nil {
		return orb.Point{}, "", false, err
	}
	pt, err := s.Store.Crossing(ctx, road.ID, cross.ID, pl.Bearing, pl.OffsetM)
	if errors.Is(err, store.ErrNotFound) {
		return orb.Point{}, fmt.Sprintf("「%s」与「%s」在路网中不相交", road.Name, cross.Name), false, nil
	} else if err != nil {
		return orb.Point{}, "", false, err
	}
	how := fmt.Sprintf("按「%s」与「%s」交叉口定位", road.Name, cross.Name)
	if pl.OffsetM > 0 {
		how += fmt.Sprintf("，沿%s偏移 %.0f 米", road.Name, pl.OffsetM)
	}
	return pt, how, true, nil
}

// fallbackCategory is the category a feedback row is filed under when neither its 类别 nor its text names one.
const fallbackCategory = "SRHJ-01"

// categoryFor matches a row's 类别 to a category (code, name, or a part of the name), else the words of its
// problem to a category's names; note says when it had to guess.
func categoryFor(cats []domain.Category, given, problem string) (code, note string) {
	given = strings.TrimSpace(given)
	if given != "" {
		for _, c := range cats {
			if strings.EqualFold(c.Code, given) || c.NameZh == given {
				return c.Code, ""
			}
		}
		for _, c := range cats {
			for _, part := range strings.Split(c.NameZh, "/") {
				if strings.Contains(given, part) || strings.Contains(part, given) {
					return c.Code, ""
				}
			}
		}
	}
	for _, c := range cats {
		for _, part := range strings.Split(c.NameZh, "/") {
			if utf8.RuneCountInString(part) >= 2 && strings.Contains(problem, part) {
				return c.Code, "类别按问题描述识别为「" + c.NameZh + "」"
			}
		}
	}
	for _, c := range cats {
		if c.Code == fallbackCategory {
			return c.Code, "类别未能识别，暂归「" + c.NameZh + "」，请核对"
		}
	}
	if len(cats) > 0 {
		return cats[0].Code, "类别未能识别，暂归「" + cats[0].NameZh + "」，请核对"
	}
	return fallbackCategory, ""
}

// FeedbackRows lists the stored feedback rows (located nil: all); rows without a case name no unit, so only those
// who see every case see them.
func (s *Evaluation) FeedbackRows(ctx context.Context, p domain.Principal, located *bool) ([]domain.FeedbackRow, error) {
	v, err := view(p, Cases)
	if err != nil || v.Denied {
		return nil, orForbidden(err)
	}
	if v.Unit != nil { // a unit sees cases, not the list's rows
		return []domain.FeedbackRow{}, nil
	}
	return s.Store.FeedbackRows(ctx, located)
}

// roundSummaries scores every round, oldest first, with its judged ledger.
func roundSummaries(ctx context.Context, st *store.Store, now time.Time) ([]domain.EvalRoundSummary, error) {
	rounds, err := st.Rounds(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.EvalRoundSummary, 0, len(rounds))
	for _, r := range rounds {
		full, err := st.Round(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		res, err := st.Results(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		rows, err := st.RoundLedger(ctx, r.ID, nil)
		if err != nil {
			return nil, err
		}
		sc := domain.Score(full.Sites, full.Items, res)
		out = append(out, domain.EvalRoundSummary{
			RoundScore: domain.RoundScore{RoundID: r.ID, Name: r.Name, StartsOn: r.StartsOn, County: sc.County, Types: sc.Types},
			Ledger:     domain.NewLedger(r.Name, &r.ID, rows, now)})
	}
	return out, nil
}

// evalBriefing is the briefing's evaluation section: the county score and rectification totals of every round
// (counts only, like the league table); nil when no round exists.
func evalBriefing(ctx context.Context, st *store.Store, now time.Time) (*domain.EvalBriefing, error) {
	rs, err := roundSummaries(ctx, st, now)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	for i := range rs {
		rs[i].Ledger.Rows = nil
	}
	return &domain.EvalBriefing{Rounds: rs}, nil
}

// Evaluators lists who may score a round (inspectors and admins): id, name and role, for the round form.
func (s *Evaluation) Evaluators(ctx context.Context, p domain.Principal) ([]domain.User, error) {
	us, err := s.Store.UsersWithRoles(ctx, vocab.Strings(vocab.EvaluatorRoles))
	for i := range us {
		us[i].PasswordHash = ""
	}
	return us, err
}
