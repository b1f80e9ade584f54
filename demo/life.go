package demo

import (
	"container/heap"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// The demo's county life: LifeDays days of reports before now, filed and worked through the real report service
// (routing, the loop's rules, photos, the audit log), with the service's clock pinned to each step's time.
const (
	LifeDays = 90
	// lifePerDay is the mean number of reports on a weekday (weekends have fewer): about what two inspectors of a
	// small county seat's 城管 file.
	lifePerDay = 13
	// lifeSourcePrefix marks the demo's reports (reports.source_id); their presence makes Life a no-op.
	lifeSourcePrefix = "demo-life-"
)

// LifeResult says what Life did.
type LifeResult struct {
	Created bool // false: the demo's reports were already there and were left alone
	Reports int  // filed
	Steps   int  // transitions taken
	Photos  int  // uploads (before and after pictures)
	Staff   int  // duty accounts created for units that had no unit_staff account
	Open    int  // reports still running at the end (the queues)
	// Residents' public reports (service.Citizens): submitted, then accepted as cases, merged into an open case,
	// rejected with a reason, or still waiting for moderation; and their satisfaction ratings of closed cases.
	Public, Accepted, Merged, Rejected, Pending, Ratings int
}

// who is a person of the demo county.
type who = domain.Principal

// place is where a kind of problem happens, with the categories found there and how often.
type place struct {
	cats   []string
	weight float64
	pick   func(g *life) orb.Point
}

// life is the simulation's state.
type life struct {
	rng      *mrand.Rand
	rep      *service.Reports
	clock    time.Time
	now      time.Time
	cats     map[string]store.Category
	admin    who
	insp     []who
	staff    map[int64]who     // unit id → its duty account
	care     map[int64]float64 // unit id → how often it resolves on time
	unitCode map[string]int64
	lines    []weightedLine
	streets  []weightedLine
	markets  []orb.Polygon
	parks    []orb.Polygon
	photos   photoSet
	cit      *service.Citizens
	recent   []*plan // the last filings, for residents who report what is already a case
	res      LifeResult
	queue    stepQueue
	seq      int
}

type weightedLine struct {
	ls   orb.LineString
	name string
	cum  float64 // cumulative length up to and including this line
}

// Life files the demo county's last LifeDays days of reports, through the service, idempotently: when the demo's
// reports exist it does nothing. Everything happens in one transaction, so a failure leaves nothing half-lived.
// now is the end of the simulated period (the command passes time.Now()); steps planned after it stay undone,
// which leaves the queues with running reports, some of them overdue.
func Life(ctx context.Context, svc *service.Service, dataDir string, now time.Time, out io.Writer) (LifeResult, error) {
	var res LifeResult
	err := svc.Store.WithTx(ctx, func(tx *store.Store) error {
		n, err := tx.SourceReportCount(ctx, string(vocab.FromApp), lifeSourcePrefix)
		if err != nil || n > 0 {
			return err
		}
		s := service.New(tx, svc.Coverage, svc.Log)
		l := &life{rng: mrand.New(mrand.NewPCG(seedHi, 0x11FE)), now: now.UTC()}
		l.rep = service.NewReports(s.Store, service.CoverageLocator{Coverage: s.Coverage}, dataDir, svc.Log)
		l.rep.Now = func() time.Time { return l.clock }
		l.cit = residents(l.rep)
		if err := l.people(ctx, s); err != nil {
			return err
		}
		if err := l.setup(ctx, tx); err != nil {
			return err
		}
		if err := l.run(ctx); err != nil {
			return err
		}
		open, err := tx.SourceReportCount(ctx, string(vocab.FromApp), lifeSourcePrefix, vocab.Strings(vocab.RunningStatuses)...)
		l.res.Open, l.res.Created = int(open), true
		l.res.Pending = l.res.Public - l.res.Accepted - l.res.Merged - l.res.Rejected
		res = l.res
		return err
	})
	if err != nil {
		return LifeResult{}, err
	}
	if out != nil {
		if res.Created {
			fmt.Fprintf(out, "demo county life: %d reports over %d days, %d steps of the loop, %d photos, %d still running; %d duty accounts of units\n",
				res.Reports, LifeDays, res.Steps, res.Photos, res.Open, res.Staff)
			fmt.Fprintf(out, "  residents: %d public reports (%d accepted, %d merged, %d rejected, %d waiting for moderation), %d ratings\n",
				res.Public, res.Accepted, res.Merged, res.Rejected, res.Pending, res.Ratings)
		} else {
			fmt.Fprintln(out, "demo county life already there; left unchanged")
		}
	}
	return res, nil
}

// people finds the demo's accounts and makes a duty account for every unit that has no unit_staff account: the
// people who accept and resolve its reports. Their passwords are random and never shown (set one with
// `everymeter user add`).
func (l *life) people(ctx context.Context, s *service.Service) error {
	get := func(name string) (who, error) {
		u, err := s.Store.UserByName(ctx, name)
		if err != nil {
			return who{}, fmt.Errorf("demo life: user %s: %w (load the demo town first)", name, err)
		}
		return who{ID: u.ID, Name: u.Username, Role: u.Role, UnitID: u.UnitID}, nil
	}
	var err error
	if l.admin, err = get("admin"); err != nil {
		return err
	}
	for _, n := range []string{"inspector", "inspector2"} {
		w, err := get(n)
		if err != nil {
			return err
		}
		l.insp = append(l.insp, w)
	}
	l.staff, l.care, l.unitCode = map[int64]who{}, map[int64]float64{}, map[string]int64{}
	named := map[string]string{}
	for _, d := range demoUsers {
		if d.role == vocab.UnitStaff {
			named[d.unit] = d.name
		}
	}
	for _, d := range units {
		u, err := s.Store.UnitByCode(ctx, d.code)
		if err != nil {
			return fmt.Errorf("demo life: unit %s: %w", d.code, err)
		}
		l.unitCode[d.code] = u.ID
		// Some units work better than others: the ranking has something to rank.
		l.care[u.ID] = 0.55 + 0.4*l.rng.Float64()
		name := named[d.code]
		if name == "" {
			name = "duty_" + strings.ToLower(strings.ReplaceAll(d.code, "-", "_"))
			if _, err := s.Store.UserByName(ctx, name); errors.Is(err, store.ErrNotFound) {
				if _, err := s.AddUser(ctx, name, string(vocab.UnitStaff), d.code, rand.Text()); err != nil {
					return fmt.Errorf("demo life: user %s: %w", name, err)
				}
				l.res.Staff++
			} else if err != nil {
				return err
			}
		}
		w, err := get(name)
		if err != nil {
			return err
		}
		l.staff[u.ID] = w
	}
	return nil
}

// setup reads the categories and lays out where problems happen, from the generated town.
func (l *life) setup(ctx context.Context, tx *store.Store) error {
	cats, err := tx.Categories(ctx, true)
	if err != nil {
		return err
	}
	l.cats = map[string]store.Category{}
	for _, c := range cats {
		l.cats[c.Code] = c
	}
	for _, a := range Generate().Assets {
		switch g := a.Geom.(type) {
		case orb.LineString:
			if a.Attributes["commercial"] == true {
				l.streets = addLine(l.streets, g, a.Name)
			}
			l.lines = addLine(l.lines, g, a.Name)
		case orb.Polygon:
			if a.Kind == vocab.Market {
				l.markets = append(l.markets, g)
			} else {
				l.parks = append(l.parks, g)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				if a.Kind == vocab.Market {
					l.markets = append(l.markets, p)
				} else {
					l.parks = append(l.parks, p)
				}
			}
		}
	}
	if len(l.lines) == 0 || len(l.streets) == 0 || len(l.markets) == 0 || len(l.parks) == 0 {
		return errors.New("demo life: the generated town has no roads, commercial streets, markets or parks")
	}
	l.photos, err = makePhotos(l.rng)
	return err
}

func addLine(ws []weightedLine, ls orb.LineString, name string) []weightedLine {
	c := 0.0
	if len(ws) > 0 {
		c = ws[len(ws)-1].cum
	}
	for i := 1; i < len(ls); i++ {
		c += meters(ls[i-1], ls[i])
	}
	return append(ws, weightedLine{ls: ls, name: name, cum: c})
}

func meters(a, b orb.Point) float64 { return math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*ky) }

