package row

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordReadMarkdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	t.Setenv(Env, path)
	Record(t, Time(Row{Name: "coverage full", Compares: "process vs SQL", Unit: "ms", Figure: 200, Baseline: 500, Equal: "km within 0.1%"}).Meets("≥ 10×", false))
	Record(t, Rate(Row{Name: "filing", Compares: "closed loop", Unit: "reports/s", Figure: 600, Baseline: 1000}))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Read(bytes.NewReader(b))
	if err != nil || len(rows) != 2 {
		t.Fatalf("read %d rows, %v; want 2", len(rows), err)
	}
	if rows[0].Ratio != 2.5 || rows[1].Ratio != 0.6 || rows[0].Load == "" {
		t.Fatalf("ratios %v, %v (want 2.5 for a time half the baseline's, 0.6 for a rate 0.6 of it); load %q", rows[0].Ratio, rows[1].Ratio, rows[0].Load)
	}
	var md strings.Builder
	Markdown(&md, rows)
	if !strings.Contains(md.String(), "| coverage full | process vs SQL | 200 ms | 500 ms | 2.50× | ≥ 10× ✘ |") {
		t.Fatalf("table:\n%s", md.String())
	}
}
