package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"everymeter/internal/testapp"
)

// BenchmarkFileReport files reports over HTTP on loopback from 8 concurrent clients, each routed on a hand-made
// street (nearest meter → owner), and reports sustained reports/s and the p50/p99 latency. The 1M-report
// benchmark of issue 4 §8 lives with Open311 and the importer; this one watches the filing path itself.
func BenchmarkFileReport(b *testing.B) {
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
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
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
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "reports/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
}
