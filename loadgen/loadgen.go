// Package loadgen is everymeter's load generator: many concurrent clients on loopback mixing map reads (coverage
// segments, vector tiles, report lists), report filing with retries under the same Idempotency-Key, and unit staff
// accepting and resolving (with a photo) the reports routed to them. Every client keeps its own log, which is then
// reconciled with the database: nothing acknowledged lost, nothing stored twice, nothing stored that no client sent.
// It is shared by its test (a short run in `make test`) and `everymeter bench load` (500 clients for 60 s).
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"everymeter/bench/row"
	"everymeter/geo"
	"everymeter/vocab"
)

// Config says what to run against and how hard.
type Config struct {
	BaseURL  string        // the server, on loopback only (http://127.0.0.1:PORT)
	Clients  int           // concurrent clients
	Duration time.Duration // how long they start new requests; requests in flight at the end are awaited
	// Reporters are bearer tokens of inspectors who file reports; client c files as Reporters[c % len]. The
	// reconciliation looks at every report of these users, so they should file nothing else during the run.
	Reporters []string
	// Staff are bearer tokens of unit staff: a report routed to one of their units is accepted, then resolved with
	// a photo, by the client that filed it, signed in as that unit's staff.
	Staff []string
	Roads []orb.LineString // report pins are dropped on these
	Town  orb.Bound        // map reads look at random small boxes and tiles inside it
	// RetryRate is the share of report filings sent twice with the same Idempotency-Key: half of them after the
	// first answer (a lost answer, resent), half at the same moment (a double tap racing itself).
	RetryRate float64
	Think     time.Duration // each client pauses a random 0..Think between requests (0: none, full pressure)
	Seed      uint64
	// EveryKind keeps the clients going past Duration (for at most two more Durations), filing and moving their
	// reports along the loop, until every kind of request has been sent at least once: on a slow or busy
	// machine a short run can otherwise end before any report reached the end of the loop, and then proves
	// nothing about those steps.
	EveryKind bool
}

// Defaults are the figures of issue 8 §5: 500 clients for 60 s, three filings in ten sent twice.
func Defaults() Config {
	return Config{Clients: 500, Duration: 60 * time.Second, RetryRate: 0.3, Seed: 1}
}

// The kinds of request, in the order the table prints them.
const (
	KindSegments = "coverage segments"
	KindTile     = "road tile"
	KindList     = "report list"
	KindCreate   = "report create"
	KindRetry    = "report retry"
	KindAccept   = "accept"
	KindPhoto    = "photo upload"
	KindResolve  = "resolve"
)

// Kinds lists every kind of request.
var Kinds = []string{KindSegments, KindTile, KindList, KindCreate, KindRetry, KindAccept, KindPhoto, KindResolve}

// Filed is one client's record of one Idempotency-Key: what it was answered.
type Filed struct {
	ReporterID int64
	Key        string
	Statuses   []int   // every answer's status (0: no answer)
	IDs        []int64 // the report id of every 200/201 answer
	Acked      bool    // at least one 200/201 answer
	ReportID   int64   // the acknowledged report id
	Status     string  // the report's status after the last acknowledged step (dispatched, accepted, resolved, …)
}

// ErrNotLoopback refuses to aim the generator anywhere but this machine.
var ErrNotLoopback = errors.New("loadgen: the base URL must be a loopback address (127.0.0.1)")

// run is one load run's shared, read-only state.
type run struct {
	cfg       Config
	http      *http.Client
	cats      []string
	roads     []*geo.Line
	staff     map[int64]string // unit id → a staff token of that unit
	reporters []int64          // user id of each reporter token
	jpeg      []byte
	stop      time.Time
	hardStop  time.Time // with EveryKind: the latest a new step starts
	sent      sync.Map  // kind → true once a request of that kind was sent
}