// offset moves p by east/north meters.
func offset(p orb.Point, e, n float64) orb.Point { return orb.Point{p[0] + e/kx, p[1] + n/ky} }

// along picks a point on the lines, uniformly by length, a few meters to the side (on the pavement).
func (l *life) along(ws []weightedLine) orb.Point {
	t := l.rng.Float64() * ws[len(ws)-1].cum
	k := 0
	for k < len(ws)-1 && ws[k].cum < t {
		k++
	}
	ls := ws[k].ls
	d := t - (ws[k].cum - lineLen(ls))
	for i := 1; i < len(ls); i++ {
		s := meters(ls[i-1], ls[i])
		if d <= s || i == len(ls)-1 {
			f := math.Min(1, d/math.Max(s, 1e-9))
			p := orb.Point{ls[i-1][0] + f*(ls[i][0]-ls[i-1][0]), ls[i-1][1] + f*(ls[i][1]-ls[i-1][1])}
			return offset(p, l.rng.NormFloat64()*4, l.rng.NormFloat64()*4)
		}
		d -= s
	}
	return ls[0]
}

func lineLen(ls orb.LineString) float64 {
	s := 0.0
	for i := 1; i < len(ls); i++ {
		s += meters(ls[i-1], ls[i])
	}
	return s
}

