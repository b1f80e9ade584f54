package bench_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"everymeter/bench"
	"everymeter/bench/row"
	"everymeter/internal/testdb"
)

// BenchmarkReportCreation files reports over HTTP on loopback with 1 M reports stored (issue 4 §8) and prints
// the table: closed loop from 16 clients, then paced at 1,000 reports/s (the figures). EVERYMETER_BENCH_STORED,
// _CLIENTS, _RATE and _SECONDS change the defaults (1000000, 16, 1000, 20).
func BenchmarkReportCreation(b *testing.B) {
	cfg := bench.Defaults()
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_BENCH_STORED")); err == nil {
		cfg.Stored = v
	}
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_BENCH_CLIENTS")); err == nil && v > 0 {
		cfg.Clients = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("EVERYMETER_BENCH_RATE"), 64); err == nil && v >= 0 {
		cfg.Rate = v
	}
	if v, err := strconv.Atoi(os.Getenv("EVERYMETER_BENCH_SECONDS")); err == nil && v > 0 {
		cfg.Duration = time.Duration(v) * time.Second
	}
	st, _ := testdb.New(b)
	cfg.Progress = os.Stderr
	b.ResetTimer()
	res, err := bench.Reports(b.Context(), st, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	res.Print(os.Stdout)
	if res.Phase.Reports == 0 {
		b.Fatalf("no report was filed: %s", res.Phase.FirstError)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	closed := res.Phase
	row.Record(b, row.Row{Name: fmt.Sprintf("filing with routing, %d stored, %d clients closed loop", res.StoredTotal, cfg.Clients),
		Compares: fmt.Sprintf("reports/s over HTTP against the issue's target; p99 %.1f ms, CPU %.2f ms/report, idle-box capacity %.0f/s", ms(closed.P99), ms(closed.CPUPerReport), closed.IdleCapacity),
		Unit:     "reports/s", Figure: closed.PerSecond,
		Equal: fmt.Sprintf("%d answered 201, %d failed", closed.Reports, closed.Failed), Load: closed.LoadAvg,
	}.Meets("≥ 1000/s and p99 < 100 ms", closed.PerSecond >= 1000 && closed.P99 < 100*time.Millisecond))
	if p := res.Paced; p.Mode != "" {
		row.Record(b, row.Row{Name: fmt.Sprintf("filing paced at %.0f/s open loop, %d stored", p.Rate, res.StoredTotal),
			Compares: fmt.Sprintf("p99 latency from each filing's due time; %.0f reports/s achieved, p50 %.1f ms", p.PerSecond, ms(p.P50)),
			Unit:     "ms p99", Figure: ms(p.P99),
			Equal: fmt.Sprintf("%d answered 201, %d failed", p.Reports, p.Failed), Load: p.LoadAvg,
		}.Meets("p99 < 100 ms at the offered rate", p.P99 < 100*time.Millisecond && p.PerSecond >= 0.95*p.Rate))
	}
	b.ReportMetric(res.Phase.PerSecond, "reports/s")
	b.ReportMetric(float64(res.Phase.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(res.Phase.CPUPerReport.Microseconds())/1000, "cpu-ms/report")
	if res.Paced.Mode != "" {
		b.ReportMetric(res.Paced.PerSecond, "paced-reports/s")
		b.ReportMetric(float64(res.Paced.P99.Microseconds())/1000, "paced-p99-ms")
	}
	b.ReportMetric(float64(res.LookupP99.Microseconds())/1000, "routing-p99-ms")
	b.ReportMetric(res.Generate.Seconds(), "generate-1M-s")
}