// more reports whether a client should start another step at now, and whether the step should be one of the
// loop's (the run is past its duration only to send the kinds still missing).
func (r *run) more(now time.Time) (ok, missing bool) {
	if now.Before(r.stop) {
		return true, false
	}
	if !r.cfg.EveryKind || !now.Before(r.hardStop) {
		return false, false
	}
	for _, k := range Kinds {
		if _, seen := r.sent.Load(k); !seen {
			return true, true
		}
	}
	return false, false
}

// Run sends the load and returns what every client saw. The error is for runs that could not start (bad config,
// server unreachable, tokens refused); answers the clients did not expect are counted in the Report, not returned.
func Run(ctx context.Context, cfg Config) (Report, error) {
	rep := Report{Clients: cfg.Clients, Duration: cfg.Duration, BaseURL: cfg.BaseURL}
	if err := loopback(cfg.BaseURL); err != nil {
		return rep, err
	}
	if cfg.Clients < 1 || cfg.Duration <= 0 || len(cfg.Reporters) == 0 || len(cfg.Roads) == 0 || cfg.Town.IsEmpty() {
		return rep, errors.New("loadgen: need at least one client, a positive duration, a reporter token, roads and a town")
	}
	// One transport for every client, keeping two idle connections per client (a racing retry uses two), so 500
	// clients reuse their connections instead of opening new ones until the ephemeral ports run out.
	tr := &http.Transport{
		Proxy: nil, MaxIdleConns: 2 * cfg.Clients, MaxIdleConnsPerHost: 2 * cfg.Clients, IdleConnTimeout: 90 * time.Second,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	r := &run{cfg: cfg, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, staff: map[int64]string{}}
	for _, l := range cfg.Roads {
		if gl, err := geo.NewLine(l); err == nil && gl.Length() > 0 {
			r.roads = append(r.roads, gl)
		}
	}
	if len(r.roads) == 0 {
		return rep, errors.New("loadgen: no road with a length to pin reports on")
	}
	var err error
	if r.jpeg, err = smallJPEG(); err != nil {
		return rep, err
	}
	if err := r.setup(ctx); err != nil {
		return rep, err
	}
	rep.ReporterIDs = r.reporters

	start := time.Now()
	r.stop = start.Add(cfg.Duration)
	r.hardStop = r.stop.Add(2 * cfg.Duration)
	clients := make([]*client, cfg.Clients)
	var wg sync.WaitGroup
	for i := range clients {
		c := newClient(r, i)
		clients[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.loop(ctx)
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	rep.collect(clients)
	rep.LoadAvg = row.Load()
	return rep, ctx.Err()
}

// loopback checks that base names this machine.
func loopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("%w: %q", ErrNotLoopback, base)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, base)
	}
	return nil
}

// setup learns who the tokens belong to and which categories exist.
func (r *run) setup(ctx context.Context) error {
	type me struct {
		ID     int64  `json:"id"`
		Role   string `json:"role"`
		UnitID *int64 `json:"unit_id"`
	}
	whoami := func(token string) (me, error) {
		var m me
		st, b, err := r.call(ctx, http.MethodGet, "/api/v1/auth/me", token, "", nil, nil)
		if err != nil {
			return m, err
		}
		if st != http.StatusOK {
			return m, fmt.Errorf("loadgen: GET /api/v1/auth/me: %d %s", st, bytes.TrimSpace(b))
		}
		return m, json.Unmarshal(b, &m)
	}
	for _, t := range r.cfg.Reporters {
		m, err := whoami(t)
		if err != nil {
			return err
		}
		r.reporters = append(r.reporters, m.ID)
	}
	for _, t := range r.cfg.Staff {
		m, err := whoami(t)
		if err != nil {
			return err
		}
		if vocab.Role(m.Role) != vocab.UnitStaff || m.UnitID == nil {
			return fmt.Errorf("loadgen: staff token of user %d is a %s without a unit", m.ID, m.Role)
		}
		r.staff[*m.UnitID] = t
	}
	st, b, err := r.call(ctx, http.MethodGet, "/api/v1/categories", r.cfg.Reporters[0], "", nil, nil)
	if err != nil {
		return err
	}
	var cats struct {
		Items []struct {
			Code   string `json:"code"`
			Active bool   `json:"active"`
		} `json:"items"`
	}
	if st != http.StatusOK || json.Unmarshal(b, &cats) != nil {
		return fmt.Errorf("loadgen: GET /api/v1/categories: %d %s", st, bytes.TrimSpace(b))
	}
	for _, c := range cats.Items {
		if c.Active {
			r.cats = append(r.cats, c.Code)
		}
	}
	if len(r.cats) == 0 {
		return errors.New("loadgen: the server has no active report category")
	}
	return nil
}

