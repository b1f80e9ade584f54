package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"everymeter/store"
)

// Report is what a run's clients saw, and, after Reconcile, what the database says about it.
type Report struct {
	BaseURL         string
	Server          string // how the server ran (in-process on a real listener, …), for the table
	Clients         int
	Duration        time.Duration
	Elapsed         time.Duration // until the last request in flight answered
	ReporterIDs     []int64
	Kinds           []KindStats // in the order of Kinds, only those sent
	Total           KindStats
	PerSecond       float64
	ServerErrors    int      // 5xx answers
	TransportErrors int      // requests without an answer
	Unexpected      int      // answers the step did not expect (a 4xx, a retry naming another report, …)
	Problems        []string // the first few of the above, with their answers
	Filed           []Filed  // every client's log of its Idempotency-Keys
	Reconciled      *Reconciliation
	Cores           int
	LoadAvg         string // /proc/loadavg at the end: other work on the machine lowers the figures
}

// KindStats are the figures of one kind of request.
type KindStats struct {
	Kind               string
	Requests           int
	Statuses           map[int]int // status → count; 0 is no answer
	P50, P95, P99, Max time.Duration
}

// Reconciliation compares the clients' logs with the reports table.
type Reconciliation struct {
	Keys       int // Idempotency-Keys the clients sent
	Acked      int // … answered 200/201 with a report
	InDB       int // (reporter, key) groups in the database for the run's reporters
	Lost       int // acknowledged but not in the database
	Duplicated int // keys stored more than once
	Unrecorded int // reports in the database whose key no client sent (or filed without a key)
	Mismatched int // the database's report id or status differs from what the client was answered
	Problems   []string
}

// OK reports whether the run met issue 8 §5: no 5xx, no request without an answer, no unexpected answer, and a
// clean reconciliation.
func (r Report) OK() error {
	var errs []string
	if r.ServerErrors > 0 {
		errs = append(errs, fmt.Sprintf("%d answers were 5xx", r.ServerErrors))
	}
	if r.TransportErrors > 0 {
		errs = append(errs, fmt.Sprintf("%d requests got no answer", r.TransportErrors))
	}
	if r.Unexpected > 0 {
		errs = append(errs, fmt.Sprintf("%d answers were not what the step expects", r.Unexpected))
	}
	if c := r.Reconciled; c == nil {
		errs = append(errs, "not reconciled with the database")
	} else if c.Lost+c.Duplicated+c.Unrecorded+c.Mismatched > 0 {
		errs = append(errs, fmt.Sprintf("reconciliation: %d lost, %d duplicated, %d unrecorded, %d mismatched", c.Lost, c.Duplicated, c.Unrecorded, c.Mismatched))
	}
	if len(errs) == 0 {
		return nil
	}
	for _, p := range r.Problems {
		errs = append(errs, "  "+p)
	}
	if r.Reconciled != nil {
		for _, p := range r.Reconciled.Problems {
			errs = append(errs, "  "+p)
		}
	}
	return errors.New("loadgen: " + strings.Join(errs, "\n"))
}

// collect merges the clients' measurements and logs.
func (r *Report) collect(clients []*client) {
	lat := map[string][]time.Duration{}
	sts := map[string]map[int]int{}
	var all []time.Duration
	for _, c := range clients {
		for k, ds := range c.lat {
			lat[k] = append(lat[k], ds...)
			all = append(all, ds...)
		}
		for k, m := range c.status {
			if sts[k] == nil {
				sts[k] = map[int]int{}
			}
			for s, n := range m {
				sts[k][s] += n
			}
		}
		r.Unexpected += c.odd
		for _, p := range c.problems {
			if len(r.Problems) < 10 {
				r.Problems = append(r.Problems, p)
			}
		}
		for _, f := range c.filed {
			r.Filed = append(r.Filed, *f)
		}
	}
	r.Total = KindStats{Kind: "all", Statuses: map[int]int{}}
	for _, k := range Kinds {
		if len(lat[k]) == 0 {
			continue
		}
		ks := stats(k, lat[k], sts[k])
		r.Kinds = append(r.Kinds, ks)
		for s, n := range ks.Statuses {
			r.Total.Statuses[s] += n
			switch {
			case s == 0:
				r.TransportErrors += n
			case s >= 500:
				r.ServerErrors += n
			}
		}
	}
	t := stats("all", all, r.Total.Statuses)
	r.Total = t
	r.PerSecond = float64(t.Requests) / r.Elapsed.Seconds()
	r.Cores = runtime.NumCPU()
}

func stats(kind string, ds []time.Duration, sts map[int]int) KindStats {
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	return KindStats{Kind: kind, Requests: len(ds), Statuses: sts, P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: q(1)}
}

