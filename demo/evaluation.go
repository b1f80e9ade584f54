package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/vocab"
)

// The evaluation (测评): a mock round three weeks ago on sampled sites, whose failures were filed as cases due
// at its rectification deadline (now passed: most rectified on time, some late, some still open), and the
// provincial team's feedback list imported last week (due next week: some done, the rest in hand), so the leaders'
// readiness screen has rounds, a trend and overdue lines.
const (
	roundDaysAgo    = 21
	rectifyDays     = 14 // the round's 整改期限, after its first day
	feedbackDaysAgo = 6
)

// evaluation runs the mock round and imports the feedback list; nothing when a round exists.
func (l *life) evaluation(ctx context.Context, ev *service.Evaluation, t Town) (rounds, results, filed int, err error) {
	have, err := ev.Rounds(ctx, l.admin)
	if err != nil || len(have) > 0 {
		return 0, 0, 0, err
	}
	rng := mrand.New(mrand.NewPCG(seedHi, 0xE7A1))
	loc := time.FixedZone("CST", 8*3600)
	day := l.now.In(loc).AddDate(0, 0, -roundDaysAgo)
	day = time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
	rectify := day.AddDate(0, 0, rectifyDays).Add(9 * time.Hour)
	seed := 0.17
	l.clock = day.UTC()
	evaluators := []int64{l.insp[0].ID, l.insp[1].ID}
	round, err := ev.CreateRound(ctx, l.admin, domain.NewRound{Name: day.Format("2006年1月") + "模拟测评", StartsOn: day.Format(time.DateOnly),
		EndsOn: day.AddDate(0, 0, 1).Format(time.DateOnly), RectifyBy: rectify, Seed: &seed, Evaluators: evaluators,
		Sample: map[string]int{string(vocab.MainRoad): 8, string(vocab.AlleySite): 6, string(vocab.MarketSite): 3, string(vocab.ParkSite): 3}})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("demo evaluation: round: %w", err)
	}
	// The evaluators walk the sites over the round's two days, each scoring every item of the checklist;
	// markets and the shopping streets fail more often.
	var failed []int64
	for i, site := range round.Sites {
		l.clock = day.Add(time.Duration(i%10)*40*time.Minute + time.Duration(i/10)*24*time.Hour).UTC()
		who := l.insp[i%2]
		var in []domain.NewResult
		for _, it := range round.Items {
			if it.SiteType != site.SiteType {
				continue
			}
			fail := 0.12
			if site.SiteType == string(vocab.MarketSite) || site.SiteType == string(vocab.MainRoad) {
				fail = 0.22
			}
			r := domain.NewResult{SiteID: site.ID, ItemID: it.ID, Outcome: string(vocab.Pass)}
			if rng.Float64() < fail {
				r.Outcome, r.Note = string(vocab.Fail), "现场检查未达标："+it.NameZh
				r.Photo = l.photos.before[rng.IntN(len(l.photos.before))]
			}
			in = append(in, r)
		}
		if len(in) == 0 {
			continue
		}
		saved, err := ev.Record(ctx, who, round.ID, in)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("demo evaluation: results at %s: %w", site.Name, err)
		}
		results += len(saved)
		for _, x := range saved {
			if x.ReportID != nil {
				failed = append(failed, *x.ReportID)
			}
		}
	}
	if err := l.rectify(ctx, rng, failed, day.Add(24*time.Hour), rectify); err != nil {
		return 0, 0, 0, err
	}
	// The provincial team's list: most rows with coordinates, one they could not place.
	imported := l.now.In(loc).AddDate(0, 0, -feedbackDaysAgo)
	imported = time.Date(imported.Year(), imported.Month(), imported.Day(), 15, 0, 0, 0, loc)
	due := imported.AddDate(0, 0, 14)
	data, err := l.feedbackList(rng, t)
	if err != nil {
		return 0, 0, 0, err
	}
	l.clock = imported.UTC()
	fi, err := ev.ImportFeedback(ctx, l.admin, "省测评反馈问题清单.csv", data, &due)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("demo evaluation: feedback: %w", err)
	}
	var cases []int64
	for _, r := range fi.Results {
		if r.ReportID != nil {
			cases = append(cases, *r.ReportID)
		}
	}
	if err := l.rectify(ctx, rng, cases, imported.Add(2*time.Hour), due); err != nil {
		return 0, 0, 0, err
	}
	return 1, results, fi.Filed, nil
}

