// Package bench measures everymeter under load the way a client sees it: report filing with routing over HTTP on
// loopback against a database already holding a large backlog, and the owner lookup that routing calls, alone.
// It is shared by the Go benchmarks (make bench) and the `everymeter bench` command.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"everymeter/bench/row"
	"everymeter/coverage"
	"everymeter/demo"
	"everymeter/geo"
	"everymeter/server"
	"everymeter/store"
)

// Config says how hard to push.
type Config struct {
	Stored   int           // reports stored before the run (the backlog), generated with SQL
	Clients  int           // concurrent HTTP clients of the closed-loop phase
	Rate     float64       // reports/s offered in the paced phase (0: no paced phase)
	Duration time.Duration // how long they send, after Warmup
	Warmup   time.Duration // sent but not counted (pools fill, caches warm)
	Lookups  int           // owner lookups timed alone
	Seed     uint64        // for the pins; the same seed pins the same points
	// Progress, when set, receives one line per phase.
	Progress io.Writer
	Log      *slog.Logger
}

// Defaults are the figures the issue asks about: 1 M stored; 16 clients for 20 s, then 1,000 reports/s for 20 s.
func Defaults() Config {
	return Config{Stored: 1_000_000, Clients: 16, Rate: 1000, Duration: 20 * time.Second, Warmup: 2 * time.Second, Lookups: 3000, Seed: 1}
}

// Result is what a run measured.
type Result struct {
	Config
	StoredTotal int64         // reports in the table before the run
	Generate    time.Duration // time to generate the backlog (INSERT … SELECT generate_series, indexes, ANALYZE)
	// Phase is the closed-loop run: Clients clients each filing again as soon as answered — the most the server
	// sustains, with the latency of a saturated server. Paced is the open-loop run at Rate reports/s offered (zero
	// when Rate is 0): the "500 reports/s sustained with p99 under 100 ms".
	Phase        Phase
	Paced        Phase
	LookupP50    time.Duration
	LookupP99    time.Duration
	LookupMax    time.Duration
	LookupOwned  int // lookups that found an owner
	LookupPerSec float64
}