// near picks a point inside one of the polygons or just outside its edge (the street in front of a market).
func (l *life) near(ps []orb.Polygon) orb.Point {
	p := ps[l.rng.IntN(len(ps))]
	b := p.Bound()
	for range 50 {
		q := orb.Point{b.Min[0] + l.rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + l.rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.PolygonContains(p, q) {
			return q
		}
	}
	ring := p[0]
	v := ring[l.rng.IntN(len(ring))]
	return offset(v, l.rng.NormFloat64()*10, l.rng.NormFloat64()*10)
}

// places: most problems happen around the markets and on the commercial streets (DOMAIN.md: 马路市场, 店外经营).
var places = []place{
	{[]string{"SCZX-01", "SCZX-02", "SCZX-02", "SCZX-03", "SCZX-04", "JMZX-01", "JMZX-01", "JMZX-06", "SRHJ-01", "JMZX-04"}, 0.28,
		func(l *life) orb.Point { return l.near(l.markets) }},
	{[]string{"JMZX-02", "JMZX-02", "XCGG-01", "XCGG-02", "JMZX-04", "JMZX-05", "SRHJ-05", "BJ-05", "JMZX-01", "BJ-08"}, 0.22,
		func(l *life) orb.Point { return l.along(l.streets) }},
	{[]string{"BJ-06", "BJ-07", "SRHJ-06", "BJ-05", "SRHJ-01", "BJ-09"}, 0.08,
		func(l *life) orb.Point { return l.near(l.parks) }},
	{[]string{"JMZX-03", "JMZX-04", "JTZX-01", "JTZX-02", "JTZX-03", "SRHJ-02", "SRHJ-03", "SRHJ-04", "SRHJ-07",
		"BJ-01", "BJ-02", "BJ-03", "BJ-04", "SGGL-01", "SGGL-02", "SGGL-03", "XCGG-03", "XCGG-04", "XCGG-05", "QT-01", "BJ-10", "BJ-11"}, 0.42,
		func(l *life) orb.Point { return l.along(l.lines) }},
}

// ---- the simulation: a queue of steps ordered by time, each report's next step queued when its last one ran

type stepKind int

const (
	stFile stepKind = iota
	stAccept
	stResolve
	stVerify
	stRework
	stReopen
	stReturn
	stDispatch
	stExtend
	stVoid
	stDuplicate
	stModerate
	stRate
)

// plan is one report's life.
type plan struct {
	id        int64
	cat       string
	urgency   string
	p         orb.Point
	by        who
	dupOf     *plan  // a second filing of the same problem, marked duplicate of this one
	fate      string // normal, rework, reopen, extend, return, void, duplicate (lateness comes from the unit's care)
	unitID    int64
	dispatch  time.Time // when the clock (re)started
	limitH    float64
	reworks   int
	reopened  bool
	extended  bool
	withPhoto bool
	public    *publicPlan // filed by a resident through the public page
}

// lifeStep is one step of a report's life, due at a time.
type lifeStep struct {
	at   time.Time
	kind stepKind
	pl   *plan
	seq  int
}

// stepQueue is the simulation's agenda, a heap ordered by time (then by when the step was queued).
type stepQueue []lifeStep

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(lifeStep)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}