// Reconcile checks the clients' logs against the reports table: every acknowledged key is stored exactly once,
// under the id and in the status the client was last answered, and every report of the run's reporters carries a
// key some client sent. st must be the database of the server the run was aimed at.
func Reconcile(ctx context.Context, st *store.Store, r *Report) error {
	groups, err := ReportKeyCounts(ctx, st, r.ReporterIDs)
	if err != nil {
		return err
	}
	type rk struct {
		reporter int64
		key      string
	}
	db := make(map[rk]KeyCount, len(groups))
	c := &Reconciliation{InDB: len(groups)}
	bad := func(n *int, format string, a ...any) {
		*n++
		if len(c.Problems) < 10 {
			c.Problems = append(c.Problems, fmt.Sprintf(format, a...))
		}
	}
	for _, g := range groups {
		if g.Key == nil {
			bad(&c.Unrecorded, "reporter %d has %d reports without an Idempotency-Key (ids %d–%d)", g.ReporterID, g.Count, g.MinID, g.MaxID)
			continue
		}
		db[rk{g.ReporterID, *g.Key}] = g
		if g.Count > 1 {
			bad(&c.Duplicated, "key %s of reporter %d is stored %d times (ids %d–%d)", *g.Key, g.ReporterID, g.Count, g.MinID, g.MaxID)
		}
	}
	sent := make(map[rk]bool, len(r.Filed))
	for _, f := range r.Filed {
		k := rk{f.ReporterID, f.Key}
		sent[k] = true
		c.Keys++
		for _, id := range f.IDs {
			if id != f.ReportID {
				bad(&c.Mismatched, "key %s was answered with reports %v", f.Key, f.IDs)
				break
			}
		}
		if !f.Acked {
			continue
		}
		c.Acked++
		g, ok := db[k]
		switch {
		case !ok:
			bad(&c.Lost, "key %s was acknowledged as report %d, which the database does not hold", f.Key, f.ReportID)
		case g.MinID != f.ReportID:
			bad(&c.Mismatched, "key %s was acknowledged as report %d; the database holds %d", f.Key, f.ReportID, g.MinID)
		case g.Status != f.Status:
			bad(&c.Mismatched, "report %d (key %s) is %s in the database; the client was last answered %s", f.ReportID, f.Key, g.Status, f.Status)
		}
	}
	for k, g := range db {
		if !sent[k] {
			bad(&c.Unrecorded, "report %d of reporter %d has key %s, which no client sent", g.MinID, k.reporter, k.key)
		}
	}
	sort.Strings(c.Problems)
	r.Reconciled = c
	return nil
}

// Print writes the run as a table: requests by kind with their statuses and latency quantiles, the rate, the
// error counts and the reconciliation.
func (r Report) Print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	server := r.Server
	if server == "" {
		server = r.BaseURL
	}
	fmt.Fprintf(w, "load: %d clients for %v against %s\n", r.Clients, r.Duration, server)
	fmt.Fprintln(tw, "kind\trequests\tp50 ms\tp95 ms\tp99 ms\tmax ms\t statuses")
	row := func(k KindStats) {
		var codes []int
		for s := range k.Statuses {
			codes = append(codes, s)
		}
		slices.Sort(codes)
		var parts []string
		for _, s := range codes {
			name := fmt.Sprint(s)
			if s == 0 {
				name = "no answer"
			}
			parts = append(parts, fmt.Sprintf("%s×%d", name, k.Statuses[s]))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t %s\n", k.Kind, k.Requests, ms(k.P50), ms(k.P95), ms(k.P99), ms(k.Max), strings.Join(parts, " "))
	}
	for _, k := range r.Kinds {
		row(k)
	}
	row(r.Total)
	tw.Flush()
	fmt.Fprintf(w, "window %v, %.0f requests/s\n", r.Elapsed.Round(time.Millisecond), r.PerSecond)
	fmt.Fprintf(w, "5xx: %d   no answer: %d   unexpected answers: %d\n", r.ServerErrors, r.TransportErrors, r.Unexpected)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if c := r.Reconciled; c != nil {
		verdict := "ok"
		if c.Lost+c.Duplicated+c.Unrecorded+c.Mismatched > 0 {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "reconciliation with the database: %d keys sent, %d acknowledged, %d stored; lost %d, duplicated %d, unrecorded %d, mismatched %d — %s\n",
			c.Keys, c.Acked, c.InDB, c.Lost, c.Duplicated, c.Unrecorded, c.Mismatched, verdict)
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	fmt.Fprintf(w, "machine: %d cores, load average at the end %s (other work on the machine lowers the figures)\n", r.Cores, r.LoadAvg)
}
