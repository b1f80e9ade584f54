// Package row is how every benchmark of `make bench` reports its figure: one Row per comparison, appended as a
// JSON line to the file $EVERYMETER_BENCH_ROWS names, so that bench/table can end the run with one table (and
// BENCH.md). It has no dependencies, so any package's benchmark can use it.
package row

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Env names the file rows are appended to; unset, rows are only printed.
const Env = "EVERYMETER_BENCH_ROWS"

// Row is one line of the closing table: a figure beside the baseline doing the same work.
type Row struct {
	Name     string  `json:"name"`     // what is measured, e.g. "cold tiles z15, 16 clients"
	Compares string  `json:"compares"` // one line: the figure's work and the baseline's, e.g. "everymeter HTTP vs bare ST_AsMVT over pgx"
	Unit     string  `json:"unit"`     // of Figure and Baseline: "ms", "req/s", …
	Figure   float64 `json:"figure"`   // everymeter
	Baseline float64 `json:"baseline"` // the baseline (0: none, e.g. a target alone)
	// Ratio is how many times better the figure is than the baseline (baseline/figure for times, figure/baseline
	// for rates): above 1, everymeter wins.
	Ratio  float64 `json:"ratio"`
	Target string  `json:"target,omitempty"` // the goal, e.g. "≥ 1.0×" or "p99 < 100 ms"
	Met    *bool   `json:"met,omitempty"`    // whether the target holds (nil: no target)
	Equal  string  `json:"equal"`            // what was checked equal between the two answers, e.g. "bytes (2,134 tiles)"
	Load   string  `json:"load"`             // the load average (1, 5, 15 min) when measured: the box is shared
	Note   string  `json:"note,omitempty"`   // what the figure is made of, where it helps (printed under the table)
}

// Time fills Ratio for a duration-like unit (smaller is better).
func Time(r Row) Row {
	if r.Figure > 0 && r.Baseline > 0 {
		r.Ratio = r.Baseline / r.Figure
	}
	return r
}

// Rate fills Ratio for a rate (larger is better).
func Rate(r Row) Row {
	if r.Figure > 0 && r.Baseline > 0 {
		r.Ratio = r.Figure / r.Baseline
	}
	return r
}

// Meets sets the target and whether it holds.
func (r Row) Meets(target string, ok bool) Row {
	r.Target, r.Met = target, &ok
	return r
}

// Load returns the load average as uptime prints it ("1.52 1.31 0.98"), or "unknown".
func Load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Logger is what Record reports to (testing.TB has it).
type Logger interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
}

var mu sync.Mutex

// Record stamps the load average on r, prints it and appends it to $EVERYMETER_BENCH_ROWS when set.
func Record(tb Logger, r Row) {
	tb.Helper()
	if r.Load == "" {
		r.Load = Load()
	}
	fmt.Fprintf(os.Stdout, "bench row: %s: %.4g %s vs %.4g %s = %.2f× (%s; equal: %s; load %s)\n",
		r.Name, r.Figure, r.Unit, r.Baseline, r.Unit, r.Ratio, r.Compares, r.Equal, r.Load)
	path := os.Getenv(Env)
	if path == "" {
		return
	}
	line, err := json.Marshal(r)
	if err != nil {
		tb.Errorf("bench row: %v", err)
		return
	}
	mu.Lock()
	defer mu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Errorf("bench row: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		tb.Errorf("bench row: %v", err)
	}
}

// Read returns the rows of a file written by Record, in order.
func Read(r io.Reader) ([]Row, error) {
	var out []Row
	dec := json.NewDecoder(r)
	for {
		var x Row
		if err := dec.Decode(&x); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, x)
	}
}

// Markdown writes rows as one Markdown table.
func Markdown(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| measure | compares | figure | baseline | ratio | target | answers checked equal | load (1 5 15) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---|---|")
	for _, r := range rows {
		base, ratio := "—", "—"
		if r.Baseline > 0 {
			base = fmt.Sprintf("%s %s", num(r.Baseline), r.Unit)
		}
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		target := r.Target
		if r.Met != nil {
			target += map[bool]string{true: " ✔", false: " ✘"}[*r.Met]
		}
		fmt.Fprintf(w, "| %s | %s | %s %s | %s | %s | %s | %s | %s |\n", cell(r.Name), cell(r.Compares), num(r.Figure), r.Unit,
			base, ratio, cell(target), cell(r.Equal), r.Load)
	}
	for _, r := range rows {
		if r.Note != "" {
			fmt.Fprintf(w, "\n- %s: %s", r.Name, r.Note)
		}
	}
	fmt.Fprintln(w)
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
