package demo

import (
	"context"
	"fmt"
	"time"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/vocab"
)

// Residents report through the public page (service.Citizens) too: publicShare of the problems, moderated by the
// admin some hours later — most accepted as cases (routed like any report), some merged into the open case they
// repeat, some rejected with a reason — and rated (满意, 基本满意, 不满意) once their case is closed. What was
// submitted in the last hours still waits in the moderation queue.
const publicShare = 0.08

// publicPlan is a resident's side of a plan.
type publicPlan struct {
	code     string
	id       int64
	decision string // accept, merge, reject
	into     *plan  // merge: the open case the resident repeats
	rated    bool
	waits    bool // nobody has looked at it yet: it stays in the moderation queue
}

// quiet drops the notices (SMS) residents would get: the demo sends none.
type quiet struct{}

func (quiet) Notify(context.Context, service.Notice) error { return nil }

// residents is the public reporting service over the simulation's report loop, without the flood limits (every
// demo submission is made in the same few seconds of real time).
func residents(rep *service.Reports) *service.Citizens {
	c := service.NewCitizens(rep, quiet{})
	c.AddressLimit, c.DeviceLimit = 1<<30, 1<<30
	return c
}

var (
	nicknames = []string{"热心市民", "张阿姨", "老李", "王先生", "小陈", "东关居民", "刘女士", "赵师傅", "晨练的老周", "南关住户", "匿名", ""}
	rejects   = []string{"经现场核实，未发现所述问题", "不属于城市管理范围，请拨打12345反映", "位置描述不清，无法核实", "照片与描述不符"}
)

// resident makes pl a resident's report and decides its moderation.
func (l *life) resident(pl *plan) {
	pp := &publicPlan{decision: "accept"}
	switch f := l.rng.Float64(); {
	case f < 0.17:
		pp.decision = "merge"
	case f < 0.35:
		pp.decision = "reject"
	}
	pl.public, pl.withPhoto = pp, l.rng.Float64() < 0.8
	if pl.fate == "void" || pl.fate == "return" {
		pl.fate = "normal" // moderation keeps out what a dispatcher would void
	}
}

// waiting plans the residents' reports of the last hours, which wait in the moderation queue.
func (l *life) waiting() {
	for n := 0; n < 4; {
		pl := l.newPlan()
		if vocab.CategoryType(l.cats[pl.cat].Type) != vocab.EventType {
			continue
		}
		l.resident(pl)
		pl.public.decision, pl.public.waits = "accept", true
		l.push(l.now.Add(-time.Duration(20+l.rng.IntN(300))*time.Minute).Truncate(time.Second), stFile, pl)
		n++
	}
}

// submit files the resident's report through the public page's service; a resident who repeats a case reports
// where that case is.
func (l *life) submit(ctx context.Context, at time.Time, pl *plan) error {
	pp := pl.public
	if pp.decision == "merge" {
		for i := len(l.recent) - 1; i >= 0; i-- {
			if r := l.recent[i]; r.public == nil && r.dupOf == nil && vocab.CategoryType(l.cats[r.cat].Type) == vocab.EventType {
				pp.into, pl.cat = r, r.cat
				pl.p = offset(r.p, l.rng.NormFloat64()*10, l.rng.NormFloat64()*10)
				break
			}
		}
	}
	c := l.cats[pl.cat]
	l.res.Public++
	in := domain.NewPublicReport{Point: &pl.p, Category: pl.cat, Description: "路过看到" + c.NameZh + "，希望尽快处理",
		Nickname: nicknames[l.rng.IntN(len(nicknames))], Phone: l.phone(), Device: fmt.Sprintf("demo-device-%d", l.rng.IntN(400)),
		Addr: fmt.Sprintf("2001:db8:%x::1", l.rng.IntN(4000))}
	if pl.withPhoto {
		in.Photos = [][]byte{l.photos.before[l.rng.IntN(len(l.photos.before))]}
	}
	f, err := l.cit.Submit(ctx, in)
	if err != nil {
		return err
	}
	pp.code = f.Code
	if pp.waits {
		return nil
	}
	// The moderator looks at the queue in working hours: within the day, or the next morning.
	l.push(hoursAfter(at, l.uni(1, 20)), stModerate, pl)
	return nil
}

func (l *life) phone() string {
	if l.rng.IntN(3) == 0 {
		return "" // not everyone leaves a number
	}
	pre := []string{"135", "138", "139", "150", "158", "187"}
	return fmt.Sprintf("%s%08d", pre[l.rng.IntN(len(pre))], l.rng.IntN(100000000))
}

// moderate decides a resident's report as planned; a merge whose case has closed meanwhile is accepted instead.
func (l *life) moderate(ctx context.Context, at time.Time, pl *plan) error {
	pp := pl.public
	if pp.decision == "merge" {
		open := false
		if pp.into != nil && pp.into.id != 0 {
			r, err := l.rep.Store.Report(ctx, pp.into.id)
			if err != nil {
				return err
			}
			open = vocab.Is(r.Status, vocab.OpenStatuses)
		}
		if !open {
			pp.decision = "accept"
		}
	}
	q, err := l.rep.Store.PublicReportByCode(ctx, pp.code)
	if err != nil {
		return err
	}
	pp.id = q.ID
	m := domain.Moderation{Action: pp.decision}
	switch pp.decision {
	case "merge":
		m.ReportID = &pp.into.id
		m.Reason = "与已立案问题相同，合并办理"
	case "reject":
		m.Reason = rejects[l.rng.IntN(len(rejects))]
	}
	p, err := l.cit.Moderate(ctx, l.admin, pp.id, m)
	if err != nil {
		return err
	}
	switch pp.decision {
	case "merge":
		l.res.Merged++
	case "reject":
		l.res.Rejected++
	case "accept":
		l.res.Accepted++
		l.res.Reports++
		if p.ReportID == nil {
			return fmt.Errorf("public report %s accepted without a case", pp.code)
		}
		r, err := l.rep.Store.Report(ctx, *p.ReportID)
		if err != nil {
			return err
		}
		if err := l.filed(at, pl, r); err != nil {
			return err
		}
		l.work(at, pl)
	}
	return nil
}

// rate gives the resident's rating of the closed case: mostly content, now and then not (不满意 sends it back
// for another check, which the inspector verifies).
func (l *life) rate(ctx context.Context, at time.Time, pl *plan) error {
	rating := vocab.Satisfied
	switch f := l.rng.Float64(); {
	case f < 0.12:
		rating = vocab.Unsatisfied
	case f < 0.35:
		rating = vocab.Basically
	}
	if _, err := l.cit.Rate(ctx, pl.public.code, string(rating)); err != nil {
		return err
	}
	pl.public.rated = true
	l.res.Ratings++
	if rating == vocab.Unsatisfied {
		l.push(hoursAfter(at, l.uni(2, 24)), stVerify, pl)
	}
	return nil
}