func (l *life) push(at time.Time, k stepKind, pl *plan) {
	if at.After(l.now) {
		return // not yet: the report waits where it is
	}
	l.seq++
	heap.Push(&l.queue, lifeStep{at: at, kind: k, pl: pl, seq: l.seq})
}

func (l *life) uni(a, b float64) float64 { return a + (b-a)*l.rng.Float64() }

func hoursAfter(t time.Time, h float64) time.Time {
	return t.Add(time.Duration(h * float64(time.Hour))).Truncate(time.Second)
}

// workHour returns a time on day d in the inspectors' hours, busiest mid-morning and late afternoon.
func (l *life) workHour(day time.Time) time.Time {
	h := 7.5 + 11*l.rng.Float64()
	if l.rng.IntN(3) == 0 {
		h = 9 + 2*l.rng.NormFloat64()
	}
	h = math.Max(6.5, math.Min(21, h))
	return day.Add(time.Duration(h * float64(time.Hour))).Truncate(time.Second)
}

// run plans every filing of the period and works the queue to its end.
func (l *life) run(ctx context.Context) error {
	loc := time.FixedZone("CST", 8*3600)
	start := l.now.In(loc).AddDate(0, 0, -LifeDays)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	for d := 0; d <= LifeDays; d++ {
		day := start.AddDate(0, 0, d)
		rate := float64(lifePerDay)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			rate *= 0.45
		}
		rate *= 0.85 + 0.3*float64(d)/LifeDays // the campaign picks up towards the inspection
		n := int(math.Max(0, math.Round(rate+l.rng.NormFloat64()*math.Sqrt(rate))))
		for range n {
			pl := l.newPlan()
			l.push(l.workHour(day), stFile, pl)
		}
	}
	l.waiting()
	for l.queue.Len() > 0 {
		s := heap.Pop(&l.queue).(lifeStep)
		l.clock = s.at.UTC()
		if err := l.do(ctx, s); err != nil {
			return fmt.Errorf("demo life: %s report %d (%s, %s) at %s: %w", kindName[s.kind], s.pl.id, s.pl.cat, s.pl.fate, s.at.Format(time.RFC3339), err)
		}
	}
	return nil
}

var kindName = map[stepKind]string{stFile: "file", stAccept: "accept", stResolve: "resolve", stVerify: "verify", stRework: "rework",
	stReopen: "reopen", stReturn: "return", stDispatch: "dispatch", stExtend: "extend", stVoid: "void", stDuplicate: "duplicate",
	stModerate: "moderate", stRate: "rate"}

func (l *life) newPlan() *plan {
	r := l.rng.Float64()
	pl := &plan{urgency: string(vocab.Normal), by: l.insp[l.rng.IntN(len(l.insp))], withPhoto: l.rng.Float64() < 0.7}
	for i, pc := range places {
		if r < pc.weight || i == len(places)-1 {
			pl.cat, pl.p = pc.cats[l.rng.IntN(len(pc.cats))], pc.pick(l)
			break
		}
		r -= pc.weight
	}
	if l.rng.Float64() < 0.1 {
		pl.urgency = string(vocab.Urgent)
	}
	if l.rng.Float64() < publicShare && vocab.CategoryType(l.cats[pl.cat].Type) == vocab.EventType {
		l.resident(pl)
	}
	switch f := l.rng.Float64(); {
	case f < 0.03:
		pl.fate = "void"
	case f < 0.07:
		pl.fate = "return"
	case f < 0.12:
		pl.fate = "extend"
	case f < 0.19:
		pl.fate = "rework"
	case f < 0.22:
		pl.fate = "reopen"
	default:
		pl.fate = "normal"
	}
	return pl
}

var enforcers = map[string]bool{"ZHZFJ": true, "GAJJ": true, "ZJJ": true, "SYJ": true}

