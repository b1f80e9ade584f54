package bench_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"everymeter/bench"
	"everymeter/internal/testdb"
)

// BenchmarkReportCreation files reports over HTTP on loopback with 1 M reports stored (issue 4 §8) and prints
// the table: closed loop from 32 clients, then paced at 500 reports/s. EVERYMETER_BENCH_STORED, _CLIENTS, _RATE
// and _SECONDS change the defaults (1000000, 32, 500, 20).
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