// call sends one request and reads the whole answer.
func (r *run) call(ctx context.Context, method, path, token, contentType string, body []byte, header map[string]string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.BaseURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := r.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, b, nil
}

// pending is a filed report waiting for its unit's next step.
type pending struct {
	f      *Filed
	unitID int64
}

// client is one simulated user with its own random stream, log and measurements.
type client struct {
	r        *run
	n        int
	rng      *rand.Rand
	token    string
	reporter int64
	seq      int
	lat      map[string][]time.Duration
	status   map[string]map[int]int
	filed    []*Filed
	queue    []pending
	problems []string
	odd      int        // answers that were not what the step expects (beyond 5xx)
	mu       sync.Mutex // a double tap sends two requests at once: guards the maps, counters and logs above
}

func newClient(r *run, n int) *client {
	i := n % len(r.cfg.Reporters)
	return &client{r: r, n: n, rng: rand.New(rand.NewPCG(r.cfg.Seed, uint64(n)+1)), token: r.cfg.Reporters[i],
		reporter: r.reporters[i], lat: map[string][]time.Duration{}, status: map[string]map[int]int{}}
}

// loop runs the client's mix until the run's end: a bounded number of steps, each at most a few requests.
func (c *client) loop(ctx context.Context) {
	for ctx.Err() == nil {
		ok, missing := c.r.more(time.Now())
		if !ok {
			return
		}
		if c.r.cfg.Think > 0 {
			time.Sleep(time.Duration(c.rng.Int64N(int64(c.r.cfg.Think))))
		}
		switch x := c.rng.Float64(); {
		case missing && len(c.queue) > 0:
			c.transition(ctx)
		case missing:
			c.create(ctx)
		case x < 0.30:
			c.segments(ctx)
		case x < 0.55:
			c.tile(ctx)
		case x < 0.70:
			c.list(ctx)
		case x < 0.85 || len(c.queue) == 0:
			c.create(ctx)
		default:
			c.transition(ctx)
		}
	}
}

// do sends one request, timing it and counting its status under kind.
func (c *client) do(ctx context.Context, kind, method, path, token, contentType string, body []byte, header map[string]string) (int, []byte) {
	t0 := time.Now()
	st, b, err := c.r.call(ctx, method, path, token, contentType, body, header)
	d := time.Since(t0)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lat[kind] = append(c.lat[kind], d)
	c.r.sent.Store(kind, true)
	if c.status[kind] == nil {
		c.status[kind] = map[int]int{}
	}
	c.status[kind][st]++
	if err != nil && ctx.Err() == nil {
		c.problem("%s %s: %v", method, path, err)
	} else if st >= 500 {
		c.problem("%s %s: %d %s", method, path, st, trim(b))
	}
	return st, b
}

// expect counts an answer the step did not expect (5xx and transport errors are counted apart, by status).
func (c *client) expect(ok bool, format string, a ...any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expectLocked(ok, format, a...)
}

// expectLocked is expect with c.mu held.
func (c *client) expectLocked(ok bool, format string, a ...any) bool {
	if !ok {
		c.odd++
		c.problem(format, a...)
	}
	return ok
}

func (c *client) problem(format string, a ...any) {
	if len(c.problems) < 5 {
		c.problems = append(c.problems, fmt.Sprintf(format, a...))
	}
}

