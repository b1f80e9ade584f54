package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"everymeter/bench/row"
	"everymeter/internal/testapp"
)

// BenchmarkFileReport files reports over HTTP on loopback from 8 concurrent clients for a fixed time (10 s, or
// EVERYMETER_BENCH_FILE_SECONDS), each routed on a hand-made street (nearest meter → owner), and reports the
// sustained reports/s and the p50/p99 latency. It runs for a time, not for b.N reports: under `make bench`
// (-benchtime 1x) b.N is 1, and one report says nothing about a rate. The 1M-report benchmark lives in bench/;
// this one watches the filing path itself on a small database.
func BenchmarkFileReport(b *testing.B) {
	run := 10 * time.Second
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_BENCH_FILE_SECONDS")); err == nil && v > 0 {
		run = time.Duration(v) * time.Second
	}
	a := testapp.New(b)
	unit := idOf(a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": "ZHZFJ", "name": "综合执法局", "kind": "department"}).MustStatus(b, 201).JSON())
	road := idOf(a.Do("planner", "POST", "/api/v1/assets", feature(`{"type":"LineString","coordinates":[[117.0,36.0],[117.05,36.0]]}`,
		map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(b, 201).JSON())
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/assets/%d/assignments", road), map[string]any{"unit_id": unit, "from_m": 0, "to_m": 3000, "role": "lead"}).MustStatus(b, 201)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 8, MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	const workers = 8
	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(run)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if time.Now().After(deadline) {
					return
				}
				body, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Point",
					"coordinates": []float64{117.0 + float64(i%4000)*0.00001, 36.00002}}, "category": "JMZX-01"})
				req, _ := http.NewRequest("POST", a.URL+"/api/v1/reports", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+a.Tokens["inspector"])
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 201 {
					b.Errorf("status %d", res.StatusCode)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		b.Fatal("no report was filed")
	}
	// Every report answered 201 must be stored.
	if n, err := a.Store.CountReports(b.Context()); err != nil || n != int64(len(all)) {
		b.Fatalf("%d reports stored (%v), %d answered 201", n, err, len(all))
	}
	rate := float64(len(all)) / elapsed.Seconds()
	p99 := all[len(all)*99/100]
	row.Record(b, row.Row{Name: "filing, small database, 8 clients",
		Compares: fmt.Sprintf("closed loop over HTTP for %s, routed on one street; no baseline (p99 %.1f ms)", run, float64(p99.Microseconds())/1000),
		Unit:     "reports/s", Figure: rate, Equal: fmt.Sprintf("%d reports answered 201 = %d stored", len(all), len(all))})
	b.ReportMetric(rate, "reports/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
}