// do takes one step and queues the report's next one.
func (l *life) do(ctx context.Context, s lifeStep) error {
	pl := s.pl
	staff := func() who { return l.staff[pl.unitID] }
	insp := func() who { return l.insp[l.rng.IntN(len(l.insp))] }
	move := func(w who, mv service.Move) error {
		r, _, err := l.rep.Transition(ctx, w, pl.id, mv)
		if err == nil {
			l.res.Steps++
			if r.UnitID != nil {
				pl.unitID = *r.UnitID
			}
		}
		return err
	}
	switch s.kind {
	case stFile:
		if pl.public != nil {
			return l.submit(ctx, s.at, pl)
		}
		return l.file(ctx, s.at, pl)
	case stModerate:
		return l.moderate(ctx, s.at, pl)
	case stRate:
		return l.rate(ctx, s.at, pl)
	case stDuplicate:
		return move(insp(), service.Move{Action: string(vocab.MarkDuplicate), DuplicateOf: &pl.dupOf.id, Note: "同一问题，已有上报"})
	case stAccept:
		if err := move(staff(), service.Move{Action: string(vocab.Accept)}); err != nil {
			return err
		}
		l.afterAccept(s.at, pl)
	case stExtend:
		if err := move(staff(), service.Move{Action: string(vocab.Extend), Note: "需协调相关部门，申请延期"}); err != nil {
			return err
		}
		pl.extended = true
		l.push(hoursAfter(pl.dispatch, pl.limitH*l.uni(1.1, 1.8)), stResolve, pl)
	case stResolve:
		up, err := l.rep.AddPhoto(ctx, staff(), pl.id, l.photos.after[l.rng.IntN(len(l.photos.after))])
		if err != nil {
			return err
		}
		l.res.Photos++
		if err := move(staff(), service.Move{Action: string(vocab.Resolve), PhotoID: &up.Photo.ID, Note: "已处置"}); err != nil {
			return err
		}
		next := hoursAfter(s.at, l.uni(0.5, 16))
		if pl.fate == "rework" && pl.reworks == 0 {
			l.push(next, stRework, pl)
		} else {
			l.push(next, stVerify, pl)
		}
	case stRework:
		if err := move(insp(), service.Move{Action: string(vocab.SendForRework), Note: "复查未达标，请返工"}); err != nil {
			return err
		}
		pl.reworks++
		l.push(hoursAfter(s.at, pl.limitH*l.uni(0.2, 0.6)+1), stResolve, pl)
	case stVerify:
		if err := move(insp(), service.Move{Action: string(vocab.Verify), Note: "复查合格"}); err != nil {
			return err
		}
		if pl.public != nil && pl.public.decision == "accept" && !pl.public.rated {
			l.push(hoursAfter(s.at, l.uni(2, 60)), stRate, pl)
		}
		if pl.fate == "reopen" && !pl.reopened {
			l.push(hoursAfter(s.at, l.uni(48, 240)), stReopen, pl)
		}
	case stReopen:
		if err := move(insp(), service.Move{Action: string(vocab.Reopen), Note: "问题反弹，重新派遣"}); err != nil {
			return err
		}
		pl.reopened, pl.dispatch = true, s.at
		l.push(hoursAfter(s.at, pl.limitH*l.uni(0.05, 0.3)), stAccept, pl)
	case stReturn:
		if err := move(staff(), service.Move{Action: string(vocab.Return), Note: "不属于本单位职责范围"}); err != nil {
			return err
		}
		l.push(hoursAfter(s.at, l.uni(0.5, 4)), stDispatch, pl)
	case stDispatch:
		to := l.unitCode[l.cats[pl.cat].DefaultUnitCode]
		if to == 0 || to == pl.unitID { // pl.unitID is still the unit that returned it
			to = l.unitCode["CGZ"]
		}
		if err := move(l.admin, service.Move{Action: string(vocab.Dispatch), UnitID: &to, Note: "按类别改派"}); err != nil {
			return err
		}
		pl.dispatch = s.at
		l.push(hoursAfter(s.at, pl.limitH*l.uni(0.05, 0.3)), stAccept, pl)
	case stVoid:
		return move(l.admin, service.Move{Action: string(vocab.Void), Note: "非城市管理问题，作废"})
	}
	return nil
}

