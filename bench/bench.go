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

	"github.com/paulmach/orb"

	"everymeter/coverage"
	"everymeter/demo"
	"everymeter/geo"
	"everymeter/server"
	"everymeter/store"
)

// Config says how hard to push.
type Config struct {
	Stored   int           // reports stored before the run (the backlog), generated with SQL
	Clients  int           // concurrent HTTP clients
	Duration time.Duration // how long they send, after Warmup
	Warmup   time.Duration // sent but not counted (pools fill, caches warm)
	Lookups  int           // owner lookups timed alone
	Seed     uint64        // for the pins; the same seed pins the same points
	// Progress, when set, receives one line per phase.
	Progress io.Writer
	Log      *slog.Logger
}

// Defaults are the figures the issue asks about: 1 M stored, 32 clients for 20 s.
func Defaults() Config {
	return Config{Stored: 1_000_000, Clients: 32, Duration: 20 * time.Second, Warmup: 2 * time.Second, Lookups: 3000, Seed: 1}
}

// Result is what a run measured.
type Result struct {
	Config
	StoredTotal  int64         // reports in the table before the run
	Generate     time.Duration // time to generate the backlog (INSERT … SELECT generate_series, then ANALYZE)
	Reports      int           // reports filed in the measured window (201s)
	Failed       int           // answers other than 201 (and transport errors) in the window
	Elapsed      time.Duration // the measured window
	PerSecond    float64
	P50, P90     time.Duration
	P99, Max     time.Duration
	Routed       int // filed reports decided by the owner lookup (nearest meter or zone)
	Fallback     int // filed reports that went to the category's default unit or the queue
	LookupP50    time.Duration
	LookupP99    time.Duration
	LookupMax    time.Duration
	LookupOwned  int // lookups that found an owner
	LookupPerSec float64
	FirstError   string
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
	e, svc := server.Build(st, log, server.Options{DataDir: dataDir})
	eng, ok := svc.Coverage.(*coverage.Engine)
	if !ok {
		return res, errors.New("bench: the server has no coverage engine")
	}

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
		if _, err := st.GenerateReports(ctx, int(missing), town); err != nil {
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
	tr := &http.Transport{MaxIdleConns: cfg.Clients * 2, MaxIdleConnsPerHost: cfg.Clients * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	say("filing reports from %d clients for %v (after %v warm-up) …", cfg.Clients, cfg.Duration, cfg.Warmup)
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	stop := measureFrom.Add(cfg.Duration)
	var mu sync.Mutex
	var all []time.Duration
	cfgPool := st.Pool.Config().ConnConfig
	dbCPU, haveDBCPU := pgCPU(cfgPool.Host, cfgPool.Database)
	cpu0 := make(chan cpuSample, 1)
	db0 := make(chan time.Duration, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		cpu0 <- sampleCPU()
		if haveDBCPU {
			db0 <- dbCPU()
		}
	}()
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(c)+1))
			var mine []time.Duration
			var filed, failed, routed, fallback int
			var firstErr string
			for i := 0; ; i++ {
				now := time.Now()
				if now.After(stop) || ctx.Err() != nil {
					break
				}
				p := pins[rng.IntN(len(pins))]
				k := cats[rng.IntN(len(cats))]
				body, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}},
					"category": k.Code, "description": "bench report", "urgency": "normal"})
				s := time.Now()
				decided, err := post(ctx, client, base, token, fmt.Sprintf("bench-%d-%d-%d", cfg.Seed, c, i), body)
				d := time.Since(s)
				if s.Before(measureFrom) {
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
			res.Reports += filed
			res.Failed += failed
			res.Routed += routed
			res.Fallback += fallback
			if res.FirstError == "" {
				res.FirstError = firstErr
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	// Requests in flight at stop are counted, so the window runs until the last of them answered.
	res.Elapsed = time.Since(measureFrom)
	c0, c1 := <-cpu0, sampleCPU()
	res.Cores, res.MachineBusy, res.ProcessCPU = c0.until(c1)
	if haveDBCPU && res.Cores > 0 && res.Reports > 0 {
		used := dbCPU() - <-db0
		res.DBCPU = float64(used) / float64(c1.at.Sub(c0.at)) / float64(res.Cores)
		total := used + (c1.self - c0.self)
		res.CPUPerReport = total / time.Duration(res.Reports)
		res.IdleCapacity = float64(res.Cores) * float64(time.Second) / float64(res.CPUPerReport)
	}
	res.LoadAvg = loadAvg()
	res.PerSecond = float64(res.Reports) / res.Elapsed.Seconds()
	res.P50, res.P90, res.P99, res.Max = quantile(all, 0.50), quantile(all, 0.90), quantile(all, 0.99), quantile(all, 1)
	return res, ctx.Err()
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
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	ok := func(b bool) string {
		if b {
			return "ok"
		}
		return "MISSED"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "report creation with routing, HTTP on loopback\t\t\n")
	fmt.Fprintf(tw, "  reports stored before the run\t%d\t\n", r.StoredTotal)
	if r.Generate > 0 {
		fmt.Fprintf(tw, "  backlog generated (INSERT … SELECT generate_series + ANALYZE)\t%v\t\n", r.Generate.Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "  concurrent clients\t%d\t\n", r.Clients)
	fmt.Fprintf(tw, "  measured window\t%v\t\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "  reports filed (201)\t%d\t\n", r.Reports)
	fmt.Fprintf(tw, "  failed\t%d\t%s\n", r.Failed, r.FirstError)
	fmt.Fprintf(tw, "  routed by the owner lookup / fallback\t%d / %d\t\n", r.Routed, r.Fallback)
	fmt.Fprintf(tw, "  sustained\t%.0f reports/s\t%s (target ≥ 500)\n", r.PerSecond, ok(r.PerSecond >= 500))
	fmt.Fprintf(tw, "  latency p50 / p90\t%s / %s\t\n", ms(r.P50), ms(r.P90))
	fmt.Fprintf(tw, "  latency p99\t%s\t%s (target < 100 ms)\n", ms(r.P99), ok(r.P99 < 100*time.Millisecond))
	fmt.Fprintf(tw, "  latency max\t%s\t\n", ms(r.Max))
	if r.Cores > 0 {
		fmt.Fprintf(tw, "  machine CPU busy (all processes) / this process\t%.0f%% / %.0f%% of %d cores\tload average %s\n",
			100*r.MachineBusy, 100*r.ProcessCPU, r.Cores, r.LoadAvg)
	}
	if r.CPUPerReport > 0 {
		fmt.Fprintf(tw, "  PostgreSQL backends of this database\t%.0f%% of %d cores\t\n", 100*r.DBCPU, r.Cores)
		fmt.Fprintf(tw, "  CPU per report (this process + PostgreSQL)\t%s\t→ about %.0f reports/s if all cores were ours\n", ms(r.CPUPerReport), r.IdleCapacity)
	}
	fmt.Fprintf(tw, "routing alone (coverage owner lookup, sequential)\t\t\n")
	fmt.Fprintf(tw, "  lookups (found an owner)\t%d (%d)\t\n", r.Lookups, r.LookupOwned)
	fmt.Fprintf(tw, "  p50 / p99 / max\t%s / %s / %s\t\n", ms(r.LookupP50), ms(r.LookupP99), ms(r.LookupMax))
	fmt.Fprintf(tw, "  rate\t%.0f lookups/s\t\n", r.LookupPerSec)
	tw.Flush()
}