// feedbackList writes the feedback list as the provincial team sends it (a CSV of 序号, 点位, 问题描述, 类别,
// 经度, 纬度): problems on the busiest streets and around the markets.
func (l *life) feedbackList(rng *mrand.Rand, t Town) ([]byte, error) {
	problems := []struct{ cat, text string }{
		{"JMZX-01", "占道经营，流动摊贩聚集"}, {"SRHJ-01", "路边暴露垃圾未及时清运"}, {"XCGG-01", "墙面张贴小广告"},
		{"JMZX-05", "非机动车乱停乱放，占用盲道"}, {"SCZX-02", "市场周边马路市场"}, {"JMZX-02", "店外经营"},
		{"SRHJ-04", "私搭乱建彩钢棚"}, {"XCGG-05", "公益广告破损、褪色"},
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"序号", "点位", "问题描述", "类别", "经度", "纬度"})
	for i := 0; i < 14; i++ {
		pr := problems[rng.IntN(len(problems))]
		var p orb.Point
		place := ""
		if i%3 == 0 {
			p, place = l.near(l.markets), "农贸市场周边"
		} else {
			k := rng.IntN(len(l.streets))
			p, place = l.along(l.streets[k:k+1]), l.streets[k].name
		}
		_ = w.Write([]string{fmt.Sprint(i + 1), place, pr.text, l.cats[pr.cat].NameZh, fmt.Sprintf("%.6f", p[0]), fmt.Sprintf("%.6f", p[1])})
	}
	_ = w.Write([]string{"15", "城区某小区门口", "垃圾桶满溢", "", "", ""})
	w.Flush()
	return buf.Bytes(), w.Error()
}

// rectify works the cases an evaluation filed: the unit accepts, fixes and reports with an after photo, and an
// inspector verifies — most by the deadline, some after it, some not yet (still open at now).
func (l *life) rectify(ctx context.Context, rng *mrand.Rand, ids []int64, from, deadline time.Time) error {
	for _, id := range ids {
		r, err := l.rep.Store.Report(ctx, id)
		if err != nil {
			return err
		}
		if r.UnitID == nil {
			continue
		}
		staff := l.staff[*r.UnitID]
		span := deadline.Sub(from)
		var done time.Time
		switch f := rng.Float64(); {
		case f < 0.6:
			done = from.Add(time.Duration(rng.Float64() * 0.9 * float64(span)))
		case f < 0.75:
			done = deadline.Add(time.Duration(2+rng.IntN(72)) * time.Hour) // late
		default:
			done = l.now.Add(time.Hour) // not yet
		}
		accepted := from.Add(time.Duration(rng.Float64() * 0.2 * float64(span)))
		if accepted.After(l.now) {
			continue
		}
		l.clock = accepted.UTC()
		if _, _, err := l.rep.Transition(ctx, staff, id, service.Move{Action: string(vocab.Accept)}); err != nil {
			return fmt.Errorf("demo evaluation: accept case %d: %w", id, err)
		}
		if !done.After(accepted) || done.After(l.now) {
			continue
		}
		l.clock = done.UTC()
		up, err := l.rep.AddPhoto(ctx, staff, id, l.photos.after[rng.IntN(len(l.photos.after))])
		if err != nil {
			return err
		}
		if _, _, err := l.rep.Transition(ctx, staff, id, service.Move{Action: string(vocab.Resolve), PhotoID: &up.Photo.ID, Note: "已按测评要求整改"}); err != nil {
			return fmt.Errorf("demo evaluation: resolve case %d: %w", id, err)
		}
		if v := done.Add(time.Duration(2+rng.IntN(20)) * time.Hour); v.Before(l.now) {
			l.clock = v.UTC()
			if _, _, err := l.rep.Transition(ctx, l.insp[rng.IntN(2)], id, service.Move{Action: string(vocab.Verify), Note: "复查整改到位"}); err != nil {
				return fmt.Errorf("demo evaluation: verify case %d: %w", id, err)
			}
		}
	}
	return nil
}