// Reports runs the report-creation benchmark on st, which must be a migrated database used for nothing else: it
// loads the demo town (roads, alleys, zones and assignments, so routing does real work), generates the backlog,
// starts the full server on a loopback port, and files reports from cfg.Clients clients for cfg.Duration.
func Reports(ctx context.Context, st *store.Store, cfg Config) (Result, error) {
	res := Result{Config: cfg}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	say := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", a...)
		}
	}
	dataDir, err := os.MkdirTemp("", "everymeter-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dataDir)
	built := server.New(st, log, server.Options{DataDir: dataDir})
	e, svc, eng := built.Echo, built.Svc, built.Engine

	t0 := time.Now()
	if _, err := demo.Load(ctx, svc, io.Discard); err != nil {
		return res, fmt.Errorf("bench: load the demo town: %w", err)
	}
	say("demo town loaded in %v", time.Since(t0).Round(time.Millisecond))
	town := demo.Generate().Bound()

	n, err := st.CountReports(ctx)
	if err != nil {
		return res, err
	}
	if missing := int64(cfg.Stored) - n; missing > 0 {
		say("generating %d reports with INSERT … SELECT generate_series …", missing)
		t0 = time.Now()
		if _, err := GenerateReports(ctx, st, int(missing), town); err != nil {
			return res, fmt.Errorf("bench: generate reports: %w", err)
		}
		res.Generate = time.Since(t0)
		say("generated in %v", res.Generate.Round(time.Millisecond))
	}
	if res.StoredTotal, err = st.CountReports(ctx); err != nil {
		return res, err
	}

	pins, err := pinsNear(ctx, st, town, cfg.Seed, 20000)
	if err != nil {
		return res, err
	}

	// Routing alone: the owner lookup the report service calls, one at a time.
	lat := make([]time.Duration, 0, cfg.Lookups)
	t0 = time.Now()
	for i := 0; i < cfg.Lookups; i++ {
		p := pins[i%len(pins)]
		s := time.Now()
		o, err := eng.Owner(ctx, st, p, nil)
		lat = append(lat, time.Since(s))
		switch {
		case err == nil && len(o.Units) > 0:
			res.LookupOwned++
		case err != nil && !errors.Is(err, coverage.ErrNoOwner):
			return res, fmt.Errorf("bench: owner lookup: %w", err)
		}
	}
	if cfg.Lookups > 0 {
		res.LookupPerSec = float64(cfg.Lookups) / time.Since(t0).Seconds()
		res.LookupP50, res.LookupP99, res.LookupMax = quantile(lat, 0.50), quantile(lat, 0.99), quantile(lat, 1)
	}
	say("owner lookups: %d, p99 %v", cfg.Lookups, res.LookupP99)

	// The full server on loopback, as a phone app would reach it (minus the radio).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	token, err := signIn(ctx, svc, base)
	if err != nil {
		return res, err
	}
	cats, err := st.Categories(ctx, true)
	if err != nil {
		return res, err
	}
	inFlight := max(cfg.Clients, pacedInFlight)
	tr := &http.Transport{MaxIdleConns: inFlight * 2, MaxIdleConnsPerHost: inFlight * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	f := filer{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, base: base, token: token, cats: cats, pins: pins,
		seed: cfg.Seed, db: st.Pool.Config().ConnConfig}

	say("filing reports from %d clients for %v (after %v warm-up) …", cfg.Clients, cfg.Duration, cfg.Warmup)
	res.Phase = f.run(ctx, cfg.Clients, 0, cfg.Warmup, cfg.Duration, "closed")
	if cfg.Rate > 0 {
		say("filing reports at %.0f/s offered for %v (after %v warm-up) …", cfg.Rate, cfg.Duration, cfg.Warmup)
		res.Paced = f.run(ctx, inFlight, cfg.Rate, cfg.Warmup, cfg.Duration, "paced")
	}
	return res, ctx.Err()
}

// pacedInFlight bounds the requests in flight at a fixed offered rate: phones do not wait for each other, so the
// bound only keeps a server that fell behind from being buried (every request still counts from its due time).
const pacedInFlight = 256

// Phase is what one filing phase measured.
type Phase struct {
	Mode       string        // closed: each client files again as soon as answered; paced: filings are due at Rate/s
	Rate       float64       // offered reports/s (paced)
	Reports    int           // reports filed in the measured window (201s)
	Failed     int           // answers other than 201 (and transport errors, and filings not sent in time) in the window
	Elapsed    time.Duration // the measured window
	PerSecond  float64
	P50, P90   time.Duration // closed: from sending; paced: from when the filing was due (queueing in the client counts)
	P99, Max   time.Duration
	Routed     int // filed reports decided by the owner lookup (nearest meter or zone)
	Fallback   int // filed reports that went to the category's default unit or the queue
	FirstError string
	// The machine during the measured window: how busy its CPUs were (all processes: this one, PostgreSQL and
	// anything else running), the share this process took, and the load average at the end. Figures taken on a
	// machine busy with other work are lower than the code can do.
	Cores       int
	MachineBusy float64 // 0..1 of all cores
	ProcessCPU  float64 // 0..1 of all cores, this process (server and clients)
	LoadAvg     string
	// DBCPU is the share of all cores the benchmark database's PostgreSQL backends used in the window (0 when
	// unknown: a remote server). CPUPerReport is this process's plus PostgreSQL's CPU per filed report, and
	// IdleCapacity the reports/s all cores could sustain at that cost — what an otherwise idle machine would allow.
	DBCPU        float64
	CPUPerReport time.Duration
	IdleCapacity float64
}

// filer files reports over HTTP.
type filer struct {
	client *http.Client
	base   string
	token  string
	cats   []store.Category
	pins   []orb.Point
	seed   uint64
	db     *pgx.ConnConfig
	runs   uint64 // phases run, so that idempotency keys never repeat
}

// run files reports for warmup+duration: closed-loop from clients clients (rate 0), or open-loop at rate/s with at
// most clients in flight. Filings due (paced) or sent (closed) in the warm-up are not counted.
func (f *filer) run(ctx context.Context, clients int, rate float64, warmup, duration time.Duration, mode string) Phase {
	f.runs++
	ph := Phase{Mode: mode, Rate: rate}
	start := time.Now()
	measureFrom := start.Add(warmup)
	stop := measureFrom.Add(duration)
	var mu sync.Mutex
	var all []time.Duration
	dbCPU, haveDBCPU := pgCPU(f.db.Host, f.db.Database)
	cpu0 := make(chan cpuSample, 1)
	db0 := make(chan time.Duration, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		cpu0 <- sampleCPU()
		if haveDBCPU {
			db0 <- dbCPU()
		}
	}()
	// Paced: the i-th filing is due at start + i/rate; a client takes the next due filing when it is free.
	var due chan time.Time
	if rate > 0 {
		due = make(chan time.Time, int(rate*(warmup+duration).Seconds())+1)
		go func() {
			defer close(due)
			for i := 0; ; i++ {
				t := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
				if !t.Before(stop) || ctx.Err() != nil {
					return
				}
				time.Sleep(time.Until(t))
				due <- t
			}
		}()
	}
	// Filings not sent within this long after the window (a server that fell far behind) count as failed.
	giveUp := stop.Add(10 * time.Second)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(f.seed, f.runs<<32|uint64(c)+1))
			var mine []time.Duration
			var filed, failed, routed, fallback int
			var firstErr string
			for i := 0; ; i++ {
				var from time.Time // latency counts from here
				if due != nil {
					t, ok := <-due
					if !ok {
						break
					}
					if time.Now().After(giveUp) {
						if !t.Before(measureFrom) {
							failed++
						}
						continue
					}
					from = t
				} else {
					from = time.Now()
					if from.After(stop) || ctx.Err() != nil {
						break
					}
				}
				p := f.pins[rng.IntN(len(f.pins))]
				k := f.cats[rng.IntN(len(f.cats))]
				body, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}},
					"category": k.Code, "description": "bench report", "urgency": "normal"})
				decided, err := post(ctx, f.client, f.base, f.token, fmt.Sprintf("bench-%d-%d-%d-%d-%d", f.seed, start.UnixNano(), f.runs, c, i), body)
				d := time.Since(from)
				if from.Before(measureFrom) {
					continue
				}
				if err != nil {
					failed++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				filed++
				mine = append(mine, d)
				if decided == "nearest_meter" || decided == "zone" {
					routed++
				} else {
					fallback++
				}
			}
			mu.Lock()
			all = append(all, mine...)
			ph.Reports += filed
			ph.Failed += failed
			ph.Routed += routed
			ph.Fallback += fallback
			if ph.FirstError == "" {
				ph.FirstError = firstErr
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	// Requests in flight at stop are counted, so the window runs until the last of them answered.
	ph.Elapsed = time.Since(measureFrom)
	c0, c1 := <-cpu0, sampleCPU()
	ph.Cores, ph.MachineBusy, ph.ProcessCPU = c0.until(c1)
	if haveDBCPU && ph.Cores > 0 && ph.Reports > 0 {
		used := dbCPU() - <-db0
		ph.DBCPU = float64(used) / float64(c1.at.Sub(c0.at)) / float64(ph.Cores)
		total := used + (c1.self - c0.self)
		ph.CPUPerReport = total / time.Duration(ph.Reports)
		ph.IdleCapacity = float64(ph.Cores) * float64(time.Second) / float64(ph.CPUPerReport)
	}
	ph.LoadAvg = row.Load()
	ph.PerSecond = float64(ph.Reports) / ph.Elapsed.Seconds()
	ph.P50, ph.P90, ph.P99, ph.Max = quantile(all, 0.50), quantile(all, 0.90), quantile(all, 0.99), quantile(all, 1)
	return ph
}