// box returns a random box of 200–600 m a side inside the town, as a bbox parameter.
func (c *client) box() string {
	t := c.r.cfg.Town
	w := (200 + c.rng.Float64()*400) / (111320 * math.Cos(t.Center()[1]*math.Pi/180))
	h := (200 + c.rng.Float64()*400) / 110574
	x := t.Min[0] + c.rng.Float64()*max(0, t.Max[0]-t.Min[0]-w)
	y := t.Min[1] + c.rng.Float64()*max(0, t.Max[1]-t.Min[1]-h)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	return f(x) + "," + f(y) + "," + f(x+w) + "," + f(y+h)
}

func (c *client) segments(ctx context.Context) {
	st, b := c.do(ctx, KindSegments, http.MethodGet, "/api/v1/coverage/segments?bbox="+c.box(), c.token, "", nil, nil)
	c.expect(st == http.StatusOK || st == 0 || st >= 500, "coverage segments: %d %s", st, trim(b))
}

func (c *client) list(ctx context.Context) {
	st, b := c.do(ctx, KindList, http.MethodGet, "/api/v1/reports?bbox="+c.box(), c.token, "", nil, nil)
	c.expect(st == http.StatusOK || st == 0 || st >= 500, "report list: %d %s", st, trim(b))
}

// tile fetches a road tile at z14–16 around a random point of the town.
func (c *client) tile(ctx context.Context) {
	t := c.r.cfg.Town
	p := orb.Point{t.Min[0] + c.rng.Float64()*(t.Max[0]-t.Min[0]), t.Min[1] + c.rng.Float64()*(t.Max[1]-t.Min[1])}
	tl := maptile.At(p, maptile.Zoom(14+c.rng.IntN(3)))
	st, b := c.do(ctx, KindTile, http.MethodGet, fmt.Sprintf("/tiles/road/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y), c.token, "", nil, nil)
	c.expect(st == http.StatusOK || st == http.StatusNoContent || st == 0 || st >= 500, "road tile: %d %s", st, trim(b))
}

// createAnswer is the part of a filing's answer the client looks at.
type createAnswer struct {
	Report struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		UnitID *int64 `json:"unit_id"`
	} `json:"report"`
}

// create files a report pinned on a road with a fresh Idempotency-Key, sometimes twice.
func (c *client) create(ctx context.Context) {
	road := c.r.roads[c.rng.IntN(len(c.r.roads))]
	p := road.PointAt(c.rng.Float64() * road.Length())
	body, _ := json.Marshal(map[string]any{
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}},
		"category": c.r.cats[c.rng.IntN(len(c.r.cats))], "description": "load test report", "urgency": "normal"})
	c.seq++
	f := &Filed{ReporterID: c.reporter, Key: fmt.Sprintf("load-%d-%d-%d", c.r.cfg.Seed, c.n, c.seq)}
	c.filed = append(c.filed, f)
	hdr := map[string]string{"Idempotency-Key": f.Key}
	send := func(kind string) (int, createAnswer) {
		st, b := c.do(ctx, kind, http.MethodPost, "/api/v1/reports", c.token, "application/json", body, hdr)
		var a createAnswer
		c.mu.Lock()
		defer c.mu.Unlock()
		f.Statuses = append(f.Statuses, st)
		if st == http.StatusOK || st == http.StatusCreated {
			if c.expectLocked(json.Unmarshal(b, &a) == nil && a.Report.ID > 0, "report create: %d without a report id: %s", st, trim(b)) {
				f.IDs = append(f.IDs, a.Report.ID)
			}
		} else {
			c.expectLocked(st == 0 || st >= 500, "report create: %d %s", st, trim(b))
		}
		return st, a
	}
	var sts [2]int
	var ans [2]createAnswer
	retry := c.rng.Float64() < c.r.cfg.RetryRate
	switch {
	case !retry:
		sts[0], ans[0] = send(KindCreate)
	case c.rng.IntN(2) == 0: // the answer was lost: send again
		sts[0], ans[0] = send(KindCreate)
		sts[1], ans[1] = send(KindRetry)
	default: // a double tap: both at once
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			sts[1], ans[1] = send(KindRetry)
		}()
		sts[0], ans[0] = send(KindCreate)
		wg.Wait()
	}
	// Both answers of a retried filing must name the same report, and only one may have created it.
	created := 0
	for i, st := range sts {
		if st == http.StatusCreated {
			created++
		}
		if i == 1 && retry && (st == http.StatusOK || st == http.StatusCreated) && ans[0].Report.ID != 0 {
			c.expect(ans[1].Report.ID == ans[0].Report.ID, "retry of %s answered report %d, the first answer %d", f.Key, ans[1].Report.ID, ans[0].Report.ID)
		}
	}
	// A fresh key: when every copy was answered, exactly one created the report (201) and the other found it (200).
	answered := 0
	for _, st := range sts[:1+b2i(retry)] {
		if st == http.StatusOK || st == http.StatusCreated {
			answered++
		}
	}
	c.expect(created <= 1 && (answered < 1+b2i(retry) || created == 1), "key %s: answers %v, want one 201 and the retry 200", f.Key, sts[:1+b2i(retry)])
	a := ans[0]
	if a.Report.ID == 0 {
		a = ans[1]
	}
	if a.Report.ID == 0 {
		return
	}
	f.Acked, f.ReportID, f.Status = true, a.Report.ID, a.Report.Status
	if a.Report.UnitID != nil && vocab.Status(a.Report.Status) == vocab.Dispatched {
		if _, ok := c.r.staff[*a.Report.UnitID]; ok {
			c.queue = append(c.queue, pending{f: f, unitID: *a.Report.UnitID})
		}
	}
}