// afterAccept queues the resolution: on time as often as the unit manages, else late; or an extension first.
func (l *life) afterAccept(at time.Time, pl *plan) {
	if pl.fate == "extend" && !pl.extended {
		l.push(hoursAfter(pl.dispatch, pl.limitH*l.uni(0.5, 0.9)), stExtend, pl)
		return
	}
	f := l.uni(0.3, 0.95)
	if miss := 1 - l.care[pl.unitID]; l.rng.Float64() < miss {
		f = l.uni(1.05, 2.6) // late
		if l.rng.Float64() < 0.4 {
			f = l.uni(2.5, 20) // left lying: overdue for days
		}
	}
	t := hoursAfter(pl.dispatch, pl.limitH*f)
	if !t.After(at) {
		t = hoursAfter(at, 0.25)
	}
	l.push(t, stResolve, pl)
}

func (l *life) file(ctx context.Context, at time.Time, pl *plan) error {
	c, ok := l.cats[pl.cat]
	if !ok {
		return fmt.Errorf("no category %s", pl.cat)
	}
	l.res.Reports++
	desc := c.NameZh
	if pl.dupOf != nil {
		desc += "（群众反映，同一位置）"
	}
	f, err := l.rep.File(ctx, pl.by, service.NewReport{Category: pl.cat, Point: &pl.p, Urgency: pl.urgency, Description: desc,
		Source: string(vocab.FromApp), SourceID: fmt.Sprintf("%s%d", lifeSourcePrefix, l.res.Reports)})
	if err != nil {
		return err
	}
	if err := l.filed(at, pl, f.Report); err != nil {
		return err
	}
	if pl.withPhoto {
		if _, err := l.rep.AddPhoto(ctx, pl.by, pl.id, l.photos.before[l.rng.IntN(len(l.photos.before))]); err != nil {
			return err
		}
		l.res.Photos++
	}
	if pl.dupOf != nil {
		l.push(hoursAfter(at, l.uni(0.2, 2)), stDuplicate, pl)
		return nil
	}
	l.work(at, pl)
	return nil
}

// filed takes note of a report the loop filed (by an inspector, or a resident's accepted by a moderator).
func (l *life) filed(at time.Time, pl *plan, r domain.Report) error {
	pl.id = r.ID
	if r.UnitID == nil {
		return fmt.Errorf("report %d was routed to nobody: %s", r.ID, r.RoutingReason)
	}
	pl.unitID, pl.dispatch = *r.UnitID, at
	if r.TimeLimitHours != nil {
		pl.limitH = *r.TimeLimitHours
	}
	l.recent = append(l.recent, pl)
	if len(l.recent) > 40 {
		l.recent = l.recent[1:]
	}
	return nil
}

// work queues what the unit does with a report it was given.
func (l *life) work(at time.Time, pl *plan) {
	// Some problems are filed twice (by the other inspector): the second is marked a duplicate.
	if pl.fate != "void" && l.rng.Float64() < 0.05 {
		twin := &plan{cat: pl.cat, urgency: pl.urgency, p: offset(pl.p, l.rng.NormFloat64()*8, l.rng.NormFloat64()*8), dupOf: pl, fate: "duplicate"}
		for _, w := range l.insp {
			if w.ID != pl.by.ID {
				twin.by = w
			}
		}
		l.push(hoursAfter(at, l.uni(0.2, 0.6)*math.Min(pl.limitH, 8)), stFile, twin)
	}
	// Enforcement matters routed by place to a community or a 包路 unit are often sent back as not theirs, and the
	// dispatcher gives them to the department the category names (综合执法, 交警, 住建, 食药监).
	if d := l.cats[pl.cat].DefaultUnitCode; pl.fate == "normal" && enforcers[d] && l.unitCode[d] != pl.unitID && l.rng.Float64() < 0.45 {
		pl.fate = "return"
	}
	switch pl.fate {
	case "void":
		l.push(hoursAfter(at, l.uni(0.5, 6)), stVoid, pl)
	case "return":
		l.push(hoursAfter(at, l.uni(0.1, 0.4)*pl.limitH), stReturn, pl)
	default:
		wait := l.uni(0.03, 0.25)
		if l.rng.Float64() > l.care[pl.unitID] {
			wait = l.uni(0.4, 1.5) // nobody looked at the queue for a while
		}
		l.push(hoursAfter(at, pl.limitH*wait), stAccept, pl)
	}
}
