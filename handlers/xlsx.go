package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"everymeter/domain"
	"everymeter/i18n"
)

// The spreadsheets officials work in (.xlsx, written by excelize). Every export is the same service call as its JSON
// answer, so it shows exactly what the principal may see; numbers stay numbers (rates as fractions formatted as
// percentages), so a sheet sums and sorts like the API's figures. Text goes in as text cells, never as formulas.

const xlsxMIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxCol is one column: its English header (translated for the reader) and its number format ("" general,
// "pct" a rate, "0.00" etc.).
type xlsxCol struct {
	Header string
	Format string
}

// xlsxSheet is one sheet of an export.
type xlsxSheet struct {
	Name string // English; translated
	Cols []xlsxCol
	Rows [][]any // nil cells stay empty (a rate with nothing to divide)
}

// sendXLSX writes the sheets as one workbook, named filename, in the reader's language.
func sendXLSX(c echo.Context, filename string, sheets ...xlsxSheet) error {
	lang := langOf(c)
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}}})
	if err != nil {
		return err
	}
	styles := map[string]int{}
	styleOf := func(format string) (int, error) {
		if format == "" {
			return 0, nil
		}
		if id, ok := styles[format]; ok {
			return id, nil
		}
		code := format
		if format == "pct" {
			code = "0.0%"
		}
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		styles[format] = id
		return id, err
	}
	for i, s := range sheets {
		name := xlsxWord(lang, s.Name)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		header := make([]any, len(s.Cols))
		for j, col := range s.Cols {
			header[j] = excelize.Cell{StyleID: head, Value: xlsxWord(lang, col.Header)}
			if err := sw.SetColWidth(j+1, j+1, max(10, float64(len([]rune(xlsxWord(lang, col.Header))))*2.2)); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		for r, row := range s.Rows {
			cells := make([]any, len(row))
			for j, v := range row {
				st, err := styleOf(s.Cols[j].Format)
				if err != nil {
					return err
				}
				cells[j] = excelize.Cell{StyleID: st, Value: v}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderContentType, xlsxMIME)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Response().WriteHeader(http.StatusOK)
	return f.Write(c.Response())
}

// xlsxWord is a sheet name or column header in lang (its zh-CN text is registered under "xlsx|").
func xlsxWord(lang i18n.Lang, w string) string {
	if lang == i18n.English {
		return w
	}
	return i18n.T(lang, "xlsx|"+w)
}

// opt turns an optional number into a cell value (nil stays an empty cell).
func opt[T int | int64 | float64](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// rankingSheet is the league table: the same rows and numbers as GET /api/v1/stats/units.
func rankingSheet(units []domain.UnitStat) xlsxSheet {
	s := xlsxSheet{Name: "Unit ranking", Cols: []xlsxCol{
		{"Rank", ""}, {"Unit code", ""}, {"Unit", ""}, {"Received", ""}, {"Due", ""}, {"Handled", ""}, {"On time", ""},
		{"Overdue now", ""}, {"Rework", ""}, {"Closed", ""}, {"Handling rate", "pct"}, {"On-time rate", "pct"},
		{"Rework rate", "pct"}, {"Closure rate", "pct"}, {"Extension rate", "pct"}, {"Overdue pending rate", "pct"},
		{"Average hours to close", "0.0"}, {"Km", "0.000"}, {"Reports per km", "0.00"}, {"Score", "0.0"}, {"Too few reports", ""},
	}}
	for _, u := range units {
		s.Rows = append(s.Rows, []any{opt(u.Rank), u.Code, u.Name, u.Received, u.Due, u.Handled, u.OnTime, u.OverdueNow,
			u.Rework, u.Closed, opt(u.Rates.Handling), opt(u.Rates.OnTime), opt(u.Rates.Rework), opt(u.Rates.Closure),
			opt(u.Rates.Extension), opt(u.Rates.OverduePending), opt(u.AvgHoursToClose), u.Km, opt(u.PerKm), opt(u.Score), u.TooFew})
	}
	return s
}

// reportsSheet is the case list: one row per report the filter selects.
func reportsSheet(rs []domain.Report, lang i18n.Lang, now time.Time) xlsxSheet {
	s := xlsxSheet{Name: "Cases", Cols: []xlsxCol{
		{"Case", ""}, {"Category", ""}, {"Status", ""}, {"Urgency", ""}, {"Unit", ""}, {"Address", ""}, {"Description", ""},
		{"Created", "yyyy-mm-dd hh:mm"}, {"Deadline", "yyyy-mm-dd hh:mm"}, {"Closed", "yyyy-mm-dd hh:mm"}, {"Overdue", ""},
		{"Longitude", "0.000000"}, {"Latitude", "0.000000"}, {"Routing", ""}, {"Source", ""},
	}}
	local := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.In(briefingLoc).Truncate(time.Second)
	}
	for _, r := range rs {
		created := r.CreatedAt
		s.Rows = append(s.Rows, []any{r.ID, r.CategoryCode, r.Status, r.Urgency, r.UnitName, r.Address, r.Description,
			local(&created), local(r.Deadline), local(r.ClosedAt), r.Overdue(now), r.Geom[0], r.Geom[1], r.Reason(lang), r.Source})
	}
	return s
}

// gapsSheet lists the stretches without a lead unit, as the CSV export does.
func gapsSheet(gaps []domain.GapRow) xlsxSheet {
	s := xlsxSheet{Name: "Gaps", Cols: []xlsxCol{
		{"Asset", ""}, {"Asset name", ""}, {"Kind", ""}, {"From (m)", "0.00"}, {"To (m)", "0.00"}, {"Length (m)", "0.00"},
		{"Start longitude", "0.0000000"}, {"Start latitude", "0.0000000"}, {"End longitude", "0.0000000"}, {"End latitude", "0.0000000"},
	}}
	for _, g := range gaps {
		s.Rows = append(s.Rows, []any{g.AssetID, g.AssetName, g.Kind, g.FromM, g.ToM, g.ToM - g.FromM,
			g.Start[0], g.Start[1], g.End[0], g.End[1]})
	}
	return s
}

// xlsxName is an export's file name with the day it was made.
func xlsxName(what string, now time.Time) string {
	return fmt.Sprintf("everymeter-%s-%s.xlsx", what, now.In(briefingLoc).Format("20060102"))
}