// transition takes the next step on the oldest report waiting in the client's queue, as its unit's staff:
// accept a dispatched report; upload the after photo and resolve an accepted one.
func (c *client) transition(ctx context.Context) {
	p := c.queue[0]
	c.queue = c.queue[1:]
	token := c.r.staff[p.unitID]
	base := "/api/v1/reports/" + strconv.FormatInt(p.f.ReportID, 10)
	step := func(kind string, body map[string]any) bool {
		b, _ := json.Marshal(body)
		st, out := c.do(ctx, kind, http.MethodPost, base+"/transitions", token, "application/json", b, nil)
		var a createAnswer
		if !c.expect(st == http.StatusOK || st == 0 || st >= 500, "%s report %d: %d %s", body["action"], p.f.ReportID, st, trim(out)) ||
			st != http.StatusOK || !c.expect(json.Unmarshal(out, &a) == nil, "%s: unreadable answer %s", kind, trim(out)) {
			return false
		}
		p.f.Status = a.Report.Status
		return true
	}
	switch vocab.Status(p.f.Status) {
	case vocab.Dispatched:
		if step(KindAccept, map[string]any{"action": vocab.Accept, "note": "load test"}) {
			c.queue = append(c.queue, p)
		}
	case vocab.Accepted:
		ct, body := multipartPhoto(c.r.jpeg)
		st, out := c.do(ctx, KindPhoto, http.MethodPost, base+"/photos", token, ct, body, nil)
		var ph struct {
			ID int64 `json:"id"`
		}
		if !c.expect(st == http.StatusCreated || st == http.StatusOK || st == 0 || st >= 500, "photo of report %d: %d %s", p.f.ReportID, st, trim(out)) ||
			(st != http.StatusCreated && st != http.StatusOK) || !c.expect(json.Unmarshal(out, &ph) == nil && ph.ID > 0, "photo: no id in %s", trim(out)) {
			return
		}
		step(KindResolve, map[string]any{"action": vocab.Resolve, "note": "fixed (load test)", "photo_id": ph.ID})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// trim shortens an answer body for a problem line.
func trim(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