// post files one report and returns how it was routed.
func post(ctx context.Context, c *http.Client, base, token, key string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /api/v1/reports: %d %s", res.StatusCode, bytes.TrimSpace(b))
	}
	var out struct {
		Report struct {
			Routing struct {
				DecidedBy string `json:"decided_by"`
			} `json:"routing"`
		} `json:"report"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", err
	}
	return out.Report.Routing.DecidedBy, nil
}

// signIn makes a new inspector for this run (a database may be benchmarked again) and signs in over HTTP.
func signIn(ctx context.Context, svc interface {
	AddUser(ctx context.Context, username, role, unitCode, password string) (store.User, error)
}, base string) (string, error) {
	pw := fmt.Sprintf("bench-%016x%016x", rand.Uint64(), rand.Uint64())
	benchUser := fmt.Sprintf("bench-%08x", rand.Uint32())
	if _, err := svc.AddUser(ctx, benchUser, "inspector", "", pw); err != nil {
		return "", fmt.Errorf("bench: add the bench user: %w", err)
	}
	body, _ := json.Marshal(map[string]string{"username": benchUser, "password": pw})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("bench: sign in: %d %v", res.StatusCode, err)
	}
	return out.Token, nil
}

// pinsNear returns n pins the way inspectors drop them: nine in ten within 12 m of a road or alley (at a random
// meter of a random street, pushed sideways), one in ten anywhere in the town.
func pinsNear(ctx context.Context, st *store.Store, town orb.Bound, seed uint64, n int) ([]orb.Point, error) {
	assets, err := st.CoverageAssets(ctx, nil, []string{"road", "alley"})
	if err != nil {
		return nil, err
	}
	var lines []*geo.Line
	for _, a := range assets {
		if l, err := geo.NewLine(a.Geom); err == nil && l.Length() > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("bench: no roads to pin reports near")
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([]orb.Point, 0, n)
	for len(out) < n {
		if rng.IntN(10) == 0 {
			out = append(out, orb.Point{town.Min[0] + rng.Float64()*(town.Max[0]-town.Min[0]), town.Min[1] + rng.Float64()*(town.Max[1]-town.Min[1])})
			continue
		}
		l := lines[rng.IntN(len(lines))]
		p := l.PointAt(rng.Float64() * l.Length())
		// Push up to 12 m in a random direction (meters to degrees at this latitude).
		d, h := rng.Float64()*12, rng.Float64()*2*math.Pi
		p[0] += d * math.Cos(h) / (111320 * math.Cos(p[1]*math.Pi/180))
		p[1] += d * math.Sin(h) / 110574
		out = append(out, p)
	}
	return out, nil
}

// quantile returns the q-quantile (nearest rank) of ds; it sorts ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// Print writes the result as a table, with the targets of issue 4 (≥ 500 reports/s, p99 < 100 ms).
func (r Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "report creation with routing, HTTP on loopback\t\t\n")
	fmt.Fprintf(tw, "  reports stored before the run\t%d\t\n", r.StoredTotal)
	if r.Generate > 0 {
		fmt.Fprintf(tw, "  backlog generated (INSERT … SELECT generate_series, indexes built after, heat cells, ANALYZE)\t%v\t\n", r.Generate.Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "closed loop: %d clients, each filing again when answered (the most it sustains)\t\t\n", r.Clients)
	r.Phase.print(tw)
	if r.Paced.Mode != "" {
		fmt.Fprintf(tw, "paced: %.0f reports/s offered, latency from when each was due\t\t\n", r.Paced.Rate)
		r.Paced.print(tw)
	}
	fmt.Fprintf(tw, "routing alone (coverage owner lookup, sequential)\t\t\n")
	fmt.Fprintf(tw, "  lookups (found an owner)\t%d (%d)\t\n", r.Lookups, r.LookupOwned)
	fmt.Fprintf(tw, "  p50 / p99 / max\t%s / %s / %s\t\n", ms(r.LookupP50), ms(r.LookupP99), ms(r.LookupMax))
	fmt.Fprintf(tw, "  rate\t%.0f lookups/s\t\n", r.LookupPerSec)
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ok(b bool) string {
	if b {
		return "ok"
	}
	return "MISSED"
}

// print writes one phase's rows.
func (p Phase) print(tw io.Writer) {
	fmt.Fprintf(tw, "  measured window\t%v\t\n", p.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "  reports filed (201)\t%d\t\n", p.Reports)
	fmt.Fprintf(tw, "  failed\t%d\t%s\n", p.Failed, p.FirstError)
	fmt.Fprintf(tw, "  routed by the owner lookup / fallback\t%d / %d\t\n", p.Routed, p.Fallback)
	fmt.Fprintf(tw, "  sustained\t%.0f reports/s\t%s (target ≥ 500)\n", p.PerSecond, ok(p.PerSecond >= 500))
	fmt.Fprintf(tw, "  latency p50 / p90\t%s / %s\t\n", ms(p.P50), ms(p.P90))
	fmt.Fprintf(tw, "  latency p99\t%s\t%s (target < 100 ms)\n", ms(p.P99), ok(p.P99 < 100*time.Millisecond))
	fmt.Fprintf(tw, "  latency max\t%s\t\n", ms(p.Max))
	if p.Cores > 0 {
		fmt.Fprintf(tw, "  machine CPU busy (all processes) / this process\t%.0f%% / %.0f%% of %d cores\tload average %s\n",
			100*p.MachineBusy, 100*p.ProcessCPU, p.Cores, p.LoadAvg)
	}
	if p.CPUPerReport > 0 {
		fmt.Fprintf(tw, "  PostgreSQL backends of this database\t%.0f%% of %d cores\t\n", 100*p.DBCPU, p.Cores)
		fmt.Fprintf(tw, "  CPU per report (this process + PostgreSQL)\t%s\t→ about %.0f reports/s if all cores were ours\n", ms(p.CPUPerReport), p.IdleCapacity)
	}
}
