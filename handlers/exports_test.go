package handlers_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"everymeter/internal/ci"
)

// sheetRows reads an .xlsx answer back with excelize: the header row and the data rows as raw cell values.
func sheetRows(t *testing.T, body []byte) ([]string, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not an xlsx workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no rows: %v", err)
	}
	return rows[0], rows[1:]
}

// cellNum is a numeric cell (ok false when it is empty).
func cellNum(t *testing.T, row []string, i int) (float64, bool) {
	t.Helper()
	if i >= len(row) || row[i] == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(row[i], 64)
	if err != nil {
		t.Fatalf("cell %d %q is not a number", i, row[i])
	}
	return v, true
}

// TestSpreadsheetsMatchTheAPI: the .xlsx exports of the unit ranking, the case list (with its filters, seen by a
// unit's staff only for their unit) and the gaps hold exactly the numbers and rows of the JSON and CSV answers.
func TestSpreadsheetsMatchTheAPI(t *testing.T) {
	l := newLoop(t)
	// Reports to TEST (the category's default) and a few dispatched on to OTHER; some accepted.
	var ids []int64
	for i := 0; i < 7; i++ {
		ids = append(ids, int64(l.file()["id"].(float64)))
	}
	for _, id := range ids[:3] {
		l.mustMove("unit_staff", id, map[string]any{"action": "accept"})
	}
	for _, id := range ids[5:] {
		l.mustMove("admin", id, map[string]any{"action": "dispatch", "unit_id": l.otherID})
	}

	// A road without a lead unit: one gap for the gaps sheet, and the coverage map of the briefing.
	l.Do("planner", "POST", "/api/v1/assets", feature(roadGeom, map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201)

	t.Run("ranking", func(t *testing.T) {
		for _, lang := range []string{"zh-CN", "en"} {
			api := l.Do("leader", "GET", "/api/v1/stats/units?min_received=1", nil).MustStatus(t, 200).JSON()["items"].([]any)
			res := l.Do("leader", "GET", "/api/v1/stats/units?min_received=1&format=xlsx", nil, "Accept-Language", lang).MustStatus(t, 200)
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
				t.Fatalf("Content-Type %q", ct)
			}
			head, rows := sheetRows(t, res.Body)
			if want := map[string]string{"zh-CN": "接收", "en": "Received"}[lang]; head[3] != want {
				t.Errorf("%s header %v, want column 4 %q", lang, head, want)
			}
			if len(rows) != len(api) {
				t.Fatalf("%d rows, the API lists %d units", len(rows), len(api))
			}
			byCode := map[string][]string{}
			for _, r := range rows {
				byCode[r[1]] = r
			}
			checked := 0
			for _, it := range api {
				u := it.(map[string]any)
				r, ok := byCode[u["code"].(string)]
				if !ok {
					t.Fatalf("unit %v missing from the sheet", u["code"])
				}
				rates := u["rates"].(map[string]any)
				for _, c := range []struct {
					col  int
					json any
				}{{3, u["received"]}, {4, u["due"]}, {5, u["handled"]}, {7, u["overdue_now"]}, {9, u["closed"]},
					{10, rates["handling"]}, {11, rates["on_time"]}, {13, rates["closure"]}, {17, u["km"]}, {19, u["score"]}, {0, u["rank"]}} {
					got, ok := cellNum(t, r, c.col)
					if c.json == nil {
						if ok {
							t.Errorf("%s col %d = %v, the API has none", u["code"], c.col, got)
						}
						continue
					}
					if want := c.json.(float64); !ok || fmt.Sprintf("%.9g", got) != fmt.Sprintf("%.9g", want) {
						t.Errorf("%s col %d (%s) = %v, the API says %v", u["code"], c.col, head[c.col], got, want)
					}
					checked++
				}
			}
			if checked < 10 {
				t.Fatalf("only %d numbers compared", checked)
			}
		}
	})

	t.Run("cases with filters and visibility", func(t *testing.T) {
		for _, c := range []struct{ role, query string }{
			{"planner", "status=dispatched"},
			{"planner", "status=accepted,dispatched&unit_id=" + strconv.FormatInt(l.UnitID, 10)},
			{"unit_staff", ""}, // TEST's staff: the reports sent on to OTHER are not theirs
			{"leader", "q=占道"},
		} {
			fc := l.Do(c.role, "GET", "/api/v1/reports?limit=1000&"+c.query, nil).MustStatus(t, 200).JSON()
			var want []string
			for _, f := range fc["features"].([]any) {
				want = append(want, strconv.FormatInt(int64(f.(map[string]any)["id"].(float64)), 10))
			}
			_, rows := sheetRows(t, l.Do(c.role, "GET", "/api/v1/reports?format=xlsx&"+c.query, nil).MustStatus(t, 200).Body)
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(want, ",") || len(want) == 0 {
				t.Errorf("%s %q: sheet has cases %v, the API %v", c.role, c.query, got, want)
			}
		}
	})

	t.Run("gaps", func(t *testing.T) {
		csvRows := strings.Split(strings.TrimSpace(string(l.Do("planner", "GET", "/api/v1/coverage/export?format=csv", nil).MustStatus(t, 200).Body)), "\n")[1:]
		_, rows := sheetRows(t, l.Do("planner", "GET", "/api/v1/coverage/export?format=xlsx", nil).MustStatus(t, 200).Body)
		if len(rows) != len(csvRows) || len(rows) == 0 {
			t.Fatalf("%d gap rows in the sheet, %d in the CSV", len(rows), len(csvRows))
		}
		for i, line := range csvRows {
			cells := strings.Split(line, ",")
			for _, col := range []int{0, 3, 4, 5} {
				want, _ := strconv.ParseFloat(cells[col], 64)
				if got, _ := cellNum(t, rows[i], col); fmt.Sprintf("%.2f", got) != fmt.Sprintf("%.2f", want) {
					t.Errorf("gap %d col %d: sheet %v, CSV %v", i, col, got, want)
				}
			}
		}
	})

	t.Run("briefing PDF", func(t *testing.T) {
		for _, tool := range []string{"pdftotext", "pdftoppm"} {
			if _, err := exec.LookPath(tool); err != nil {
				ci.Missing(t, "%s (poppler-utils) is not installed", tool)
				return
			}
		}
		res := l.Do("leader", "GET", "/api/v1/briefing?format=pdf&min_received=1", nil)
		if res.Status == 503 {
			ci.Missing(t, "no Chromium to print with: %s", res.Body)
			return
		}
		res.MustStatus(t, 200)
		if !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %q", res.Body[:min(len(res.Body), 32)])
		}
		dir := t.TempDir()
		pdf := filepath.Join(dir, "briefing.pdf")
		if err := os.WriteFile(pdf, res.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "40", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if pages, _ := filepath.Glob(filepath.Join(dir, "page*.png")); len(pages) == 0 {
			t.Fatal("pdftoppm rendered no page")
		}
		text, err := exec.Command("pdftotext", pdf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"文明城市创建工作通报", "各单位综合得分", "案卷数量趋势", "道路责任覆盖图", "测试单位"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("the PDF's text lacks %q", want)
			}
		}
	})
}
